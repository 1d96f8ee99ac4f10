"""Start a real `huzhu serve` process for tests that go over HTTP (the CLI's serve command
with the options a user passes; see serve_main.py for why not through `huzhu` itself)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

# The serve command alone (see serve_main.py); FULL_CLI is the installed `huzhu` entry.
SERVE_ONLY = [sys.executable, str(Path(__file__).with_name("serve_main.py"))]
FULL_CLI = [sys.executable, "-m", "huzhu.cli.main", "serve"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
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
) -> LiveServer:
    port = free_port()
    env = {
        **os.environ,
        "HUZHU_DATABASE_URL": db_url,
        "HUZHU_ENV": "test",
        **(extra_env or {}),
    }
    log_path = log_dir / f"server-{port}.log"
    log = log_path.open("wb")
    cmd = [
        *(FULL_CLI if full_cli else SERVE_ONLY),
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-migrate",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = LiveServer(url=f"http://127.0.0.1:{port}", process=proc, log_path=log_path, env=env)
    deadline = time.monotonic() + startup_seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server did not come up:\n{server.log()}")
