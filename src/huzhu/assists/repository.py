"""Queries of the instance lifecycle through the ORM, and those its sub-packages share
(instance_by_id, purchase_of), written once and named by intent. A sub-package's own
queries are in its repository.py; the hot path's raw statements in hotpath/."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.orm import Session

from huzhu.assists.models import Assist, Instance, InstanceSlot, Purchase
from huzhu.assists.rules import (
    MONEY_PURCHASE_KINDS,
    AssistStatus,
    InstanceStatus,
    PurchaseStatus,
)


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
            "purchase_deadline_at", "closed_at", "created_at",
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


def claimed_slots(session: Session, instance_id: int) -> list[tuple[int, int]]:
    """(slot, value) of the slots counted assists hold now."""
    rows = session.execute(
        select(InstanceSlot.slot, InstanceSlot.value)
        .where(InstanceSlot.instance_id == instance_id, InstanceSlot.assist_id.is_not(None))
        .order_by(InstanceSlot.slot)
    ).all()
    return [(int(r.slot), int(r.value)) for r in rows]


def instances_of_initiator_query(*, shop_id: int, account_id: int) -> Select[Instance]:
    return select(Instance).where(Instance.shop_id == shop_id, Instance.initiator_id == account_id)


def instances_of_campaign_query(*, shop_id: int, campaign_id: int) -> Select[Instance]:
    return select(Instance).where(Instance.shop_id == shop_id, Instance.campaign_id == campaign_id)


def active_instance_of(session: Session, *, campaign_id: int, account_id: int) -> int | None:
    """The one active instance a person started in a campaign (uq_instance_active_initiator)."""
    return session.scalar(
        select(Instance.id).where(
            Instance.campaign_id == campaign_id,
            Instance.initiator_id == account_id,
            Instance.status == InstanceStatus.ACTIVE,
        )
    )


def instance_ids_of_campaign_query(campaign_id: int) -> Select[int]:
    return select(Instance.id).where(Instance.campaign_id == campaign_id)


def assists_of_instance_query(
    *, instance_id: int, status: AssistStatus | None = None
) -> Select[Assist]:
    stmt = select(Assist).where(Assist.instance_id == instance_id)
    return stmt if status is None else stmt.where(Assist.status == status.value)


def counted_between(session: Session, *, instance_id: int, after: datetime, until: datetime) -> int:
    """Counted assists on the instance given in (after, until]: the ledger's own count."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Assist)
            .where(
                Assist.instance_id == instance_id,
                Assist.status == AssistStatus.COUNTED,
                Assist.created_at > after,
                Assist.created_at <= until,
            )
        )
        or 0
    )


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


def counted_value_of(session: Session, *, instance_id: int, helper_id: int) -> int | None:
    return session.scalars(
        select(Assist.value).where(
            Assist.instance_id == instance_id,
            Assist.helper_id == helper_id,
            Assist.status == AssistStatus.COUNTED,
        )
    ).one_or_none()


def purchase_of(session: Session, *, instance_id: int, account_id: int) -> Purchase | None:
    return session.scalars(
        select(Purchase).where(
            Purchase.instance_id == instance_id, Purchase.account_id == account_id
        )
    ).one_or_none()


def won_unlocks(
    session: Session, *, account_id: int, instance_ids: list[int]
) -> list[tuple[Instance, Purchase | None]]:
    """The person's unlocks among `instance_ids` that reached their goal (succeeded,
    their reward not yet paid, or completed), each with its reward payout if there is
    one."""
    if not instance_ids:
        return []
    rows = session.execute(
        select(Instance, Purchase)
        .outerjoin(
            Purchase,
            (Purchase.instance_id == Instance.id)
            & (Purchase.kind == "reward")
            & (Purchase.account_id == Instance.initiator_id),
        )
        .where(
            Instance.id.in_(instance_ids),
            Instance.kind == "unlock",
            Instance.initiator_id == account_id,
            Instance.status.in_((InstanceStatus.SUCCEEDED, InstanceStatus.COMPLETED)),
        )
    ).all()
    return [(instance, purchase) for instance, purchase in rows]


# -- a person's ledger, as the guardrails count it -------------------------------------


def _money_orders(*, shop_id: int, account_id: int, since: datetime) -> Any:
    return (
        Purchase.shop_id == shop_id,
        Purchase.account_id == account_id,
        Purchase.kind.in_(MONEY_PURCHASE_KINDS),
        Purchase.created_at >= since,
    )


