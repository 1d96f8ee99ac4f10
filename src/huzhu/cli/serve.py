"""`huzhu serve`: the web service (API, pages, and in embedded mode the job worker)."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
import uvicorn

from huzhu.cli.check import refuse_to_start_unsafe
from huzhu.config import load_settings
from huzhu.kit.logs import logging_config
from huzhu.migrations import run_migrations


def log_config(
    *, json_lines: bool = False, level: str = "info", access: bool = True
) -> dict[str, Any]:
    """The server's logging: no client address (an IP is personal data, never logged),
    no bodies, no headers; each request once, by huzhu.access, its path and query with
    tokens redacted; every line with the request id (kit/logs.py)."""
    return logging_config(json_lines=json_lines, level=level, access=access)


@contextmanager
def metrics_directory(configured: str | None) -> Iterator[None]:
    """One directory where every worker of this serve writes its metric values
    (prometheus-client's multiprocess mode): made fresh here and removed at exit, unless
    the operator chose one (HUZHU_METRICS__MULTIPROCESS_DIR). The workers, started after
    this, read both variables from the environment they inherit."""
    made = None if configured else tempfile.mkdtemp(prefix="huzhu-metrics-")
    directory = configured or made
    assert directory is not None
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    os.environ["HUZHU_METRICS__MULTIPROCESS_DIR"] = directory
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again for the
    # handler it found: this one, which unwinds to the cleanup below instead of dying
    # there, and ends the process by the same signal afterwards.
    previous = signal.signal(signal.SIGTERM, _unwind)
    terminated = False
    try:
        yield
    except _Terminated:
        terminated = True
    finally:
        signal.signal(signal.SIGTERM, previous)
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
    if terminated:
        signal.raise_signal(signal.SIGTERM)


class _Terminated(Exception):
    pass


def _unwind(signum: int, frame: object) -> None:
    raise _Terminated


def serve(
    host: str = typer.Option("127.0.0.1", help="address to bind"),
    port: int = typer.Option(8000, help="port to bind"),
    workers: int = typer.Option(1, min=1, help="worker processes"),
    migrate: bool = typer.Option(True, help="run migrations before serving"),
    log_level: str = typer.Option("info", help="uvicorn log level"),
    access_log: bool = typer.Option(
        True, help="log each request (method, path with tokens redacted, status, time; no IP)"
    ),
) -> None:
    """Serve Huzhu over HTTP. Settings come from HUZHU_* variables (see the README)."""
    settings = load_settings()
    refuse_to_start_unsafe(settings)
    if workers > settings.db.processes:
        # The workers read their settings afresh: each takes its share of
        # HUZHU_DB__MAX_CONNECTIONS (DatabaseSettings.pool_sizes).
        os.environ["HUZHU_DB__PROCESSES"] = str(workers)
    if migrate:
        run_migrations(settings.db.sqlalchemy_url)
    with metrics_directory(settings.metrics.multiprocess_dir):
        uvicorn.run(
            "huzhu.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            access_log=False,  # uvicorn's line has the raw target: huzhu.access logs instead
            # The client address (hashed at once, never kept: a network signal of the
            # fake-assist defence) is the TCP peer's, unless that peer is a proxy we were
            # told to trust: then X-Forwarded-For's last untrusted hop.
            proxy_headers=bool(settings.web.trusted_proxies),
            forwarded_allow_ips=settings.web.trusted_proxies or None,
            log_config=log_config(
                json_lines=settings.log.format == "json", level=log_level, access=access_log
            ),
            # uvicorn's supervisor kills a worker that has not finished starting (imports,
            # lifespan: job runner, hot-path pool) within this many seconds, then starts
            # another: on a loaded machine 5 s (its default) restarts workers forever.
            timeout_worker_healthcheck=60,
        )
