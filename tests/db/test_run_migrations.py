"""The embedded database can be created where no folder exists yet (a fresh checkout)."""

from __future__ import annotations

from pathlib import Path

from huzhu.migrations import run_migrations


def test_migrating_creates_the_sqlite_folder(tmp_path: Path) -> None:
    target = tmp_path / "var" / "nested" / "huzhu.db"
    run_migrations(f"sqlite:///{target}")
    assert target.exists()
