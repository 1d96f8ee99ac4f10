"""Queries of the items domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from huzhu.items.models import Item, PriceObservation


def item_in_shop(session: Session, *, shop_id: int, item_id: int) -> Item | None:
    return session.scalars(
        select(Item).where(Item.id == item_id, Item.shop_id == shop_id)
    ).one_or_none()


def item_by_sku(session: Session, *, shop_id: int, sku: str) -> Item | None:
    return session.scalars(
        select(Item).where(Item.shop_id == shop_id, Item.sku == sku)
    ).one_or_none()


def items_query(*, shop_id: int) -> Select[Any]:
    return select(Item).where(Item.shop_id == shop_id)


def history_query(*, item_id: int) -> Select[Any]:
    return select(PriceObservation).where(PriceObservation.item_id == item_id)


def lowest_in_window(
    session: Session,
    *,
    item_id: int,
    since: datetime,
    until: datetime,
    exclude_campaign_id: int | None,
) -> PriceObservation | None:
    """The lowest price observed within [since, until]; of equal prices, the latest
    (the one that most recently bound the claim)."""
    stmt = select(PriceObservation).where(
        PriceObservation.item_id == item_id,
        PriceObservation.observed_at >= since,
        PriceObservation.observed_at <= until,
    )
    if exclude_campaign_id is not None:
        stmt = stmt.where(
            (PriceObservation.campaign_id.is_(None))
            | (PriceObservation.campaign_id != exclude_campaign_id)
        )
    stmt = stmt.order_by(
        PriceObservation.price_cents, PriceObservation.observed_at.desc(), PriceObservation.id
    ).limit(1)
    return session.scalars(stmt).first()
