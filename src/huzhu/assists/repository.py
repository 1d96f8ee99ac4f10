"""Queries of the assists domain through the ORM (everything but the hot path, whose raw
statements live in hotpath_repository.py), written once and named by intent."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.orm import Session

from huzhu.assists.models import Assist, Instance, InstanceSlot, Purchase


def instance_by_id(session: Session, instance_id: int, *, lock: bool = False) -> Instance | None:
    """With lock=True the row is held (FOR UPDATE on PostgreSQL; SQLite's write lock is
    already held by the unit of work), serialising with the hot path on this instance."""
    stmt = select(Instance).where(Instance.id == instance_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one_or_none()


_instance = Instance.__table__
# What the public view shows, read through Core (no ORM identity map or attribute
# instrumentation): a share open answers it on every click of a shared link.
_PUBLIC_VIEW = select(
    *(
        _instance.c[name]
        for name in (
            "id", "campaign_id", "kind", "status", "progress_value", "target_value",
            "slots_total", "slots_used", "held_count", "voided_count", "expires_at",
            "purchase_deadline_at", "created_at",
        )
    )
).where(_instance.c.id == bindparam("instance_id"))  # fmt: skip


def public_view_row(session: Session, instance_id: int) -> Row[Any] | None:
    """The columns of an instance's public view, or None."""
    return session.connection().execute(_PUBLIC_VIEW, {"instance_id": instance_id}).first()


def add_instance_with_slots(session: Session, instance: Instance, values: list[int]) -> Instance:
    session.add(instance)
    session.flush()
    session.add_all(
        InstanceSlot(instance_id=instance.id, slot=i, value=v, assist_id=None)
        for i, v in enumerate(values)
    )
    session.flush()
    return instance


def free_slot_values(session: Session, instance_id: int) -> list[int]:
    return list(
        session.scalars(
            select(InstanceSlot.value)
            .where(InstanceSlot.instance_id == instance_id, InstanceSlot.assist_id.is_(None))
            .order_by(InstanceSlot.slot)
        )
    )


def instances_of_initiator_query(*, shop_id: int, account_id: int) -> Select[Instance]:
    return select(Instance).where(Instance.shop_id == shop_id, Instance.initiator_id == account_id)


def instances_of_campaign_query(*, shop_id: int, campaign_id: int) -> Select[Instance]:
    return select(Instance).where(Instance.shop_id == shop_id, Instance.campaign_id == campaign_id)


def assists_of_instance_query(*, instance_id: int) -> Select[Assist]:
    return select(Assist).where(Assist.instance_id == instance_id)


def assists_of_helper_query(*, shop_id: int, helper_id: int) -> Select[Assist]:
    return (
        select(Assist)
        .join(Instance, Instance.id == Assist.instance_id)
        .where(Instance.shop_id == shop_id, Assist.helper_id == helper_id)
    )


def campaign_status_counts(session: Session, campaign_id: int) -> tuple[dict[str, int], ...]:
    """(instances by status, assists by status) of one campaign."""
    instances = session.execute(
        select(Instance.status, func.count())
        .where(Instance.campaign_id == campaign_id)
        .group_by(Instance.status)
    ).all()
    assists = session.execute(
        select(Assist.status, func.count())
        .where(Assist.campaign_id == campaign_id)
        .group_by(Assist.status)
    ).all()
    return {s: int(n) for s, n in instances}, {s: int(n) for s, n in assists}


def assist_status_of(session: Session, *, instance_id: int, helper_id: int) -> str | None:
    return session.scalars(
        select(Assist.status).where(
            Assist.instance_id == instance_id, Assist.helper_id == helper_id
        )
    ).one_or_none()


def purchase_of(session: Session, *, instance_id: int, account_id: int) -> Purchase | None:
    return session.scalars(
        select(Purchase).where(
            Purchase.instance_id == instance_id, Purchase.account_id == account_id
        )
    ).one_or_none()


def assisted_between(session: Session, a: int, b: int) -> bool:
    """Has either of the two counted an assist on an instance of the other?"""
    stmt = (
        select(Assist.id)
        .join(Instance, Instance.id == Assist.instance_id)
        .where(
            Assist.status == "counted",
            ((Assist.helper_id == a) & (Instance.initiator_id == b))
            | ((Assist.helper_id == b) & (Instance.initiator_id == a)),
        )
        .limit(1)
    )
    return session.execute(stmt).first() is not None


class AssistEdge(NamedTuple):
    """One edge of the helper x instance graph that batch ring detection reads."""

    assist_id: int
    helper_id: int
    instance_id: int
    campaign_id: int
    initiator_id: int
    created_at: datetime


def assist_edges(
    session: Session,
    *,
    shop_id: int,
    campaign_id: int | None,
    since: datetime | None,
    until: datetime | None,
) -> list[AssistEdge]:
    """Counted and held assists of a shop (voided ones are already dealt with)."""
    stmt = (
        select(
            Assist.id,
            Assist.helper_id,
            Assist.instance_id,
            Assist.campaign_id,
            Instance.initiator_id,
            Assist.created_at,
        )
        .join(Instance, Instance.id == Assist.instance_id)
        .where(Instance.shop_id == shop_id, Assist.status != "voided")
        .order_by(Assist.id)
    )
    if campaign_id is not None:
        stmt = stmt.where(Assist.campaign_id == campaign_id)
    if since is not None:
        stmt = stmt.where(Assist.created_at >= since)
    if until is not None:
        stmt = stmt.where(Assist.created_at < until)
    return [AssistEdge(*row) for row in session.execute(stmt)]


def shops_with_assists_since(session: Session, since: datetime) -> list[int]:
    """Shops that received assists since `since` (scheduled ring detection scans only
    those)."""
    return list(
        session.scalars(
            select(Instance.shop_id)
            .join(Assist, Assist.instance_id == Instance.id)
            .where(Assist.created_at >= since)
            .distinct()
            .order_by(Instance.shop_id)
        )
    )
