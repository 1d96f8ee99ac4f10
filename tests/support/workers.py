"""A real `huzhu worker` process for tests: the CLI's worker command with the test's
settings in its environment and its output in a log file — forked from the forkserver
(see forkserver.py: the imports paid once), or through the installed `huzhu` entry point
when the test needs the process's exit code."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support.forkserver import ForkedProcess
from tests.support.servers import FORKSERVER

WORKER_CLI = [sys.executable, "-m", "huzhu.cli.main", "worker"]
_SERIAL = itertools.count()


@dataclass
class LiveWorker:
    process: subprocess.Popen[bytes] | ForkedProcess
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: the process ends where it stands, as in a crash or an OOM kill."""
        self.process.kill()
        self.process.wait()

    def stop(self, *, timeout: float = 60) -> int:
        """SIGTERM, then wait for the exit code (killed if it does not end in time); a
        forked worker is not our child, so its code reads -1."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                return self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()


def start_worker(
    *,
    db_url: str,
    log_dir: Path,
    extra_env: dict[str, str] | None = None,
    poll_interval: float = 0.05,
    full_cli: bool = False,
) -> LiveWorker:
    """Start `huzhu worker` on db_url; the caller waits on what the worker does."""
    env = {**os.environ, "HUZHU_DATABASE_URL": db_url, "HUZHU_ENV": "test", **(extra_env or {})}
    log_path = log_dir / f"worker-{os.getpid()}-{next(_SERIAL)}.log"
    args = ["--poll-interval", str(poll_interval)]
    if not full_cli:
        forked = FORKSERVER.serve(command="worker", args=args, env=env, log=log_path)
        return LiveWorker(process=forked, log_path=log_path)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*WORKER_CLI, *args], env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL
        )
    return LiveWorker(process=process, log_path=log_path)
