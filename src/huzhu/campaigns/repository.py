"""Queries of the campaigns domain. Reservations are single conditional UPDATEs: the
database decides, so concurrent starts can never push reserved + spent past the budget."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from huzhu.campaigns.models import Campaign, CampaignVersion


def version_of(session: Session, *, campaign_id: int, version: int) -> CampaignVersion | None:
    return session.scalars(
        select(CampaignVersion).where(
            CampaignVersion.campaign_id == campaign_id, CampaignVersion.version == version
        )
    ).one_or_none()


def try_reserve(session: Session, *, campaign_id: int, cents: int, units: int) -> bool:
    result = session.execute(
        update(Campaign)
        .where(
            Campaign.id == campaign_id,
            Campaign.status == "live",
            Campaign.budget_reserved_cents + Campaign.budget_spent_cents + cents
            <= Campaign.budget_cents,
            Campaign.inventory_reserved + Campaign.inventory_used + units
            <= Campaign.inventory_total,
        )
        .values(
            budget_reserved_cents=Campaign.budget_reserved_cents + cents,
            inventory_reserved=Campaign.inventory_reserved + units,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def move_reservation(
    session: Session,
    *,
    campaign_id: int,
    reserved_cents: int,
    reserved_units: int,
    spent_cents: int,
    used_units: int,
) -> bool:
    """Take a reservation back and book what was really spent, in one statement that
    refuses to drive any counter negative."""
    result = session.execute(
        update(Campaign)
        .where(
            Campaign.id == campaign_id,
            Campaign.budget_reserved_cents >= reserved_cents,
            Campaign.inventory_reserved >= reserved_units,
        )
        .values(
            budget_reserved_cents=Campaign.budget_reserved_cents - reserved_cents,
            inventory_reserved=Campaign.inventory_reserved - reserved_units,
            budget_spent_cents=Campaign.budget_spent_cents + spent_cents,
            inventory_used=Campaign.inventory_used + used_units,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
