"""`huzhu demo`: migrate an embedded database, seed a demo shop, and serve it."""

from __future__ import annotations

import os

import typer
from rich.console import Console
from rich.table import Table

from huzhu.config import load_settings
from huzhu.db import Database
from huzhu.migrations import run_migrations
from huzhu.seed import (
    DEMO_ANALYST_EMAIL,
    DEMO_ANALYST_PASSWORD,
    DEMO_OWNER_EMAIL,
    DEMO_OWNER_PASSWORD,
    PARTICIPANTS,
    seed_demo,
)


def local_base_url(host: str, port: int) -> str:
    """The address a person on this machine opens the demo at."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 (a name we map, not a bind)
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def demo(
    host: str = typer.Option("127.0.0.1", help="address to bind"),
    port: int = typer.Option(8000, help="port to bind"),
    serve_after: bool = typer.Option(True, "--serve/--no-serve", help="serve after seeding"),
) -> None:
    """Seed a demo shop into the configured database — an owner and an analyst login, one
    live campaign of each kind with participants, instances and assists — print the URLs
    and logins, and serve. Running it again adds nothing twice."""
    base = local_base_url(host, port)
    settings = load_settings()
    if "base_url" not in settings.model_fields_set:
        # Share links and their QR codes carry HUZHU_BASE_URL: unless it was set, it is
        # where this demo serves (the server started below reads it from the environment).
        os.environ["HUZHU_BASE_URL"] = base
        settings = load_settings()
    run_migrations(settings.db.sqlalchemy_url)
    db = Database(settings.db)
    try:
        summary = seed_demo(db, settings)
    finally:
        db.dispose()
    console = Console()
    table = Table(title="Huzhu demo", show_header=False)
    table.add_row("Participant pages", f"{base}/  (sign in at {base}/signin)")
    table.add_row("Operator console", f"{base}/console")
    table.add_row("API docs", f"{base}/docs")
    table.add_row("Health", f"{base}/healthz")
    table.add_row("Owner login", f"{DEMO_OWNER_EMAIL} / {DEMO_OWNER_PASSWORD}")
    table.add_row("Analyst login", f"{DEMO_ANALYST_EMAIL} / {DEMO_ANALYST_PASSWORD}")
    table.add_row("Participants", "sign in by name, e.g. " + ", ".join(list(PARTICIPANTS)[:4]))
    for number, line in enumerate(summary):
        table.add_row("Seeded" if number == 0 else "", line)
    console.print(table)
    if serve_after:
        from huzhu.cli.serve import serve

        serve(host=host, port=port, workers=1, migrate=False, log_level="info", access_log=True)
