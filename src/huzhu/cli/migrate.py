"""`huzhu migrate`: bring the database to the newest schema."""

from __future__ import annotations

import typer
from rich.console import Console

from huzhu.config import load_settings
from huzhu.migrations import run_migrations


def migrate(
    database_url: str = typer.Option(
        None, "--database-url", envvar="HUZHU_DATABASE_URL", help="sqlite:///path or postgresql://…"
    ),
) -> None:
    """Run all migrations (SQLite or PostgreSQL, chosen by HUZHU_DATABASE_URL)."""
    settings = load_settings(database_url=database_url) if database_url else load_settings()
    run_migrations(settings.db.sqlalchemy_url)
    Console().print(f"[green]migrated[/green] {_redact(settings.db.url)}")


def _redact(url: str) -> str:
    """The URL without a password, for printing."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}@{host}"
