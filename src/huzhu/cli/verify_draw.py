"""`huzhu verify-draw`: re-check a lottery draw from its public record.

Anyone — a participant, a journalist, a regulator — can run this against the record the
API publishes (`GET /api/v1/campaigns/{id}/draw`) or a saved copy. It recomputes SHA-256
of the revealed seed and compares it with the record's commitment, re-runs the draw
algorithm on the record's seed, entries and prizes and compares the winners — and
compares the record's commitment with the one published at launch, before anyone could
enter: `--commitment` as the person saved it then (the independent check), or else,
with `--url`, the one the campaign's public rules carry. Without that last check a
forged record (a fresh seed with a commitment made to match) would verify against
itself. Exit 0 only when every check passes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from huzhu.campaigns.rules.lottery import launch_check, verify_record

EXIT_MISMATCH = 1
EXIT_UNREADABLE = 2


HEX64 = re.compile(r"[0-9a-f]{64}")


def _fetch(url: str, what: str, console: Console) -> object:
    try:
        response = httpx.get(url, timeout=30, follow_redirects=False)
        if response.status_code != 200:
            console.print(f"[red]GET {url} answered HTTP {response.status_code}[/red]")
            raise typer.Exit(EXIT_UNREADABLE)
        return response.json()
    except (httpx.HTTPError, ValueError) as exc:
        console.print(f"[red]could not read {what}: {type(exc).__name__}: {exc}[/red]")
        raise typer.Exit(EXIT_UNREADABLE) from exc


def _load(url: str | None, file: Path | None, console: Console) -> dict[str, Any]:
    if (url is None) == (file is None):
        console.print("[red]give exactly one of --url or --file[/red]")
        raise typer.Exit(EXIT_UNREADABLE)
    if url is not None:
        data = _fetch(url, "the draw record", console)
    else:
        assert file is not None
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            console.print(f"[red]could not read the draw record: {type(exc).__name__}: {exc}[/red]")
            raise typer.Exit(EXIT_UNREADABLE) from exc
    if not isinstance(data, dict):
        console.print("[red]the draw record is not a JSON object[/red]")
        raise typer.Exit(EXIT_UNREADABLE)
    return data


def _launch_commitment(given: str | None, url: str | None, console: Console) -> tuple[str, str]:
    """The commitment published at launch and where it came from."""
    if given is not None:
        launch = given.strip().lower()
        if not HEX64.fullmatch(launch):
            console.print("[red]--commitment must be 64 hexadecimal characters[/red]")
            raise typer.Exit(EXIT_UNREADABLE)
        return launch, "the commitment you gave"
    if url is None or not url.rstrip("/").endswith("/draw"):
        console.print(
            "[red]a saved record cannot vouch for itself: give --commitment, the commitment "
            "the campaign published at launch (on its page and in its rules)[/red]"
        )
        raise typer.Exit(EXIT_UNREADABLE)
    public = url.rstrip("/").removesuffix("/draw") + "/public"
    view = _fetch(public, "the campaign's public rules", console)
    lottery = view.get("lottery") if isinstance(view, dict) else None
    found = lottery.get("commitment_hex") if isinstance(lottery, dict) else None
    if not isinstance(found, str) or not HEX64.fullmatch(found.lower()):
        console.print(f"[red]{public} carries no lottery commitment[/red]")
        raise typer.Exit(EXIT_UNREADABLE)
    return found.lower(), "the campaign's public rules"


def verify_draw(
    url: str | None = typer.Option(
        None, "--url", help="the public record, e.g. http://host/api/v1/campaigns/7/draw"
    ),
    file: Path | None = typer.Option(
        None, "--file", exists=True, dir_okay=False, help="a saved draw record (JSON)"
    ),
    commitment: str | None = typer.Option(
        None,
        "--commitment",
        help="the commitment published at launch, as you saved it (needed with --file; "
        "with --url the campaign's public rules are read when it is left out)",
    ),
) -> None:
    """Check that a lottery draw is what its seed, entries and launch commitment say:
    exit 0 if it is."""
    console = Console()
    record = _load(url, file, console)
    launch, source = _launch_commitment(commitment, url, console)
    checks = [*verify_record(record), launch_check(record, launch, source=source)]
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
            f"[bold green]VERIFIED[/bold green]: the seed matches the commitment published "
            f"at launch ({source}) and the {len(winners)} winner(s) follow from the seed "
            "and the entries."
        )
        return
    failed = ", ".join(check.name for check in checks if not check.ok)
    console.print(f"[bold red]MISMATCH[/bold red]: this draw does not verify ({failed}).")
    raise typer.Exit(EXIT_MISMATCH)
