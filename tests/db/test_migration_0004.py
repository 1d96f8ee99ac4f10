"""Migration 0004 on both backends: inbox messages written before the kinds keep their
words and get their kind's stable code; down and up again keeps the schema whole."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from huzhu.db import Database
from huzhu.migrations import alembic_config, run_migrations
from tests.conftest import make_settings
from tests.factories import make_participant, make_shop


def test_old_inbox_rows_keep_their_words_and_get_their_stable_kind(db_url: str) -> None:
    settings = make_settings(db_url)
    database = Database(settings.db)
    with database.unit_of_work() as s:
        account_id, _ = make_participant(s, settings, shop_id=make_shop(s), name="old")
    database.dispose()
    command.downgrade(alembic_config(db_url), "0003")
    engine = sa.create_engine(settings.db.sqlalchemy_url)
    with engine.begin() as c:
        for kind in ("lottery.won", "appeal.upheld", "something.else"):
            c.execute(
                sa.text(
                    "INSERT INTO inbox_message (account_id, kind, title, body, created_at)"
                    " VALUES (:a, :k, 'You won: mug', 'Your entry 3 won', :t)"
                ),
                {"a": account_id, "k": kind, "t": "2026-12-01 08:00:00.000000"},
            )
    run_migrations(db_url)
    with engine.connect() as c:
        rows = c.execute(
            sa.text("SELECT kind, title, body, params, push_state FROM inbox_message ORDER BY id")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("draw_result", "You won: mug", "Your entry 3 won", None, "none"),
        ("appeal_outcome", "You won: mug", "Your entry 3 won", None, "none"),
        ("something.else", "You won: mug", "Your entry 3 won", None, "none"),
    ]
