"""`huzhu audit verify`: check every shop's audit chain and name its first bad entry.

It re-hashes each entry from its stored fields and follows the links from the chain's
base (where retention stopped) to its head: an edited entry no longer gives its hash, a
removed one leaves a gap, an inserted one breaks a link. Exit 0 only when every chain
holds; 1 with the shop, entry and what is wrong otherwise.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from huzhu.audit import service as audit
from huzhu.config import load_settings
from huzhu.db import Database

app = typer.Typer(help="The operators' audit log.", no_args_is_help=True)

EXIT_BROKEN = 1


@app.command("verify")
def verify(
    shop: int | None = typer.Option(None, "--shop", min=1, help="only this shop's chain"),
) -> None:
    """Check the audit log's hash chains: exit 0 if no entry was edited or removed."""
    console = Console()
    settings = load_settings()
    database = Database(settings.db)
    try:
        with database.unit_of_work() as session:
            reports = audit.verify(session, shop_id=shop)
    finally:
        database.dispose()
    table = Table("shop", "entries checked", "from", "to", "state")
    broken = [r for r in reports if r.fault is not None]
    for r in reports:
        table.add_row(
            str(r.shop_id),
            str(r.checked),
            str(r.base_seq),
            str(r.head_seq),
            "[green]intact[/green]" if r.fault is None else f"[red]{r.fault.fault}[/red]",
        )
    console.print(table)
    for r in broken:
        assert r.fault is not None
        where = f"entry {r.fault.entry_id}" if r.fault.entry_id is not None else "the chain's end"
        seq = f" (seq {r.fault.seq})" if r.fault.seq is not None else ""
        console.print(f"[red]shop {r.shop_id}: {where}{seq}: {r.fault.detail}[/red]")
    if broken:
        raise typer.Exit(EXIT_BROKEN)
    console.print(f"[green]{len(reports)} chain(s) intact[/green]")
