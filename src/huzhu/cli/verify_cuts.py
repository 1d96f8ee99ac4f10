"""`huzhu verify-cuts`: re-check a bargain's cuts from its public cut record.

Anyone can run this against the record the API publishes (`GET
/api/v1/instances/{id}/cuts`) or a saved copy, once the bargain no longer runs (its
seed is revealed then, never before). It recomputes SHA-256 of the seed and compares it
with the commitment shown when the bargain started — `--commitment`, as the person saved
it from the activity's page: a record cannot vouch for itself, since a forged one with a
fresh seed and a matching commitment would agree with itself — re-derives every cut
from the seed and the terms, and checks each cut a counted assist holds. Exit 0 only
when every check passes.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from huzhu.campaigns.rules.bargain import verify_cut_record
from huzhu.campaigns.rules.lottery import launch_check
from huzhu.cli.public_record import load, mismatch, report, saved_commitment

START_SOURCE = "shown when the bargain started"


def verify_cuts(
    commitment: str = typer.Option(
        ...,
        "--commitment",
        help="the commitment shown on the bargain's page when it started, as you saved it",
    ),
    url: str | None = typer.Option(
        None, "--url", help="the public record, e.g. http://host/api/v1/instances/7/cuts"
    ),
    file: Path | None = typer.Option(
        None, "--file", exists=True, dir_okay=False, help="a saved cut record (JSON)"
    ),
) -> None:
    """Check that a bargain's cuts are what its seed, terms and start commitment say:
    exit 0 if they are."""
    console = Console()
    record = load(url, file, "the cut record", console)
    start = saved_commitment(commitment, console)
    checks = [*verify_cut_record(record), launch_check(record, start, source=START_SOURCE)]
    if report(console, f"Cuts of bargain {record.get('instance_id', '?')}", checks):
        console.print(
            "[bold green]VERIFIED[/bold green]: the seed matches the commitment shown when "
            f"the bargain started, and all {len(record.get('cuts') or [])} cut(s) and the "
            f"{len(record.get('claimed') or [])} claimed follow from it."
        )
        return
    raise mismatch(console, "this bargain's cut record", checks)
