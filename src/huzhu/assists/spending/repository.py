"""Queries only the spending view uses; what the guardrails count (committed money,
starts, joins, money steps) is the lifecycle's, in assists/repository.py, because every
step admits itself there."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from huzhu.assists.models import Purchase


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
