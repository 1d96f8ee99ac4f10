"""Queries of the assist graph: who helped whom, read for other domains' detection and
consent."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from huzhu.assists.models import Assist, Instance
from huzhu.assists.rules import AssistStatus


def assisted_between(session: Session, a: int, b: int) -> bool:
    """Has either of the two counted an assist on an instance of the other?"""
    stmt = (
        select(Assist.id)
        .join(Instance, Instance.id == Assist.instance_id)
        .where(
            Assist.status == AssistStatus.COUNTED,
            ((Assist.helper_id == a) & (Instance.initiator_id == b))
            | ((Assist.helper_id == b) & (Instance.initiator_id == a)),
        )
        .limit(1)
    )
    return session.execute(stmt).first() is not None


class AssistEdge(NamedTuple):
    """One edge of the helper x instance graph that batch ring detection reads."""

    assist_id: int
    helper_id: int
    instance_id: int
    campaign_id: int
    initiator_id: int
    created_at: datetime
    # The recorded open the helper came through, if they named one (its time and its
    # network and phone hashes are the invites domain's).
    share_open_id: int | None = None


def assist_edges(
    session: Session,
    *,
    shop_id: int,
    campaign_id: int | None,
    since: datetime | None,
    until: datetime | None,
) -> list[AssistEdge]:
    """Counted and held assists of a shop (voided ones are already dealt with)."""
    stmt = (
        select(
            Assist.id,
            Assist.helper_id,
            Assist.instance_id,
            Assist.campaign_id,
            Instance.initiator_id,
            Assist.created_at,
            Assist.share_open_id,
        )
        .join(Instance, Instance.id == Assist.instance_id)
        .where(Instance.shop_id == shop_id, Assist.status != AssistStatus.VOIDED)
        .order_by(Assist.id)
    )
    if campaign_id is not None:
        stmt = stmt.where(Assist.campaign_id == campaign_id)
    if since is not None:
        stmt = stmt.where(Assist.created_at >= since)
    if until is not None:
        stmt = stmt.where(Assist.created_at < until)
    return [AssistEdge(*row) for row in session.execute(stmt)]


def shops_with_assists_since(session: Session, since: datetime) -> list[int]:
    """Shops that received assists since `since` (scheduled ring detection scans only
    those)."""
    return list(
        session.scalars(
            select(Instance.shop_id)
            .join(Assist, Assist.instance_id == Instance.id)
            .where(Assist.created_at >= since)
            .distinct()
            .order_by(Instance.shop_id)
        )
    )
