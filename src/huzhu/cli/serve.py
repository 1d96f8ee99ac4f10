"""`huzhu serve`: the web service (API, pages, and in embedded mode the job worker)."""

from __future__ import annotations

import copy
from typing import Any

import typer
import uvicorn
import uvicorn.config

from huzhu.cli.check import refuse_to_start_unsafe
from huzhu.config import load_settings
from huzhu.migrations import run_migrations


def log_config() -> dict[str, Any]:
    """uvicorn's logging without the client address: an IP is personal data and is never
    logged (DESIGN, privacy). Request lines carry paths only — no bodies, no headers."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["formatters"]["access"]["fmt"] = '%(levelprefix)s "%(request_line)s" %(status_code)s'
    config["loggers"]["huzhu"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def serve(
    host: str = typer.Option("127.0.0.1", help="address to bind"),
    port: int = typer.Option(8000, help="port to bind"),
    workers: int = typer.Option(1, min=1, help="worker processes"),
    migrate: bool = typer.Option(True, help="run migrations before serving"),
    log_level: str = typer.Option("info", help="uvicorn log level"),
    access_log: bool = typer.Option(True, help="log each request line (no bodies, no IPs kept)"),
) -> None:
    """Serve Huzhu over HTTP. Settings come from HUZHU_* variables (see the README)."""
    settings = load_settings()
    refuse_to_start_unsafe(settings)
    if migrate:
        run_migrations(settings.db.sqlalchemy_url)
    uvicorn.run(
        "huzhu.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=access_log,
        # The client address (hashed at once, never kept: a network signal of the
        # fake-assist defence) is the TCP peer's, unless that peer is a proxy we were told
        # to trust: then X-Forwarded-For's last untrusted hop.
        proxy_headers=bool(settings.web.trusted_proxies),
        forwarded_allow_ips=settings.web.trusted_proxies or None,
        log_config=log_config(),
        # uvicorn's supervisor kills a worker that has not finished starting (imports,
        # lifespan: job runner, hot-path pool) within this many seconds, then starts
        # another: on a loaded machine 5 s (its default) restarts workers forever.
        timeout_worker_healthcheck=60,
    )
