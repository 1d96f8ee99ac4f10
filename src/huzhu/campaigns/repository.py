"""Queries of the campaigns domain. Reservations are single conditional UPDATEs: the
database decides, so concurrent starts can never push reserved + spent past the budget."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from huzhu.campaigns.models import Campaign, CampaignVersion, LotteryDraw, LotterySecret
from huzhu.campaigns.rules.lifecycle import CampaignStatus


def version_of(session: Session, *, campaign_id: int, version: int) -> CampaignVersion | None:
    return session.scalars(
        select(CampaignVersion).where(
            CampaignVersion.campaign_id == campaign_id, CampaignVersion.version == version
        )
    ).one_or_none()


def _expire_loaded(session: Session, campaign_id: int) -> None:
    """The counters were changed by a statement, not through the object: a campaign
    already loaded in this session must re-read them instead of showing stale numbers.
    (The statement autoflushed first, so nothing pending is lost.)"""
    loaded = session.identity_map.get(identity_key(Campaign, campaign_id))
    if loaded is not None:
        session.expire(loaded)


def try_reserve(session: Session, *, campaign_id: int, cents: int, units: int) -> bool:
    result = session.execute(
        update(Campaign)
        .where(
            Campaign.id == campaign_id,
            Campaign.status == CampaignStatus.LIVE,
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
    _expire_loaded(session, campaign_id)
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
    _expire_loaded(session, campaign_id)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _for_update(stmt: Select[Any], session: Session) -> Select[Any]:
    # db.locking.lock_for_update's type variable does not take a one-entity select.
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return stmt.execution_options(populate_existing=True)


def campaign_in_shop(
    session: Session, *, shop_id: int, campaign_id: int, lock: bool = False
) -> Campaign | None:
    """With lock, the row is re-read FOR UPDATE (PostgreSQL; SQLite holds the write lock
    already), so a use case that decides from the campaign's status — launch, schedule,
    edit — is serialised with any other doing the same, instead of racing into a
    duplicate lottery secret or a version number taken twice."""
    stmt = select(Campaign).where(Campaign.id == campaign_id, Campaign.shop_id == shop_id)
    if lock:
        stmt = _for_update(stmt, session)
    return session.scalars(stmt).one_or_none()


def campaign_for_update(session: Session, campaign_id: int) -> Campaign | None:
    stmt = select(Campaign).where(Campaign.id == campaign_id)
    stmt = _for_update(stmt, session)
    return session.scalars(stmt).one_or_none()


def campaigns_query(*, shop_id: int, status: str | None, kind: str | None) -> Select[Any]:
    stmt = select(Campaign).where(Campaign.shop_id == shop_id)
    if status is not None:
        stmt = stmt.where(Campaign.status == status)
    if kind is not None:
        stmt = stmt.where(Campaign.kind == kind)
    return stmt


def versions_of(session: Session, campaign_id: int) -> list[CampaignVersion]:
    return list(
        session.scalars(
            select(CampaignVersion)
            .where(CampaignVersion.campaign_id == campaign_id)
            .order_by(CampaignVersion.version)
        )
    )


def current_versions(session: Session, campaign_ids: list[int]) -> dict[int, CampaignVersion]:
    """campaign id → its current version, in one query for a whole page."""
    if not campaign_ids:
        return {}
    rows = session.scalars(
        select(CampaignVersion)
        .join(
            Campaign,
            (Campaign.id == CampaignVersion.campaign_id)
            & (Campaign.version == CampaignVersion.version),
        )
        .where(Campaign.id.in_(campaign_ids))
    )
    return {row.campaign_id: row for row in rows}


def transition(
    session: Session,
    *,
    campaign_id: int,
    from_statuses: tuple[CampaignStatus, ...],
    to_status: CampaignStatus,
    now: datetime,
    **values: Any,
) -> bool:
    """Move a campaign between statuses in one conditional UPDATE, so two operators (or
    an operator and the activate job) racing on the same campaign cannot both win."""
    result = session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.status.in_(from_statuses))
        .values(status=to_status, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    _expire_loaded(session, campaign_id)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def bump_version(session: Session, *, campaign_id: int, expected: int, now: datetime) -> bool:
    """Claim the next version number; a concurrent edit that claimed it first wins."""
    result = session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.version == expected)
        .values(version=expected + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    _expire_loaded(session, campaign_id)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def set_budget(
    session: Session, *, campaign_id: int, budget_cents: int, inventory_total: int, now: datetime
) -> bool:
    """Top up (or trim) budget and stock, never below what is reserved plus spent — the
    same condition the CHECK constraints hold, decided by the database in one UPDATE."""
    result = session.execute(
        update(Campaign)
        .where(
            Campaign.id == campaign_id,
            Campaign.budget_reserved_cents + Campaign.budget_spent_cents <= budget_cents,
            Campaign.inventory_reserved + Campaign.inventory_used <= inventory_total,
        )
        .values(budget_cents=budget_cents, inventory_total=inventory_total, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    _expire_loaded(session, campaign_id)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def lottery_secret(session: Session, campaign_id: int) -> LotterySecret | None:
    return session.get(LotterySecret, campaign_id)


def lottery_draw(session: Session, campaign_id: int) -> LotteryDraw | None:
    return session.get(LotteryDraw, campaign_id)


def undrawn_lottery_ids(session: Session) -> list[int]:
    """Launched lotteries with no draw record yet."""
    return list(
        session.scalars(
            select(Campaign.id)
            .outerjoin(LotteryDraw, LotteryDraw.campaign_id == Campaign.id)
            .where(
                Campaign.kind == "lottery",
                Campaign.launched_at.is_not(None),
                LotteryDraw.campaign_id.is_(None),
            )
        ).all()
    )
