"""`huzhu check`: the settings that are fine for a demo and unsafe in production, for any
environment — the same findings `HUZHU_ENV=production` refuses to start with."""

from __future__ import annotations

import os

import typer
from rich.console import Console
from rich.table import Table

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


def check() -> None:
    """Print the settings a production service must not run with (exit 1 when
    HUZHU_ENV=production has any: it would refuse to start)."""
    settings = load_settings()
    findings = findings_of(settings)
    console = Console()
    if not findings:
        console.print(f"HUZHU_ENV={settings.env}: nothing unsafe for production.")
        return
    where = "refuses to start" if settings.env == "production" else "would refuse to start"
    console.print(f"HUZHU_ENV={settings.env}: production mode {where} with these settings:")
    console.print(_table(findings))
    if settings.env == "production":
        raise typer.Exit(1)
