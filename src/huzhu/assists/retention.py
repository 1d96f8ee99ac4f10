"""What the assists domain forgets (privacy/retention.py runs it): the held-network
counters whose window is over, and who placed an order once the legal period for money
records is over. A held-network row holds the keyed hash of a network, needed only while
its window counts that network's holds (settings.risk.held_network_window_seconds);
after it, the hot path would reset the row anyway. An order stays in every sum (its
amount, subsidy, status and payment reference), but no longer names its account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from huzhu.assists.models import Assist, HeldNetwork, Purchase
from huzhu.db.batches import update_batch


def detach_orders(session: Session, *, before: datetime, limit: int) -> int:
    """Up to `limit` orders whose money last moved before `before` (bought, captured,
    refunded or paid out: `updated_at`) lose their account; how many. The money itself
    is untouched, so campaign budgets, the ledger and every total stay what they were."""
    return update_batch(
        session,
        Purchase,
        Purchase.updated_at < before,
        Purchase.account_id.is_not(None),
        values={"account_id": None},
        limit=limit,
    )


def forget_burst_keys(session: Session, *, before: datetime, limit: int) -> int:
    """Up to `limit` assists given before `before` lose their burst keys (the signs and
    keyed network and device hashes a group's hold reaches back by, risk/reach.py); how
    many. Kept only while a group could still be held after them: the group windows."""
    return update_batch(
        session,
        Assist,
        Assist.group_signs.is_not(None),
        Assist.created_at < before,
        values={"group_signs": None, "net_hash": None, "device_hash": None},
        limit=limit,
    )


def forget_held_networks(
    session: Session, *, now: datetime, window_seconds: int, limit: int
) -> int:
    """Up to `limit` rows of windows that ended before the current one; how many went. A
    row the hot path moves into the current window meanwhile is not deleted (the bucket
    is checked again by the delete itself)."""
    current = int(now.timestamp()) // window_seconds
    keys = session.execute(
        select(HeldNetwork.shop_id, HeldNetwork.network_hash)
        .where(HeldNetwork.bucket < current)
        .order_by(HeldNetwork.shop_id, HeldNetwork.network_hash)
        .limit(limit)
    ).all()
    if keys:
        session.execute(
            delete(HeldNetwork)
            .where(
                tuple_(HeldNetwork.shop_id, HeldNetwork.network_hash).in_([tuple(k) for k in keys]),
                HeldNetwork.bucket < current,
            )
            .execution_options(synchronize_session=False)
        )
    return len(keys)
