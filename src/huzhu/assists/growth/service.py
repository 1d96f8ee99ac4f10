"""A campaign's growth, counted up to each of a series of moments (the dashboard)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from huzhu.assists.growth import repository as repo


@dataclass(frozen=True, slots=True)
class Growth:
    """Each list holds one cumulative count per edge, in the edges' order."""

    counted: list[int]
    held: list[int]
    voided: list[int]
    members: list[int]  # team members who joined (group buy)
    starters: list[int]
    newcomers_net: list[int]  # brought in by an assist that was not voided, or a join
    newcomers_gross: list[int]  # voided assists included


def growth_upto(session: Session, *, campaign_id: int, edges: Sequence[datetime]) -> Growth:
    by_status = repo.assists_by_status_upto(session, campaign_id=campaign_id, edges=edges)
    return Growth(
        counted=by_status["counted"],
        held=by_status["held"],
        voided=by_status["voided"],
        members=repo.members_upto(session, campaign_id=campaign_id, edges=edges),
        starters=repo.starters_upto(session, campaign_id=campaign_id, edges=edges),
        newcomers_net=repo.newcomers_upto(
            session, campaign_id=campaign_id, edges=edges, with_voided=False
        ),
        newcomers_gross=repo.newcomers_upto(
            session, campaign_id=campaign_id, edges=edges, with_voided=True
        ),
    )
