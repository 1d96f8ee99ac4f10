"""`huzhu check`: the settings that are fine for a demo and unsafe in production, for any
environment — the same findings `HUZHU_ENV=production` refuses to start with — and, on
PostgreSQL, a connection budget the server cannot honour."""

from __future__ import annotations

import os

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from huzhu.config import (
    Finding,
    Settings,
    UnsafeForProduction,
    load_settings,
    production_findings,
    unknown_variables,
)


def _table(findings: list[Finding]) -> Table:
    table = Table(show_lines=True)
    table.add_column("setting", style="bold", no_wrap=True)
    table.add_column("problem")
    table.add_column("fix")
    for f in findings:
        table.add_row(f.setting, f.problem, f.fix)
    return table


def findings_of(settings: Settings) -> list[Finding]:
    """The unsafe settings, and the HUZHU_* variables of this process that are none."""
    return production_findings(settings) + unknown_variables(os.environ)


def refuse_to_start_unsafe(settings: Settings) -> None:
    """For `serve` and `worker`: in production mode, name every unsafe setting (and every
    misspelt one) and exit 2 before anything starts."""
    if settings.env != "production":
        return
    findings = findings_of(settings)
    if findings:
        # Plain lines, one per setting: what a service manager's log shows whole.
        typer.echo(str(UnsafeForProduction(findings)), err=True)
        raise typer.Exit(2)


def connection_findings(settings: Settings) -> list[Finding]:
    """PostgreSQL: HUZHU_DB__MAX_CONNECTIONS above what the server lets clients hold
    (its max_connections less the superusers' reserve): under load the processes would
    open more than it allows, and it refuses them ("too many clients"). Asks the server;
    nothing when it cannot be reached (or on SQLite)."""
    if settings.db.is_sqlite:
        return []
    engine = create_engine(settings.db.sqlalchemy_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            limit = int(conn.exec_driver_sql("SHOW max_connections").scalar_one())
            reserved = int(conn.exec_driver_sql("SHOW superuser_reserved_connections").scalar_one())
    except SQLAlchemyError:
        return []
    finally:
        engine.dispose()
    allowed = limit - reserved
    if settings.db.max_connections <= allowed:
        return []
    return [
        Finding(
            "HUZHU_DB__MAX_CONNECTIONS",
            f"is {settings.db.max_connections} but the PostgreSQL server lets clients hold "
            f"{allowed} connections (max_connections {limit} less {reserved} reserved): "
            "under load it would refuse Huzhu's processes",
            f"set it to at most {allowed}, less what other clients of the server use, or "
            "raise the server's max_connections",
        )
    ]


def check() -> None:
    """Print the settings a production service must not run with (exit 1 when
    HUZHU_ENV=production has any: it would refuse to start), and a connection budget
    the PostgreSQL server cannot honour."""
    settings = load_settings()
    console = Console()
    capacity = connection_findings(settings)
    if capacity:
        console.print("The database cannot give the connections these settings let Huzhu open:")
        console.print(_table(capacity))
    findings = findings_of(settings)
    if not findings:
        console.print(f"HUZHU_ENV={settings.env}: nothing unsafe for production.")
        return
    where = "refuses to start" if settings.env == "production" else "would refuse to start"
    console.print(f"HUZHU_ENV={settings.env}: production mode {where} with these settings:")
    console.print(_table(findings))
    if settings.env == "production":
        raise typer.Exit(1)
