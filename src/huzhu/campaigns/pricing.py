"""Reference prices that hold: a bargain's or group buy's reference price ("was ¥X"),
when the campaign names one of the shop's items, is at most the lowest price recorded
for the item in the window before launch (`reference_window_days` of its snapshot), and
every campaign price joins the item's history (`huzhu.items`).

China's price rules ask the same of an "original price" in a promotion: the lowest
price of the 7 days before it. A campaign's own prices are left out of its own check —
they bind the campaigns after it — and the check reads the snapshot's reference price,
which is the price itself when none was stated, as a bargain's cut is measured from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from huzhu.campaigns.errors import ReferencePriceAboveLowest
from huzhu.campaigns.models import Campaign
from huzhu.campaigns.rules import validation
from huzhu.campaigns.schemas import ReferenceClaim
from huzhu.items import service as items
from huzhu.kit import clock
from huzhu.kit.money import format_cny


def check_item(session: Session, *, shop_id: int, rules: Mapping[str, Any]) -> None:
    item_id = rules.get("item_id")
    if item_id is not None and not items.item_exists(
        session, shop_id=shop_id, item_id=int(item_id)
    ):
        refusal = validation.Refusal("item_id", "unknown_item", {"item_id": int(item_id)})
        raise validation.refused([refusal])


def check_reference_price(
    session: Session,
    *,
    shop_id: int,
    campaign_id: int | None,
    rules: Mapping[str, Any],
    until: datetime,
) -> None:
    """Refuse a reference price above the lowest price recorded for the campaign's item
    in the window before `until` (the launch, or now for one not launched yet). The
    campaign's own prices are left out: they bind later campaigns, not itself. The
    reference price is the one the snapshot holds — the price itself when none was
    given, as a bargain's cut is measured from it."""
    item_id, reference = rules.get("item_id"), rules.get("reference_price_cents")
    if item_id is None or reference is None:
        return
    days = int(rules["reference_window_days"])
    lowest = items.lowest_recorded(
        session,
        shop_id=shop_id,
        item_id=int(item_id),
        until=until,
        days=days,
        exclude_campaign_id=campaign_id,
    )
    if lowest is None or int(reference) <= lowest.price_cents:
        return
    recorded_at = lowest.observed_at.isoformat()
    raise ReferencePriceAboveLowest(
        f"the reference price {format_cny(int(reference))} is above "
        f"{format_cny(lowest.price_cents)}, the lowest price recorded for item {item_id} "
        f"in the {days} days before launch (recorded at {recorded_at}); state a reference "
        "price at most that, or a price cut claims a discount that never was",
        item_id=int(item_id),
        reference_price_cents=int(reference),
        lowest_price_cents=lowest.price_cents,
        lowest_recorded_at=recorded_at,
        window_days=days,
    )


def record_price(session: Session, campaign: Campaign, *, rules: Mapping[str, Any]) -> None:
    """A campaign naming an item puts its price (before any cut or team discount) in the
    item's history, where later campaigns' reference prices are checked against it."""
    item_id = rules.get("item_id")
    if item_id is None:
        return
    items.record_campaign_price(
        session,
        shop_id=campaign.shop_id,
        item_id=int(item_id),
        campaign_id=campaign.id,
        price_cents=int(rules["price_cents"]),
    )


def claim(session: Session, campaign: Campaign, *, rules: Mapping[str, Any]) -> ReferenceClaim:
    """What the reference price of `rules` rests on, for the public view and the pages:
    the window before the launch (before now for a campaign not launched yet)."""
    item_id = rules.get("item_id")
    days = rules.get("reference_window_days")
    if item_id is None or days is None or rules.get("reference_price_cents") is None:
        return ReferenceClaim(
            basis="shop_claim",
            item_id=None,
            window_days=None,
            lowest_price_cents=None,
            recorded_at=None,
        )
    lowest = items.lowest_recorded(
        session,
        shop_id=campaign.shop_id,
        item_id=int(item_id),
        until=clock.as_utc(campaign.launched_at) if campaign.launched_at else clock.utcnow(),
        days=int(days),
        exclude_campaign_id=campaign.id,
    )
    return ReferenceClaim(
        basis="shop_claim" if lowest is None else "recorded_lowest",
        item_id=int(item_id),
        window_days=int(days),
        lowest_price_cents=None if lowest is None else lowest.price_cents,
        recorded_at=None if lowest is None else lowest.observed_at,
    )
