"""Queries of the instance lifecycle through the ORM, and those its sub-packages share
(instance_by_id, purchase_of), written once and named by intent. A sub-package's own
queries are in its repository.py; the hot path's raw statements in hotpath/."""

from __future__ import annotations

from typing import Any

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
