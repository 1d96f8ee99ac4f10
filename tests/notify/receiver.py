"""A real webhook receiver for tests: an HTTP server on a loopback port, in a thread.

It records every request and answers from a script (500 for the first N requests, a
delay, ...), so retries, signatures and timeouts are tested over a real socket.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    fail_first: int = 0  # answer 500 to this many requests, then 200
    always_status: int | None = None
    delay_seconds: float = 0.0
    # When set, every request waits for `gate` before it is answered, and `arrived` is
    # set once one has come in: a test holds a sender mid-request, deterministically.
    gate: threading.Event | None = None
    arrived: threading.Event = field(default_factory=threading.Event)

    def status_for(self, n: int) -> int:
        if self.always_status is not None:
            return self.always_status
        return 500 if n <= self.fail_first else 200


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with lock:
                receiver.requests.append(
                    Received(path=self.path, headers=dict(self.headers.items()), body=body)
                )
                status = receiver.status_for(len(receiver.requests))
            receiver.arrived.set()
            if receiver.gate is not None:
                receiver.gate.wait(60)
            if receiver.delay_seconds:
                time.sleep(receiver.delay_seconds)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
