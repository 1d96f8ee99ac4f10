"""The assist graph as other domains read it: whether two accounts have helped each other
(invites' contacts), the helper x instance edges batch ring detection scores, and the
shops with new assists the scheduled detection scans (risk). Read only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from huzhu.assists.graph import repository as repo


def have_assisted_between(session: Session, a: int, b: int) -> bool:
    """A counted assist either way between two accounts (invites: "contacts")."""
    return repo.assisted_between(session, a, b)


AssistEdge = repo.AssistEdge


def assist_edges(
    session: Session,
    *,
    shop_id: int,
    campaign_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AssistEdge]:
    """The shop's counted and held assists (optionally of one campaign, in [since,
    until)) as graph edges, for batch ring detection (`huzhu detect run`)."""
    return repo.assist_edges(
        session, shop_id=shop_id, campaign_id=campaign_id, since=since, until=until
    )


def shops_with_assists_since(session: Session, since: datetime) -> list[int]:
    """Shops with assists since `since`, for the scheduled ring detection."""
    return repo.shops_with_assists_since(session, since)