def committed_cents_since(
    session: Session, *, shop_id: int, account_id: int, since: datetime
) -> int:
    """Money committed through campaigns since `since`, net of refunds: orders held
    (authorized) or charged (captured); a refunded order no longer counts."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Purchase.amount_cents), 0)).where(
                *_money_orders(shop_id=shop_id, account_id=account_id, since=since),
                Purchase.status.in_((PurchaseStatus.AUTHORIZED, PurchaseStatus.CAPTURED)),
            )
        )
        or 0
    )


def on_hold_cents(session: Session, *, shop_id: int, account_id: int) -> int:
    """Orders authorized and not yet charged or released, whenever they were made."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Purchase.amount_cents), 0)).where(
                Purchase.shop_id == shop_id,
                Purchase.account_id == account_id,
                Purchase.status == PurchaseStatus.AUTHORIZED,
            )
        )
        or 0
    )


def money_steps_since(
    session: Session, *, shop_id: int, account_id: int, since: datetime
) -> list[datetime]:
    """When the person's money steps since `since` happened (refunded ones too: the pace
    is about steps taken), oldest first."""
    return list(
        session.scalars(
            select(Purchase.created_at)
            .where(
                *_money_orders(shop_id=shop_id, account_id=account_id, since=since),
                Purchase.amount_cents > 0,
            )
            .order_by(Purchase.created_at)
        )
    )


def started_since(session: Session, *, shop_id: int, account_id: int, since: datetime) -> int:
    """Activities the person started since `since`, of every kind (a team they lead too)."""
    return int(
        session.scalar(
            select(func.count(Instance.id)).where(
                Instance.shop_id == shop_id,
                Instance.initiator_id == account_id,
                Instance.created_at >= since,
            )
        )
        or 0
    )


def joined_since(session: Session, *, shop_id: int, account_id: int, since: datetime) -> int:
    """Teams the person joined (an order in a team someone else leads) since `since`."""
    return int(
        session.scalar(
            select(func.count(Purchase.id))
            .join(Instance, Instance.id == Purchase.instance_id)
            .where(
                Purchase.shop_id == shop_id,
                Purchase.account_id == account_id,
                Purchase.kind == "groupbuy",
                Purchase.created_at >= since,
                Instance.initiator_id != account_id,
            )
        )
        or 0
    )


def in_progress(session: Session, *, shop_id: int, account_id: int) -> int:
    """The person's activities still running: started and still active, plus teams they
    joined that have not filled or expired."""
    started = session.scalar(
        select(func.count(Instance.id)).where(
            Instance.shop_id == shop_id,
            Instance.initiator_id == account_id,
            Instance.status == InstanceStatus.ACTIVE,
        )
    )
    joined = session.scalar(
        select(func.count(Purchase.id))
        .join(Instance, Instance.id == Purchase.instance_id)
        .where(
            Purchase.shop_id == shop_id,
            Purchase.account_id == account_id,
            Instance.initiator_id != account_id,
            Instance.status == InstanceStatus.ACTIVE,
        )
    )
    return int(started or 0) + int(joined or 0)


def lottery_campaigns_entered(session: Session, *, shop_id: int, account_id: int) -> list[int]:
    """Campaigns in which the person started a lottery instance (their entries)."""
    stmt = (
        select(Instance.campaign_id)
        .where(
            Instance.shop_id == shop_id,
            Instance.initiator_id == account_id,
            Instance.kind == "lottery",
        )
        .distinct()
        .order_by(Instance.campaign_id)
    )
    return [int(c) for c in session.scalars(stmt)]


def instances_started_by(session: Session, account_id: int) -> list[Instance]:
    stmt = select(Instance).where(Instance.initiator_id == account_id).order_by(Instance.id)
    return list(session.scalars(stmt))


def assists_given_by(session: Session, helper_id: int) -> list[Assist]:
    stmt = select(Assist).where(Assist.helper_id == helper_id).order_by(Assist.id)
    return list(session.scalars(stmt))


def purchases_by(session: Session, account_id: int) -> list[Purchase]:
    stmt = select(Purchase).where(Purchase.account_id == account_id).order_by(Purchase.id)
    return list(session.scalars(stmt))


def running_instances_of(session: Session, account_id: int) -> list[int]:
    """Instances the person started that still run (taking assists, or a bargain's
    purchase window open), and teams whose order of theirs is still held."""
    running = (InstanceStatus.ACTIVE, InstanceStatus.SUCCEEDED)
    started = select(Instance.id).where(
        Instance.initiator_id == account_id, Instance.status.in_(running)
    )
    held = select(Purchase.instance_id).where(
        Purchase.account_id == account_id,
        Purchase.status.in_((PurchaseStatus.PENDING, PurchaseStatus.AUTHORIZED)),
    )
    found = set(session.scalars(started)) | set(session.scalars(held))
    return sorted(int(i) for i in found)
