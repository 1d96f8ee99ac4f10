"""Alembic migrations: one linear history that runs on SQLite and PostgreSQL.

`run_migrations(url)` is what `huzhu migrate` and the tests call; no alembic.ini is
needed because the configuration is built here.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

HERE = Path(__file__).parent


def alembic_config(sqlalchemy_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", sqlalchemy_url.replace("%", "%%"))
    cfg.set_main_option("path_separator", "os")
    return cfg


def run_migrations(sqlalchemy_url: str, revision: str = "head") -> None:
    if sqlalchemy_url.startswith("sqlite:///") and ":memory:" not in sqlalchemy_url:
        # A fresh checkout has no var/: the embedded database's folder is made here, since
        # migrating is the first thing `huzhu demo` and `huzhu serve` do.
        Path(sqlalchemy_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(sqlalchemy_url), revision)


def head_revision() -> str | None:
    """The newest revision this code ships."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision the connected database is at (None before the first migration)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()
