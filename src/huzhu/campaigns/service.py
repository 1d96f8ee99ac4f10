"""Use cases of the campaigns domain: reading campaigns and their frozen versions, and
the reservations that keep budget and stock from ever being exceeded.

The other domains start instances and take orders through `reserve`, and give back or
book what they reserved through `release` and `consume` (see docs/architecture.md,
"Reservations").
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from huzhu.campaigns import repository as repo
from huzhu.campaigns.errors import CampaignNotFound
from huzhu.campaigns.models import Campaign, CampaignVersion


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise CampaignNotFound(f"no campaign {campaign_id}")
    return campaign


def get_version(session: Session, version_id: int) -> CampaignVersion:
    version = session.get(CampaignVersion, version_id)
    if version is None:
        raise CampaignNotFound(f"no campaign version {version_id}")
    return version


def current_version(session: Session, campaign_id: int) -> CampaignVersion:
    campaign = get_campaign(session, campaign_id)
    version = repo.version_of(session, campaign_id=campaign.id, version=campaign.version)
    if version is None:
        raise CampaignNotFound(f"campaign {campaign_id} has no version {campaign.version}")
    return version


def worst_case_reservation(rules: dict[str, Any]) -> tuple[int, int]:
    """(cents, units) one instance — or, for a group buy, one order — may cost at most."""
    kind = rules["kind"]
    if kind == "bargain":
        return int(rules["price_cents"]) - int(rules["floor_cents"]), 1
    if kind == "groupbuy":
        return int(rules["price_cents"]) - int(rules["group_price_cents"]), 1
    if kind == "unlock":
        return int(rules["reward_cents"]), 1
    if kind == "lottery":
        return 0, 0  # the prize pool is reserved once, at launch
    raise ValueError(f"unknown campaign kind {kind!r}")


def prize_pool(rules: dict[str, Any]) -> tuple[int, int]:
    """(cents, units) of a lottery's whole prize pool, reserved at launch."""
    prizes = rules.get("prizes", [])
    cents = sum(int(p["value_cents"]) * int(p["quantity"]) for p in prizes)
    units = sum(int(p["quantity"]) for p in prizes)
    return cents, units


def reserve(session: Session, *, campaign_id: int, cents: int, units: int) -> bool:
    """Reserve budget and stock on a live campaign; False when they cannot cover it."""
    if cents < 0 or units < 0:
        raise ValueError("a reservation is never negative")
    return repo.try_reserve(session, campaign_id=campaign_id, cents=cents, units=units)


def release(session: Session, *, campaign_id: int, cents: int, units: int) -> None:
    """Give a reservation back (expiry, cancel, refund)."""
    consume(
        session,
        campaign_id=campaign_id,
        reserved_cents=cents,
        reserved_units=units,
        spent_cents=0,
        used_units=0,
    )


def consume(
    session: Session,
    *,
    campaign_id: int,
    reserved_cents: int | None = None,
    reserved_units: int | None = None,
    spent_cents: int | None = None,
    used_units: int | None = None,
    cents: int | None = None,
    units: int | None = None,
) -> None:
    """Turn a reservation into spending: what was really spent is booked, the rest freed.

    `cents`/`units` are the shorthand for the common case of spending a reservation in
    full (a bought bargain, a paid reward, a captured order, a won prize); the long form
    names the reservation and the part of it really spent (spent <= reserved)."""
    reserved_c = _either(reserved_cents, cents, "reserved_cents")
    reserved_u = _either(reserved_units, units, "reserved_units")
    spent_c = reserved_c if spent_cents is None else spent_cents
    used_u = reserved_u if used_units is None else used_units
    if not (0 <= spent_c <= reserved_c and 0 <= used_u <= reserved_u):
        raise ValueError("spending must fit inside its reservation")
    moved = repo.move_reservation(
        session,
        campaign_id=campaign_id,
        reserved_cents=reserved_c,
        reserved_units=reserved_u,
        spent_cents=spent_c,
        used_units=used_u,
    )
    if not moved:
        raise RuntimeError(
            f"campaign {campaign_id} holds less reserved than is being given back: "
            "a reservation was released twice"
        )


def _either(long_form: int | None, short_form: int | None, name: str) -> int:
    if long_form is not None and short_form is None:
        return long_form
    if short_form is not None and long_form is None:
        return short_form
    raise TypeError(f"consume() takes either {name} or its shorthand, exactly one")
