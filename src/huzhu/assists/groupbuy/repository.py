"""Queries of the group buy, written once and named by intent. Each limit is in the
WHERE clause of one statement, so concurrent joiners and reruns of a job cannot pass it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from huzhu.assists.models import Instance, InstanceSlot, Purchase
from huzhu.assists.rules import InstanceStatus
from huzhu.kit import clock


def claim_place(session: Session, *, team_id: int, now: datetime) -> int | None:
    """Take one free place; the new number of places taken, or None when the team is
    full, closed or past its expiry. The WHERE clause is the limit."""
    taken = session.execute(
        update(Instance)
        .where(
            Instance.id == team_id,
            Instance.status == InstanceStatus.ACTIVE,
            Instance.expires_at > now,
            Instance.slots_used < Instance.slots_total,
        )
        .values(
            slots_used=Instance.slots_used + 1,
            progress_value=Instance.progress_value + 1,
        )
        .returning(Instance.slots_used)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    return int(taken) if taken is not None else None


def mark_place(session: Session, *, team_id: int, purchase_id: int) -> None:
    """Claim the lowest free slot row for the member's order (for a place the slot's
    `assist_id` holds the purchase id: a member joins by ordering, not by assisting), so
    progress still equals the claimed slots. The place UPDATE above holds the team row,
    so no other joiner can pick the same slot."""
    lowest = (
        select(InstanceSlot.slot)
        .where(InstanceSlot.instance_id == team_id, InstanceSlot.assist_id.is_(None))
        .order_by(InstanceSlot.slot)
        .limit(1)
        .scalar_subquery()
    )
    session.execute(
        update(InstanceSlot)
        .where(InstanceSlot.instance_id == team_id, InstanceSlot.slot == lowest)
        .values(assist_id=purchase_id)
        .execution_options(synchronize_session=False)
    )


def orders_in_teams_led_by_others(
    session: Session, *, shop_id: int, account_id: int, limit: int
) -> list[Purchase]:
    """The person's team orders in teams someone else opened, newest first."""
    return list(
        session.scalars(
            select(Purchase)
            .join(Instance, Instance.id == Purchase.instance_id)
            .where(
                Purchase.shop_id == shop_id,
                Purchase.account_id == account_id,
                Purchase.kind == "groupbuy",
                Instance.initiator_id != account_id,
            )
            .order_by(Purchase.id.desc())
            .limit(limit)
        )
    )


def orders_in(session: Session, team_id: int, *, status: str) -> list[Purchase]:
    return list(
        session.scalars(
            select(Purchase)
            .where(Purchase.instance_id == team_id, Purchase.status == status)
            .order_by(Purchase.id)
        )
    )


def move_order(session: Session, *, purchase_id: int, from_status: str, to_status: str) -> bool:
    """authorized → captured | refunded, once: the second mover finds nothing to move."""
    moved = session.execute(
        update(Purchase)
        .where(Purchase.id == purchase_id, Purchase.status == from_status)
        .values(status=to_status, updated_at=clock.utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(moved, "rowcount", 0) == 1)


def expire_team(session: Session, *, team_id: int, now: datetime) -> bool:
    """active → expired once the expiry has passed; True when this call expired it."""
    moved = session.execute(
        update(Instance)
        .where(
            Instance.id == team_id,
            Instance.status == InstanceStatus.ACTIVE,
            Instance.expires_at <= now,
        )
        .values(status=InstanceStatus.EXPIRED, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(moved, "rowcount", 0) == 1)


def move_team(session: Session, *, team_id: int, from_status: str, values: dict[str, Any]) -> bool:
    """A team's status moves only from the one it is expected to be in."""
    moved = session.execute(
        update(Instance)
        .where(Instance.id == team_id, Instance.status == from_status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(moved, "rowcount", 0) == 1)
