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

from pathlib import Path

import typer
from rich.console import Console

from huzhu.campaigns.rules.lottery import launch_check, verify_record
from huzhu.cli.public_record import (
    EXIT_UNREADABLE,
    HEX64,
    fetch,
    load,
    mismatch,
    report,
    saved_commitment,
)


def _launch_commitment(given: str | None, url: str | None, console: Console) -> tuple[str, str]:
    """The commitment published at launch and where it came from."""
    if given is not None:
        return saved_commitment(given, console), "the commitment you gave"
    if url is None or not url.rstrip("/").endswith("/draw"):
        console.print(
            "[red]a saved record cannot vouch for itself: give --commitment, the commitment "
            "the campaign published at launch (on its page and in its rules)[/red]"
        )
        raise typer.Exit(EXIT_UNREADABLE)
    public = url.rstrip("/").removesuffix("/draw") + "/public"
    view = fetch(public, "the campaign's public rules", console)
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
    record = load(url, file, "the draw record", console)
    launch, source = _launch_commitment(commitment, url, console)
    checks = [*verify_record(record), launch_check(record, launch, source=source)]
    if report(console, f"Draw of campaign {record.get('campaign_id', '?')}", checks):
        winners = record.get("winners", [])
        console.print(
            f"[bold green]VERIFIED[/bold green]: the seed matches the commitment published "
            f"at launch ({source}) and the {len(winners)} winner(s) follow from the seed "
            "and the entries."
        )
        return
    raise mismatch(console, "this draw", checks)
