"""`huzhu verify-draw`: re-check a lottery draw from its public record alone.

Anyone — a participant, a journalist, a regulator — can run this against the record the
API publishes (`GET /api/v1/campaigns/{id}/draw`) or a saved copy. It trusts nothing but
the record: it recomputes SHA-256 of the revealed seed and compares it with the
commitment published at launch, then re-runs the draw algorithm on the record's seed,
entries and prizes and compares the winners. Exit 0 only when every check passes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from huzhu.campaigns.rules.lottery import verify_record

EXIT_MISMATCH = 1
EXIT_UNREADABLE = 2


def _load(url: str | None, file: Path | None, console: Console) -> dict[str, Any]:
    if (url is None) == (file is None):
        console.print("[red]give exactly one of --url or --file[/red]")
        raise typer.Exit(EXIT_UNREADABLE)
    try:
        if url is not None:
            response = httpx.get(url, timeout=30, follow_redirects=False)
            if response.status_code != 200:
                console.print(f"[red]GET {url} answered HTTP {response.status_code}[/red]")
                raise typer.Exit(EXIT_UNREADABLE)
            data = response.json()
        else:
            assert file is not None
            data = json.loads(file.read_text(encoding="utf-8"))
    except (httpx.HTTPError, OSError, ValueError) as exc:
        console.print(f"[red]could not read the draw record: {type(exc).__name__}: {exc}[/red]")
        raise typer.Exit(EXIT_UNREADABLE) from exc
    if not isinstance(data, dict):
        console.print("[red]the draw record is not a JSON object[/red]")
        raise typer.Exit(EXIT_UNREADABLE)
    return data


def verify_draw(
    url: str | None = typer.Option(
        None, "--url", help="the public record, e.g. http://host/api/v1/campaigns/7/draw"
    ),
    file: Path | None = typer.Option(
        None, "--file", exists=True, dir_okay=False, help="a saved draw record (JSON)"
    ),
) -> None:
    """Check that a lottery draw is what its seed and entries say: exit 0 if it is."""
    console = Console()
    record = _load(url, file, console)
    checks = verify_record(record)
    table = Table(title=f"Draw of campaign {record.get('campaign_id', '?')}")
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail")
    for check in checks:
        verdict = "[green]pass[/green]" if check.ok else "[red]FAIL[/red]"
        table.add_row(check.name, verdict, check.detail)
    console.print(table)
    if all(check.ok for check in checks):
        winners = record.get("winners", [])
        console.print(
            f"[bold green]VERIFIED[/bold green]: the seed matches the commitment and the "
            f"{len(winners)} winner(s) follow from the seed and the entries."
        )
        return
    failed = ", ".join(check.name for check in checks if not check.ok)
    console.print(f"[bold red]MISMATCH[/bold red]: this draw does not verify ({failed}).")
    raise typer.Exit(EXIT_MISMATCH)
