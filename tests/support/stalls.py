"""A database that cannot serve, made for real (no mock): SQLite's write lock held by
another connection, or a PostgreSQL database refusing every connection with the ones it
had cut (briefly down)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from tests.support import services


@contextmanager
def write_lock_taken(path: Path) -> Iterator[None]:
    """SQLite: another connection holds the write lock for the block."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


@contextmanager
def database_down(db_url: str) -> Iterator[None]:
    """PostgreSQL: the database of `db_url` takes no connection during the block, and
    the ones open when it starts are terminated."""
    name = db_url.rsplit("/", 1)[1]
    with psycopg.connect(services.postgres_admin_url_or_skip(), autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')  # type: ignore[arg-type]
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        try:
            yield
        finally:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')  # type: ignore[arg-type]
