"""Use cases of the items domain: a shop's items, recording prices, and the lowest price
recorded in a window — what the campaigns domain checks a reference price against."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from huzhu.items import repository as repo
from huzhu.items.errors import ItemNotFound, SkuTaken
from huzhu.items.models import Item, PriceObservation
from huzhu.items.rules import PriceSource, window
from huzhu.items.schemas import ItemCreate, ItemOut, ItemUpdate, PriceOut
from huzhu.kit import clock
from huzhu.notify import service as notify
from huzhu.pagination import Page, PageParams, fetch_page


@dataclass(frozen=True, slots=True)
class LowestPrice:
    price_cents: int
    observed_at: datetime
    source: PriceSource


def _out(item: Item) -> ItemOut:
    return ItemOut(
        id=item.id,
        sku=item.sku,
        name=item.name,
        regular_price_cents=item.regular_price_cents,
        created_at=clock.as_utc(item.created_at),
        updated_at=clock.as_utc(item.updated_at),
    )


def _price_out(row: PriceObservation) -> PriceOut:
    return PriceOut(
        id=row.id,
        item_id=row.item_id,
        price_cents=row.price_cents,
        source=PriceSource(row.source),
        campaign_id=row.campaign_id,
        observed_at=clock.as_utc(row.observed_at),
    )


def _item(session: Session, *, shop_id: int, item_id: int) -> Item:
    item = repo.item_in_shop(session, shop_id=shop_id, item_id=item_id)
    if item is None:
        raise ItemNotFound(f"no item {item_id}")
    return item


def _observe(
    session: Session,
    item: Item,
    *,
    price_cents: int,
    source: PriceSource,
    campaign_id: int | None = None,
) -> PriceObservation:
    row = PriceObservation(
        item_id=item.id,
        price_cents=price_cents,
        source=source,
        campaign_id=campaign_id,
        observed_at=clock.utcnow(),
    )
    session.add(row)
    session.flush()
    notify.record_event(
        session,
        shop_id=item.shop_id,
        type="item.price_recorded",
        subject_type="item",
        subject_id=item.id,
        payload={
            "item_id": item.id,
            "price_cents": price_cents,
            "source": str(source),
            "campaign_id": campaign_id,
        },
    )
    return row


def create_item(session: Session, *, shop_id: int, body: ItemCreate) -> ItemOut:
    """A new item; its regular price is the first entry of its price history."""
    if repo.item_by_sku(session, shop_id=shop_id, sku=body.sku) is not None:
        raise SkuTaken(f"sku {body.sku!r} is taken", field="sku")
    now = clock.utcnow()
    item = Item(
        shop_id=shop_id,
        sku=body.sku,
        name=body.name,
        regular_price_cents=body.regular_price_cents,
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    session.flush()
    _observe(session, item, price_cents=item.regular_price_cents, source=PriceSource.REGULAR)
    return _out(item)


def update_item(session: Session, *, shop_id: int, item_id: int, patch: ItemUpdate) -> ItemOut:
    """Rename an item or change its regular price (a new price joins the history)."""
    item = _item(session, shop_id=shop_id, item_id=item_id)
    changes = patch.model_dump(exclude_unset=True, exclude_none=True)
    if "name" in changes:
        item.name = changes["name"]
    new_price = changes.get("regular_price_cents")
    if new_price is not None and new_price != item.regular_price_cents:
        item.regular_price_cents = new_price
        _observe(session, item, price_cents=new_price, source=PriceSource.REGULAR)
    if changes:
        item.updated_at = clock.utcnow()
    session.flush()
    return _out(item)


def get_item(session: Session, *, shop_id: int, item_id: int) -> ItemOut:
    return _out(_item(session, shop_id=shop_id, item_id=item_id))


def item_exists(session: Session, *, shop_id: int, item_id: int) -> bool:
    return repo.item_in_shop(session, shop_id=shop_id, item_id=item_id) is not None


def list_items(session: Session, params: PageParams, *, shop_id: int) -> Page[ItemOut]:
    rows, cursor = fetch_page(session, repo.items_query(shop_id=shop_id), Item.id, params)
    return Page[ItemOut](items=[_out(r) for r in rows], next_cursor=cursor)


def record_price(session: Session, *, shop_id: int, item_id: int, price_cents: int) -> PriceOut:
    """A price the item has now (a sale, a shelf price), timed by the engine's clock."""
    item = _item(session, shop_id=shop_id, item_id=item_id)
    return _price_out(_observe(session, item, price_cents=price_cents, source=PriceSource.RECORDED))


def record_campaign_price(
    session: Session, *, shop_id: int, item_id: int, campaign_id: int, price_cents: int
) -> None:
    """A campaign naming the item offers it at this price now (create, edit, launch)."""
    item = _item(session, shop_id=shop_id, item_id=item_id)
    _observe(
        session,
        item,
        price_cents=price_cents,
        source=PriceSource.CAMPAIGN,
        campaign_id=campaign_id,
    )


def price_history(
    session: Session, params: PageParams, *, shop_id: int, item_id: int
) -> Page[PriceOut]:
    """Every price recorded for the item, newest first."""
    item = _item(session, shop_id=shop_id, item_id=item_id)
    rows, cursor = fetch_page(
        session, repo.history_query(item_id=item.id), PriceObservation.id, params
    )
    return Page[PriceOut](items=[_price_out(r) for r in rows], next_cursor=cursor)


def lowest_recorded(
    session: Session,
    *,
    shop_id: int,
    item_id: int,
    until: datetime,
    days: int,
    exclude_campaign_id: int | None = None,
) -> LowestPrice | None:
    """The lowest price recorded for the item in the `days` before `until` (both ends
    included), leaving out the prices of `exclude_campaign_id`; None without any."""
    item = _item(session, shop_id=shop_id, item_id=item_id)
    since, until = window(until=clock.as_utc(until), days=days)
    row = repo.lowest_in_window(
        session,
        item_id=item.id,
        since=since,
        until=until,
        exclude_campaign_id=exclude_campaign_id,
    )
    if row is None:
        return None
    return LowestPrice(
        price_cents=row.price_cents,
        observed_at=clock.as_utc(row.observed_at),
        source=PriceSource(row.source),
    )
