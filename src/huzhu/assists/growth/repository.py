"""Cumulative counts of one campaign's growth at given moments (db.series)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, Subquery, func, or_, select, union_all
from sqlalchemy.orm import Session

from huzhu.assists.models import Assist, Instance, Purchase
from huzhu.assists.rules import AssistStatus
from huzhu.db.series import cumulative, per_bucket, read_series


def assists_by_status_upto(
    session: Session, *, campaign_id: int, edges: Sequence[datetime]
) -> dict[str, list[int]]:
    """Assists given up to each edge, by the status they have now."""
    rows = session.execute(
        per_bucket(Assist.created_at, edges, Assist.status).where(Assist.campaign_id == campaign_id)
    ).all()
    return {
        status.value: cumulative(((r[0], r[1]) for r in rows if r[2] == status.value), len(edges))
        for status in AssistStatus
    }


def _members(campaign_id: int) -> Select[int | None, datetime]:
    """Team orders by people who joined someone else's team (the leader's own order
    opened it). An order past the legal period names no one (assists/retention.py) and
    is no longer counted as anyone's join."""
    return (
        select(Purchase.account_id.label("account_id"), Purchase.created_at.label("at"))
        .join(Instance, Instance.id == Purchase.instance_id)
        .where(
            Purchase.campaign_id == campaign_id,
            Purchase.kind == "groupbuy",
            Purchase.account_id != Instance.initiator_id,
        )
    )


def members_upto(session: Session, *, campaign_id: int, edges: Sequence[datetime]) -> list[int]:
    """Team members who joined up to each edge (a refund later does not undo a join)."""
    joined = _members(campaign_id).subquery()
    return read_series(session, per_bucket(joined.c.at, edges), len(edges))


def starters_upto(session: Session, *, campaign_id: int, edges: Sequence[datetime]) -> list[int]:
    """Distinct people who had started an activity (a team included) up to each edge."""
    first = _first_starts(campaign_id)
    return read_series(session, per_bucket(first.c.first_at, edges), len(edges))


def _first_starts(campaign_id: int) -> Subquery:
    return (
        select(
            Instance.initiator_id.label("account_id"),
            func.min(Instance.created_at).label("first_at"),
        )
        .where(Instance.campaign_id == campaign_id)
        .group_by(Instance.initiator_id)
        .subquery()
    )


def newcomers_upto(
    session: Session, *, campaign_id: int, edges: Sequence[datetime], with_voided: bool
) -> list[int]:
    """People whose first act in the campaign was an assist (voided ones only
    `with_voided`) or joining a team, before any activity of their own — counted at
    that first act."""
    assists = select(Assist.helper_id.label("account_id"), Assist.created_at.label("at")).where(
        Assist.campaign_id == campaign_id
    )
    if not with_voided:
        assists = assists.where(Assist.status != AssistStatus.VOIDED.value)
    acts = union_all(assists, _members(campaign_id)).subquery()
    first_act = (
        select(acts.c.account_id, func.min(acts.c.at).label("first_at"))
        .group_by(acts.c.account_id)
        .subquery()
    )
    starts = _first_starts(campaign_id)
    newcomers = (
        select(first_act.c.first_at.label("at"))
        .outerjoin(starts, starts.c.account_id == first_act.c.account_id)
        .where(or_(starts.c.first_at.is_(None), first_act.c.first_at < starts.c.first_at))
        .subquery()
    )
    return read_series(session, per_bucket(newcomers.c.at, edges), len(edges))
