"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

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
