"""Entries for the audit tests, written and committed the way the code writes them."""

from __future__ import annotations

from sqlalchemy import text

from huzhu.audit import service as audit
from huzhu.db import Database


def record_some(
    db: Database, shop_id: int, count: int, *, actor: str = "operator:1", reason: str = ""
) -> list[int]:
    """`count` entries in one unit of work (sealed as it commits); their ids."""
    with db.unit_of_work() as s:
        return [
            audit.record(
                s,
                shop_id=shop_id,
                actor=actor,
                action="assists.read",
                subject_type="instance",
                subject_id=100 + i,
                account_id=None,
                reason=reason,
                details={"n": i, "note": "ünïcode 助力"},
            ).id
            for i in range(count)
        ]


def execute(db: Database, sql: str, **params: object) -> None:
    """Tamper with the database directly, as someone with its password could."""
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)
