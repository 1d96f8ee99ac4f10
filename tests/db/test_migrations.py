"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import huzhu.all_models  # noqa: F401
from huzhu.db import Base, Database


def test_models_and_migrations_agree(database: Database) -> None:
    with database.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_budget_check_constraint_exists_in_database(database: Database) -> None:
    from sqlalchemy import inspect

    checks = inspect(database.engine).get_check_constraints("campaign")
    names = {c["name"] for c in checks}
    assert "ck_campaign_budget_within_limit" in names


def _revision_installs() -> list[tuple[str, str]]:
    """(revision, hot path function version) of every revision that installs one."""
    import importlib.util

    from huzhu.migrations import HERE

    found = []
    for path in sorted((HERE / "versions").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"rev_{path.stem}", path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if hasattr(module, "INSTALLS"):
            found.append((module.revision, module.INSTALLS))
    return found


def test_the_newest_revision_installs_the_hot_path_functions_the_code_calls() -> None:
    """The functions' names carry a hash of their bodies: a changed body is a new version
    that a new revision must install (an older revision installs only its own)."""
    from huzhu.assists.hotpath.repository.postgres import VERSION as PG_VERSION

    installs = _revision_installs()
    assert installs, "no revision installs the hot path's functions"
    revision, version = installs[-1]
    assert version == PG_VERSION, (
        f"the hot path's PostgreSQL functions changed (version {PG_VERSION}); revision "
        f"{revision} installs {version}: add a revision with INSTALLS = {PG_VERSION!r}"
    )


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_migrations_create_every_function_the_hot_path_calls(database: Database) -> None:
    from sqlalchemy import text

    from huzhu.assists.hotpath.repository import postgres as hot

    with database.engine.connect() as conn:
        names = set(conn.scalars(text("SELECT proname FROM pg_proc WHERE proname LIKE 'huzhu%'")))
    wanted = {
        hot.GIVE_FUNCTION,
        hot.COUNT_HELD_FUNCTION,
        f"huzhu_count_on_slot_{hot.VERSION}",
    }
    assert wanted <= names
