"""Queries only voiding and counting held assists use: the assists in question, the
slots progress is recomputed from, and the held assists a review picks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from huzhu.assists.hotpath.repository.acts import Decision
from huzhu.assists.models import Assist, Instance, InstanceSlot
from huzhu.assists.rules import AssistStatus


def slot_values(session: Session, instance_id: int) -> list[int]:
    return list(
        session.scalars(
            select(InstanceSlot.value)
            .where(InstanceSlot.instance_id == instance_id)
            .order_by(InstanceSlot.slot)
        )
    )


def claimed_totals(session: Session, instance_id: int) -> tuple[int, int]:
    """(claimed slots, sum of their values): what progress must equal."""
    count, total = session.execute(
        select(func.count(), func.coalesce(func.sum(InstanceSlot.value), 0)).where(
            InstanceSlot.instance_id == instance_id, InstanceSlot.assist_id.is_not(None)
        )
    ).one()
    return int(count), int(total)


def free_slot_of(session: Session, *, instance_id: int, assist_id: int) -> None:
    session.execute(
        update(InstanceSlot)
        .where(InstanceSlot.instance_id == instance_id, InstanceSlot.assist_id == assist_id)
        .values(assist_id=None)
    )


def assist_by_id(session: Session, assist_id: int) -> Assist | None:
    return session.get(Assist, assist_id)


def assists_by_ids(session: Session, assist_ids: list[int]) -> list[Assist]:
    if not assist_ids:
        return []
    return list(
        session.scalars(select(Assist).where(Assist.id.in_(assist_ids)).order_by(Assist.id))
    )


def ring_assist_ids(
    session: Session, *, shop_id: int, helper_ids: list[int], instance_ids: list[int]
) -> list[int]:
    """Assists not yet voided that these helpers gave on these instances."""
    if not helper_ids or not instance_ids:
        return []
    return list(
        session.scalars(
            select(Assist.id)
            .join(Instance, Instance.id == Assist.instance_id)
            .where(
                Instance.shop_id == shop_id,
                Assist.helper_id.in_(helper_ids),
                Assist.instance_id.in_(instance_ids),
                Assist.status != AssistStatus.VOIDED,
            )
            .order_by(Assist.id)
        )
    )


def _held_on(*columns: Any, shop_id: int, instance_id: int) -> Select[Any]:
    """`columns` of an instance's held assists, oldest first."""
    return (
        select(*columns)
        .join(Instance, Instance.id == Assist.instance_id)
        .where(
            Instance.shop_id == shop_id,
            Assist.instance_id == instance_id,
            Assist.status == AssistStatus.HELD,
        )
        .order_by(Assist.id)
    )


def held_reasons_of_helpers(
    session: Session, *, shop_id: int, campaign_id: int, helper_ids: list[int]
) -> list[tuple[int, list[str]]]:
    """(id, inline reasons) of the held assists these helpers gave in a campaign."""
    if not helper_ids:
        return []
    rows = session.execute(
        select(Assist.id, Assist.risk_reasons)
        .join(Instance, Instance.id == Assist.instance_id)
        .where(
            Instance.shop_id == shop_id,
            Assist.campaign_id == campaign_id,
            Assist.helper_id.in_(helper_ids),
            Assist.status == AssistStatus.HELD,
        )
        .order_by(Assist.id)
    )
    return [(int(r.id), list(r.risk_reasons or [])) for r in rows]


def held_assist_ids(session: Session, *, shop_id: int, instance_id: int) -> list[int]:
    return list(session.scalars(_held_on(Assist.id, shop_id=shop_id, instance_id=instance_id)))


def held_assist_reasons(
    session: Session, *, shop_id: int, instance_id: int
) -> list[tuple[int, list[str]]]:
    """(id, inline reasons) of an instance's held assists."""
    rows = session.execute(
        _held_on(Assist.id, Assist.risk_reasons, shop_id=shop_id, instance_id=instance_id)
    )
    return [(int(r.id), list(r.risk_reasons or [])) for r in rows]


def counted_with_burst_keys(
    session: Session, *, shop_id: int, campaign_id: int, since: datetime, until: datetime
) -> list[Assist]:
    """A campaign's assists counted by the inline score alone (not cleared by a review)
    between `since` and `until` that kept their burst keys (assist.group_signs)."""
    return list(
        session.scalars(
            select(Assist)
            .join(Instance, Instance.id == Assist.instance_id)
            .where(
                Assist.campaign_id == campaign_id,
                Assist.created_at >= since,
                Assist.created_at <= until,
                Assist.group_signs.is_not(None),
                Assist.status == AssistStatus.COUNTED,
                Assist.risk_decision == Decision.COUNT,
                Instance.shop_id == shop_id,
            )
            .order_by(Assist.id)
        )
    )
