"""Migration 0011 on both backends: entries written before the chain keep every fact,
their words move to erasable notes, and they are sealed into a chain that verifies."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from huzhu.audit import service as audit
from huzhu.audit.schemas import AuditFilter
from huzhu.db import Database
from huzhu.migrations import alembic_config, run_migrations
from huzhu.pagination import PageParams
from tests.conftest import make_settings
from tests.factories import make_participant, make_shop


def test_old_entries_keep_their_facts_and_their_words_move_to_notes(db_url: str) -> None:
    settings = make_settings(db_url)
    database = Database(settings.db)
    with database.unit_of_work() as s:
        shop_id = make_shop(s)
        account_id, _ = make_participant(s, settings, shop_id=shop_id, name="old")
    database.dispose()
    command.downgrade(alembic_config(db_url), "0008")
    engine = sa.create_engine(settings.db.sqlalchemy_url)
    with engine.begin() as c:
        for actor, reason in ((f"account:{account_id}", "my classmates"), ("rule:spam", "")):
            c.execute(
                sa.text(
                    "INSERT INTO audit_entry (shop_id, actor, action, subject_type, subject_id,"
                    " account_id, reason, details, created_at) VALUES (:s, :a, 'appeal.filed',"
                    " 'appeal', 9, :acc, :r, '{\"k\": 1}', '2026-12-01 08:00:00.000000')"
                ),
                {"s": shop_id, "a": actor, "acc": account_id, "r": reason},
            )
    engine.dispose()
    run_migrations(db_url)
    database = Database(settings.db)
    with database.unit_of_work() as s:
        views, _ = audit.list_entries(s, PageParams(), shop_id=shop_id, where=AuditFilter())
        reports = audit.verify(s, shop_id=shop_id)
    with database.unit_of_work() as s:
        assert audit.erase_notes_of(s, account_id) == 1
    with database.unit_of_work() as s:
        after = audit.verify(s, shop_id=shop_id)
    database.dispose()
    assert [(v.seq, v.actor, v.reason, v.details) for v in reversed(views)] == [
        (1, f"account:{account_id}", "my classmates", {"k": 1}),
        (2, "rule:spam", "", {"k": 1}),
    ]
    assert [(r.fault, r.checked) for r in reports] == [(None, 2)]
    assert [(r.fault, r.checked) for r in after] == [(None, 3)]
