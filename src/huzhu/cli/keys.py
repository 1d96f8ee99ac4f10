"""`huzhu keys`: the versions of the hashing key and what each one still finds — the
step before retiring a version (README: rotating the hashing key)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from huzhu.accounts import service as accounts
from huzhu.config import load_settings
from huzhu.db import Database


def keys() -> None:
    """Show, per hashing key version, the accounts and the carried restrictions in force
    whose login hash it made (exit 1 when a version no longer configured still has
    some: those logins are no longer recognised)."""
    settings = load_settings()
    ring = settings.security.hash_keyring()
    db = Database(settings.db)
    try:
        with db.unit_of_work() as session:
            found = accounts.logins_by_key_version(session)
    finally:
        db.dispose()
    table = Table()
    for column in ("version", "key", "accounts", "carried restrictions in force"):
        table.add_column(column)
    lost = False
    for version in sorted(set(found) | set(ring.keys)):
        n_accounts, n_carried = found.get(version, (0, 0))
        if version == ring.current:
            state = "current"
        elif version in ring.keys:
            state = "accepted"
        else:
            state = "[red]not configured[/red]"
            lost = lost or n_accounts + n_carried > 0
        table.add_row(version, state, str(n_accounts), str(n_carried))
    Console().print(table)
    if lost:
        raise typer.Exit(1)
