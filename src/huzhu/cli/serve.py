"""`huzhu serve`: the web service (API, pages, and in embedded mode the job worker)."""

from __future__ import annotations

import typer
import uvicorn

from huzhu.config import load_settings
from huzhu.migrations import run_migrations


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
        proxy_headers=False,
    )
