"""Real HTTP servers for tests: a `huzhu serve` process (`start_server`: the CLI's serve
command with the options a user passes, forked from a process that has imported the app:
see forkserver.py for why, and why not through `huzhu` itself), or the app on uvicorn in
a thread of the test process (`serve_in_thread`), for tests that move the app's clock
while a server answers over a socket."""

from __future__ import annotations

import fcntl
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import httpx
import uvicorn

from tests.support.forkserver import ForkedProcess, ForkServer

# The installed `huzhu` entry point, for the one server that starts the way users start it.
FULL_CLI = [sys.executable, "-m", "huzhu.cli.main", "serve"]
FORKSERVER = ForkServer()


def _ephemeral_floor() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


class PortLeases:
    """Ports for test servers, each leased to one server until it has stopped.

    A port from bind(0) is free only until it is closed, and a server takes seconds to
    import before it binds: meanwhile another test process (a pytest-xdist worker, a
    second suite on the machine) or any outgoing connection may be handed the same port,
    and /healthz would answer for the wrong server. So ports come from below the kernel's
    ephemeral range, which bind(0) and outgoing connections never use, and each is leased
    with a byte-range lock (byte N of one lock file for port N) that every test process
    honours; the kernel drops a dead process's locks, so nothing leaks."""

    SPAN = 8000  # the ports just below the ephemeral range
    PATH = Path(tempfile.gettempdir()) / "huzhu-test-ports.lock"

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held: set[int] = set()  # POSIX locks are per process: ours are tracked here
        self._file: BinaryIO | None = None  # stays open: closing it drops every lock
        top = _ephemeral_floor()
        self._ports = range(top - self.SPAN, top)

    def take(self) -> int:
        with self._mutex:
            if self._file is None:
                self._file = self.PATH.open("ab")
            for port in random.sample(self._ports, 200):
                if port in self._held:
                    continue
                try:
                    fcntl.lockf(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, port)
                except OSError:
                    continue  # leased by another test process
                if _bindable(port):
                    self._held.add(port)
                    return port
                fcntl.lockf(self._file, fcntl.LOCK_UN, 1, port)
        raise RuntimeError(f"no free port in {self._ports}")

    def give_back(self, port: int) -> None:
        with self._mutex:
            if port in self._held and self._file is not None:
                fcntl.lockf(self._file, fcntl.LOCK_UN, 1, port)
                self._held.discard(port)


def _bindable(port: int) -> bool:
    """Nothing else (a service outside the tests) listens there."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


PORTS = PortLeases()


@dataclass
class LiveServer:
    url: str
    port: int
    process: subprocess.Popen[bytes] | ForkedProcess
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)  # type: ignore[arg-type]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        PORTS.give_back(self.port)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def start_server(
    *,
    db_url: str,
    workers: int = 1,
    log_dir: Path,
    extra_env: dict[str, str] | None = None,
    # Generous: importing the app takes seconds of CPU, and on a loaded 2-core machine
    # several servers may be starting at once.
    startup_seconds: float = 90,
    full_cli: bool = False,
    # Quiet by default; the log tests (tests/api/test_observability.py) log every request.
    log_args: tuple[str, ...] = ("--log-level", "warning", "--no-access-log"),
) -> LiveServer:
    port = PORTS.take()
    env = {
        **os.environ,
        "HUZHU_DATABASE_URL": db_url,
        "HUZHU_ENV": "test",
        **(extra_env or {}),
    }
    log_path = log_dir / f"server-{port}.log"
    args = [
        *("--port", str(port), "--workers", str(workers), "--no-migrate"),
        *log_args,
    ]
    proc: subprocess.Popen[bytes] | ForkedProcess
    if full_cli:
        with log_path.open("wb") as log:
            proc = subprocess.Popen([*FULL_CLI, *args], env=env, stdout=log, stderr=log)
    else:
        proc = FORKSERVER.serve(args=args, env=env, log=log_path)
    server = LiveServer(
        url=f"http://127.0.0.1:{port}", port=port, process=proc, log_path=log_path, env=env
    )
    deadline = time.monotonic() + startup_seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            server.stop()  # gives the port back
            raise RuntimeError(f"server exited early:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server did not come up:\n{server.log()}")


@dataclass
class ThreadServer:
    """An app served by uvicorn over a real loopback socket from a thread of the test
    process: requests cross the socket and uvicorn's HTTP parsing as in production, while
    the app's clock (huzhu.kit.clock, which tests move) is the test's own. Each client
    may connect from its own loopback address (all of 127.0.0.0/8 is this machine's), so
    the server sees as many distinct peers, and networks, as the test names."""

    url: str
    port: int
    server: uvicorn.Server
    thread: threading.Thread
    _clients: dict[str, httpx.Client] = field(default_factory=dict)

    def client(self, source: str = "127.0.0.1") -> httpx.Client:
        """A keep-alive client whose connections come from `source` (a 127.x.y.z)."""
        found = self._clients.get(source)
        if found is None:
            transport = httpx.HTTPTransport(local_address=source)
            found = httpx.Client(base_url=self.url, timeout=60, transport=transport)
            self._clients[source] = found
        return found

    def stop(self) -> None:
        """Close every client, then shut the server down as a signal would: its lifespan
        finishes (the app's background work included) before this returns."""
        for found in self._clients.values():
            found.close()
        self._clients.clear()
        if self.thread.is_alive():
            self.server.should_exit = True
            self.thread.join(timeout=60)
        PORTS.give_back(self.port)


def serve_in_thread(app: object, *, startup_seconds: float = 60) -> ThreadServer:
    port = PORTS.take()
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        proxy_headers=False,  # the peer is the client, as with no trusted proxy
        # A test's clients sit idle for as long as the test does other work. uvicorn closes
        # an idle connection after 5 s, and a request sent as it closes is met with a reset
        # (ECONNRESET): the server keeps every connection until it stops instead.
        timeout_keep_alive=24 * 3600,
    )
    server = uvicorn.Server(config)
    # uvicorn installs no signal handlers outside the main thread: stop() ends it.
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    found = ThreadServer(url=f"http://127.0.0.1:{port}", port=port, server=server, thread=thread)
    thread.start()
    deadline = time.monotonic() + startup_seconds
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            found.stop()
            raise RuntimeError("the in-thread server did not come up")
        time.sleep(0.02)
    return found
