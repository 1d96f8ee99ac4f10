"""What the checks of public records share (`huzhu verify-draw`, `huzhu verify-cuts`):
reading a record from its URL or a saved file, the commitment a person saved when it
was published, and the table of checks with its verdict."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from huzhu.campaigns.rules.lottery import Check

EXIT_MISMATCH = 1
EXIT_UNREADABLE = 2
HEX64 = re.compile(r"[0-9a-f]{64}")


def fetch(url: str, what: str, console: Console) -> object:
    try:
        response = httpx.get(url, timeout=30, follow_redirects=False)
        if response.status_code != 200:
            console.print(f"[red]GET {url} answered HTTP {response.status_code}[/red]")
            raise typer.Exit(EXIT_UNREADABLE)
        return response.json()
    except (httpx.HTTPError, ValueError) as exc:
        console.print(f"[red]could not read {what}: {type(exc).__name__}: {exc}[/red]")
        raise typer.Exit(EXIT_UNREADABLE) from exc


def load(url: str | None, file: Path | None, what: str, console: Console) -> dict[str, Any]:
    """The record from exactly one of `url` and `file`, as a JSON object."""
    if (url is None) == (file is None):
        console.print("[red]give exactly one of --url or --file[/red]")
        raise typer.Exit(EXIT_UNREADABLE)
    if url is not None:
        data = fetch(url, what, console)
    else:
        assert file is not None
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            console.print(f"[red]could not read {what}: {type(exc).__name__}: {exc}[/red]")
            raise typer.Exit(EXIT_UNREADABLE) from exc
    if not isinstance(data, dict):
        console.print(f"[red]{what} is not a JSON object[/red]")
        raise typer.Exit(EXIT_UNREADABLE)
    return data


def saved_commitment(given: str, console: Console) -> str:
    """A commitment as the person saved it: 64 hex characters."""
    launch = given.strip().lower()
    if not HEX64.fullmatch(launch):
        console.print("[red]--commitment must be 64 hexadecimal characters[/red]")
        raise typer.Exit(EXIT_UNREADABLE)
    return launch


def report(console: Console, title: str, checks: Sequence[Check]) -> bool:
    """Print every check; True when all passed."""
    table = Table(title=title)
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail")
    for check in checks:
        verdict = "[green]pass[/green]" if check.ok else "[red]FAIL[/red]"
        table.add_row(check.name, verdict, check.detail)
    console.print(table)
    return all(check.ok for check in checks)


def mismatch(console: Console, what: str, checks: Sequence[Check]) -> typer.Exit:
    failed = ", ".join(check.name for check in checks if not check.ok)
    console.print(f"[bold red]MISMATCH[/bold red]: {what} does not verify ({failed}).")
    return typer.Exit(EXIT_MISMATCH)
