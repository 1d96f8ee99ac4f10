"""Jobs of the campaigns domain: going live at starts_at and ending at ends_at. Both are
idempotent: a stale or repeated job finds the status moved on and does nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from huzhu.campaigns import flows, service
from huzhu.config import Settings
from huzhu.jobs.registry import handler


@handler(service.ACTIVATE_JOB)
def activate(session: Session, settings: Settings, payload: dict[str, Any]) -> None:
    flows.activate_if_due(session, int(payload["campaign_id"]))


@handler(service.END_JOB)
def end(session: Session, settings: Settings, payload: dict[str, Any]) -> None:
    flows.end_if_due(session, int(payload["campaign_id"]))
