"""`huzhu serve` and `huzhu worker` processes for the tests, forked from one that has
imported the app.

A server spends about two seconds of CPU importing Huzhu (FastAPI, SQLAlchemy, pydantic
models, every domain's routes) before it serves, and the suite starts dozens. So each test
process keeps one forkserver: a process that imports the serve command and the app once,
starts nothing (no thread, no event loop, no connection), then forks a child per server.
The child takes the environment, working directory and arguments it is sent and runs
the CLI's serve command with them, as `huzhu serve` would: settings read from HUZHU_*,
uvicorn started, lifespan run, all after the fork. Forking a process with no threads is
safe; the random module reseeds in every child.

    python tests/support/forkserver.py      # lines of JSON in, one pid per line out

Not through `huzhu` itself: huzhu/cli/main.py imports every command group, and with them
scipy (detect) and the demo seed; the session's page server (tests/web/conftest.py)
still goes through the real `huzhu` entry point.
"""

from __future__ import annotations

import importlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any


def _serve_in_child(request: dict[str, Any]) -> None:
    """In the forked child: become the server (or the `huzhu worker`) the request
    describes, then exit."""
    code: object = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # uvicorn's workers are waited for
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        command = request.get("command", "serve")
        sys.argv = [command, *request["args"]]

        import typer

        from huzhu.cli.serve import serve
        from huzhu.cli.worker import worker

        typer.run(worker if command == "worker" else serve)
        code = 0
    except SystemExit as exit:
        code = exit.code
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        import logging

        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code if isinstance(code, int) else 1)


# What a server imports before it serves, paid once: the serve command, uvicorn's loop
# and protocols, the app, and what its lifespan imports (every job, so scipy for ring
# detection; Swagger UI's files for /docs).
PRELOAD = (
    "typer",
    "uvicorn.lifespan.on",
    "uvicorn.loops.auto",
    "uvicorn.protocols.http.auto",
    "uvicorn.protocols.websockets.auto",
    "huzhu.cli.serve",
    "huzhu.cli.worker",
    "huzhu.app",
    "huzhu.all_tasks",
    "swagger_ui_bundle",
)


def main() -> None:
    for name in PRELOAD:
        importlib.import_module(name)
    # Children are reaped by the kernel; the tests follow them through pidfds.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    print("ready", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _serve_in_child(request)
        print(pid, flush=True)


class ForkedProcess:
    """A server forked by the forkserver, followed through a pidfd (it is not our child,
    so there is no exit status: `poll` and `wait` say -1 once it has gone). The methods of
    Popen that LiveServer uses."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._pidfd: int | None = os.pidfd_open(pid)

    def wait(self, timeout: float | None = None) -> int:
        if self._pidfd is not None:
            gone, _, _ = select.select([self._pidfd], [], [], timeout)
            if not gone:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout or 0)
            os.close(self._pidfd)
            self._pidfd = None
        return -1

    def poll(self) -> int | None:
        try:
            return self.wait(0)
        except subprocess.TimeoutExpired:
            return None

    def _signal(self, signum: int) -> None:
        if self.poll() is None and self._pidfd is not None:
            signal.pidfd_send_signal(self._pidfd, signum)

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)


class ForkServer:
    """This test process's forkserver, started on first use and ended with the process
    (it reads our end of a pipe)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._process: subprocess.Popen[str] | None = None

    def _started(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [sys.executable, __file__],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert self._process.stdout is not None
            if self._process.stdout.readline().strip() != "ready":
                raise RuntimeError("the test servers' forkserver did not start")
        return self._process

    def serve(
        self, *, args: list[str], env: dict[str, str], log: Path, command: str = "serve"
    ) -> ForkedProcess:
        request = {
            "command": command,
            "args": args,
            "env": env,
            "log": str(log),
            "cwd": os.getcwd(),
        }
        with self._mutex:
            process = self._started()
            assert process.stdin is not None
            assert process.stdout is not None
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
            return ForkedProcess(int(process.stdout.readline()))


if __name__ == "__main__":
    main()
