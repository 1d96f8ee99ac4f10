"""The Database object itself: what stays true across dispose()."""

from __future__ import annotations

from sqlalchemy import text

from huzhu.db import Database
from tests.conftest import make_settings


def test_a_disposed_database_serves_the_next_unit_of_work_and_writer_call(
    sqlite_url: str,
) -> None:
    """An app's lifespan may end (dispose) and start again around the same Database, as
    a test client does per session: the writer thread and the pool come back."""
    db = Database(make_settings(sqlite_url).db)
    try:
        first = db.sqlite_writer()
        assert first is not None
        assert first.submit(lambda: 1).result() == 1
        db.dispose()
        again = db.sqlite_writer()
        assert again is not None
        assert again is not first
        assert again.submit(lambda: 2).result() == 2
        with db.unit_of_work() as s:
            assert s.execute(text("SELECT 1")).scalar() == 1
    finally:
        db.dispose()
