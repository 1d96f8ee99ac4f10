"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

import json

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

import huzhu.all_models  # noqa: F401
from huzhu.db import Base, Database
from huzhu.migrations import alembic_config


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


def test_0005_gives_existing_versions_their_description_and_priced_keys(
    database: Database,
) -> None:
    """Upgrading a database that holds campaigns: each version takes its campaign's
    description, bargain and group-buy snapshots name no item (so an edit of an older
    campaign compares like with like), others are left as they were; and back down."""
    url = database.engine.url.render_as_string(hide_password=False)
    command.downgrade(alembic_config(url), "0005-1")
    rules = {
        "bargain": {"kind": "bargain", "price_cents": 100},
        "unlock": {"kind": "unlock", "reward_cents": 5},
    }
    now = "2026-01-01 00:00:00"
    with database.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO shop (id, slug, name, created_at) VALUES (1, 's', 'S', :t)"),
            {"t": now},
        )
        for cid, kind in enumerate(rules, start=1):
            conn.execute(
                text(
                    "INSERT INTO campaign (id, shop_id, kind, name, description, channel, "
                    "status, version, budget_cents, budget_reserved_cents, budget_spent_cents,"
                    " inventory_total, inventory_reserved, inventory_used, created_at, "
                    "updated_at) VALUES (:id, 1, :kind, 'c', :d, 'web', 'live', 1, 100, 0, "
                    "0, 1, 0, 0, :t, :t)"
                ),
                {"id": cid, "kind": kind, "d": f"words of {kind}", "t": now},
            )
            conn.execute(
                text(
                    "INSERT INTO campaign_version (id, campaign_id, version, rules, created_at)"
                    " VALUES (:id, :id, 1, :rules, :t)"
                ),
                {"id": cid, "rules": json.dumps(rules[kind]), "t": now},
            )
    command.upgrade(alembic_config(url), "head")

    def versions() -> dict[int, tuple[str | None, dict[str, object]]]:
        with database.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, rules FROM campaign_version")).all()
            described = (
                dict(conn.execute(text("SELECT id, description FROM campaign_version")).all())
                if "description" in _columns(conn)
                else {}
            )
        return {
            r.id: (
                described.get(r.id),
                r.rules if isinstance(r.rules, dict) else json.loads(r.rules),
            )
            for r in rows
        }

    assert versions() == {
        1: (
            "words of bargain",
            {"kind": "bargain", "price_cents": 100, "item_id": None, "reference_window_days": 7},
        ),
        2: ("words of unlock", {"kind": "unlock", "reward_cents": 5}),
    }
    command.downgrade(alembic_config(url), "0005-1")
    assert versions() == {1: (None, rules["bargain"]), 2: (None, rules["unlock"])}
    command.upgrade(alembic_config(url), "head")


def _columns(conn: Connection) -> set[str]:
    return {c["name"] for c in inspect(conn).get_columns("campaign_version")}
