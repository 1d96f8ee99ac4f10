"""Queries of the guardrails, written once and named by intent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from huzhu.guardrails.models import GuardrailCap


def live_choices(session: Session, *, shop_id: int, account_id: int) -> list[GuardrailCap]:
    """Every change of the person's caps that no later change cancelled, newest last."""
    return list(
        session.scalars(
            select(GuardrailCap)
            .where(
                GuardrailCap.shop_id == shop_id,
                GuardrailCap.account_id == account_id,
                GuardrailCap.cancelled_at.is_(None),
            )
            .order_by(GuardrailCap.effective_at, GuardrailCap.id)
        )
    )


def history(session: Session, *, shop_id: int, account_id: int) -> list[GuardrailCap]:
    return list(
        session.scalars(
            select(GuardrailCap)
            .where(GuardrailCap.shop_id == shop_id, GuardrailCap.account_id == account_id)
            .order_by(GuardrailCap.id.desc())
        )
    )


def cancel_waiting(
    session: Session, *, shop_id: int, account_id: int, cap: str, now: datetime
) -> None:
    """A change replaces a raise that is still waiting (and nothing already in force)."""
    session.execute(
        update(GuardrailCap)
        .where(
            GuardrailCap.shop_id == shop_id,
            GuardrailCap.account_id == account_id,
            GuardrailCap.cap == cap,
            GuardrailCap.cancelled_at.is_(None),
            GuardrailCap.effective_at > now,
        )
        .values(cancelled_at=now)
        .execution_options(synchronize_session=False)
    )


def add(session: Session, row: GuardrailCap) -> GuardrailCap:
    session.add(row)
    session.flush()
    return row


def erase_of(session: Session, *, account_id: int) -> None:
    session.execute(delete(GuardrailCap).where(GuardrailCap.account_id == account_id))
