"""Queries only the spending view and the activity summary use; what the guardrails
count (committed money, starts, joins, money steps) is the lifecycle's, in
assists/repository.py, because every step admits itself there."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, func, or_, select, type_coerce, union
from sqlalchemy.orm import Session

from huzhu.assists.models import Assist, Instance, Purchase
from huzhu.assists.rules import AssistStatus, InstanceStatus


def purchases_of_account_since(
    session: Session, *, shop_id: int, account_id: int, since: datetime
) -> list[Purchase]:
    return list(
        session.scalars(
            select(Purchase)
            .where(
                Purchase.shop_id == shop_id,
                Purchase.account_id == account_id,
                Purchase.created_at >= since,
            )
            .order_by(Purchase.id.desc())
        )
    )


def started_between(
    session: Session, *, shop_id: int, account_id: int, since: datetime, until: datetime
) -> int:
    """Activities the person started (teams they opened included) in [since, until)."""
    return int(
        session.scalar(
            select(func.count(Instance.id)).where(
                Instance.shop_id == shop_id,
                Instance.initiator_id == account_id,
                Instance.created_at >= since,
                Instance.created_at < until,
            )
        )
        or 0
    )


def assists_between(
    session: Session, *, shop_id: int, account_id: int, since: datetime, until: datetime
) -> tuple[int, int]:
    """(given, received): assists made in [since, until) that count now — given by the
    person, and given to activities the person started. Held and voided ones are not."""
    in_period = (
        Assist.created_at >= since,
        Assist.created_at < until,
        Assist.status == AssistStatus.COUNTED,
    )
    given = session.scalar(
        select(func.count(Assist.id))
        .join(Instance, Instance.id == Assist.instance_id)
        .where(Instance.shop_id == shop_id, Assist.helper_id == account_id, *in_period)
    )
    received = session.scalar(
        select(func.count(Assist.id))
        .join(Instance, Instance.id == Assist.instance_id)
        .where(Instance.shop_id == shop_id, Instance.initiator_id == account_id, *in_period)
    )
    return int(given or 0), int(received or 0)


def expired_between(
    session: Session, *, shop_id: int, account_id: int, since: datetime, until: datetime
) -> int:
    """Activities the person started or joined that ended unfinished in [since, until)."""
    joined = select(Purchase.instance_id).where(
        Purchase.account_id == account_id, Purchase.kind == "groupbuy"
    )
    return int(
        session.scalar(
            select(func.count(Instance.id)).where(
                Instance.shop_id == shop_id,
                or_(Instance.initiator_id == account_id, Instance.id.in_(joined)),
                Instance.status == InstanceStatus.EXPIRED,
                Instance.closed_at >= since,
                Instance.closed_at < until,
            )
        )
        or 0
    )


def accounts_active_between(
    session: Session, *, since: datetime, until: datetime
) -> list[tuple[int, int]]:
    """(shop_id, account_id) of everyone who started, assisted, ordered or saw an
    activity of theirs end in [since, until): who has something to be told."""
    started = select(Instance.shop_id, Instance.initiator_id).where(
        Instance.created_at >= since, Instance.created_at < until
    )
    ended = select(Instance.shop_id, Instance.initiator_id).where(
        Instance.closed_at >= since, Instance.closed_at < until
    )
    helped = (
        select(Instance.shop_id, Assist.helper_id)
        .join(Instance, Instance.id == Assist.instance_id)
        .where(Assist.created_at >= since, Assist.created_at < until)
    )
    # An order past the legal period names no one (its account is null): left out.
    ordered = select(Purchase.shop_id, type_coerce(Purchase.account_id, BigInteger)).where(
        Purchase.updated_at >= since,
        Purchase.updated_at < until,
        Purchase.account_id.is_not(None),
    )
    rows = session.execute(union(started, ended, helped, ordered))
    return sorted((int(shop), int(account)) for shop, account in rows)
