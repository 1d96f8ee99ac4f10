"""Queries on idempotency_record. UNIQUE(principal, key) is what makes a key run once:
the first insert wins, every other request finds the row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from huzhu.db.batches import delete_batch
from huzhu.idempotency.models import IdempotencyRecord
from huzhu.idempotency.rules import RecordState


def insert_in_progress(session: Session, values: dict[str, Any]) -> int | None:
    """The new record's id, or None when (principal, key) exists already."""
    postgres = session.get_bind().dialect.name == "postgresql"
    dialect_insert = postgresql.insert if postgres else sqlite.insert
    stmt = (
        dialect_insert(IdempotencyRecord)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["principal", "key"])
        .returning(IdempotencyRecord.id)
    )
    found = session.scalars(stmt).first()
    return int(found) if found is not None else None


def find(session: Session, *, principal: str, key: str) -> IdempotencyRecord | None:
    return session.scalars(
        select(IdempotencyRecord).where(
            IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
        )
    ).one_or_none()


def _rowcount(result: Any) -> int:
    cursor: CursorResult[Any] = result
    return int(cursor.rowcount)


def take_over(
    session: Session, *, record_id: int, stale_until: datetime, locked_until: datetime
) -> bool:
    """Claim an in_progress record whose holder's lock ran out (it crashed)."""
    return (
        _rowcount(
            session.execute(
                update(IdempotencyRecord)
                .where(
                    IdempotencyRecord.id == record_id,
                    IdempotencyRecord.state == RecordState.IN_PROGRESS,
                    IdempotencyRecord.locked_until == stale_until,
                )
                .values(locked_until=locked_until)
                .execution_options(synchronize_session=False)
            )
        )
        == 1
    )


def complete(
    session: Session, *, record_id: int, locked_until: datetime, values: dict[str, Any]
) -> bool:
    # locked_until is the holder's fence: after a take-over, the old holder's late
    # answer does not overwrite the new one.
    return (
        _rowcount(
            session.execute(
                update(IdempotencyRecord)
                .where(
                    IdempotencyRecord.id == record_id,
                    IdempotencyRecord.state == RecordState.IN_PROGRESS,
                    IdempotencyRecord.locked_until == locked_until,
                )
                .values(state=RecordState.DONE, **values)
                .execution_options(synchronize_session=False)
            )
        )
        == 1
    )


def release(session: Session, *, record_id: int, locked_until: datetime) -> None:
    session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.id == record_id,
            IdempotencyRecord.state == RecordState.IN_PROGRESS,
            IdempotencyRecord.locked_until == locked_until,
        )
    )


def delete_expired(session: Session, *, record_id: int, created_before: datetime) -> None:
    session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.id == record_id, IdempotencyRecord.created_at < created_before
        )
    )


def purge_created_before(session: Session, before: datetime, *, limit: int) -> int:
    """Forget up to `limit` done records past their time, and in_progress ones abandoned
    as long."""
    return delete_batch(
        session, IdempotencyRecord, IdempotencyRecord.created_at < before, limit=limit
    )
