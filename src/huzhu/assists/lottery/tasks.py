"""Jobs of the assist lottery: the draw at draw_at, and a sweep that schedules any due
draw that was never scheduled (a launch that predates schedule_draw, a lost job row)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from huzhu.assists.lottery import service as lottery
from huzhu.config import Settings
from huzhu.jobs.registry import handler, periodic


@handler(lottery.DRAW_JOB)
def draw(session: Session, settings: Settings, payload: dict[str, Any]) -> None:
    lottery.draw(session, settings, campaign_id=int(payload["campaign_id"]))


@periodic("lottery.schedule_due", every_seconds=30.0)
def schedule_due(session: Session, settings: Settings) -> None:
    lottery.schedule_due_draws(session)
