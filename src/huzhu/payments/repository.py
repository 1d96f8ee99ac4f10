"""Ledger queries of the local payment provider, written once and named by intent.

The key is claimed with INSERT … ON CONFLICT (key) DO NOTHING: on PostgreSQL a second
transaction inserting the same key waits for the first and then finds its row, so a
concurrent duplicate resolves to the first result instead of failing or paying twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from huzhu.payments.models import PaymentTxn
from huzhu.payments.schemas import PaymentOp, TxnState


def insert_unless_key_exists(session: Session, values: dict[str, Any]) -> int | None:
    """The new row's id, or None when a row with this key already exists."""
    postgres = session.get_bind().dialect.name == "postgresql"
    dialect_insert = postgresql.insert if postgres else sqlite.insert
    stmt = (
        dialect_insert(PaymentTxn)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(PaymentTxn.id)
    )
    return session.execute(stmt).scalar_one_or_none()


def by_key(session: Session, key: str) -> PaymentTxn | None:
    stmt = select(PaymentTxn).where(PaymentTxn.key == key)
    return session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()


def by_ref(session: Session, ref: str) -> PaymentTxn | None:
    stmt = select(PaymentTxn).where(PaymentTxn.ref == ref)
    return session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()


def by_id(session: Session, txn_id: int) -> PaymentTxn:
    return session.scalars(select(PaymentTxn).where(PaymentTxn.id == txn_id)).one()


def close_authorization(session: Session, *, ref: str, new_state: TxnState) -> bool:
    """authorized → captured | voided, once: the WHERE is the invariant."""
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(PaymentTxn)
        .where(
            PaymentTxn.ref == ref,
            PaymentTxn.op == PaymentOp.AUTHORIZE,
            PaymentTxn.state == TxnState.AUTHORIZED,
        )
        .values(state=new_state)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def add_refund(session: Session, *, ref: str, amount_cents: int) -> bool:
    """Count a refund against a capture only while the total stays within what was taken."""
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(PaymentTxn)
        .where(
            PaymentTxn.ref == ref,
            PaymentTxn.op.in_((PaymentOp.CAPTURE, PaymentOp.CHARGE)),
            PaymentTxn.refunded_cents + amount_cents <= PaymentTxn.amount_cents,
        )
        .values(refunded_cents=PaymentTxn.refunded_cents + amount_cents)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def children(
    session: Session, parent_ref: str, *, ops: Sequence[str] | None = None
) -> list[PaymentTxn]:
    stmt = select(PaymentTxn).where(PaymentTxn.parent_ref == parent_ref)
    if ops is not None:
        stmt = stmt.where(PaymentTxn.op.in_(ops))
    return list(session.scalars(stmt.order_by(PaymentTxn.id)))


def totals_by_op(
    session: Session, *, account_id: int, since: datetime, until: datetime
) -> dict[str, int]:
    """Cents moved per operation for one account in [since, until): what a summary of
    their money reads (authorizations and voids included; callers pick)."""
    rows = session.execute(
        select(PaymentTxn.op, func.coalesce(func.sum(PaymentTxn.amount_cents), 0))
        .where(
            PaymentTxn.account_id == account_id,
            PaymentTxn.created_at >= since,
            PaymentTxn.created_at < until,
        )
        .group_by(PaymentTxn.op)
    )
    return {op: int(total) for op, total in rows}


def txns_of(session: Session, account_id: int) -> list[PaymentTxn]:
    stmt = select(PaymentTxn).where(PaymentTxn.account_id == account_id).order_by(PaymentTxn.id)
    return list(session.scalars(stmt))
