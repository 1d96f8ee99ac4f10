"""Jobs of the group buy: capture a full team, refund an expired one.

Both are idempotent: the runner rolls a failed run back and runs it again, and every
payment call inside carries a key per order, so a provider that did move money before a
crash answers the rerun with its first result instead of moving it twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from huzhu.assists.groupbuy import service as groupbuy
from huzhu.config import Settings
from huzhu.jobs.registry import handler
from huzhu.payments.service import get_provider


@handler(groupbuy.CAPTURE_JOB)
def capture_team(session: Session, settings: Settings, payload: dict[str, Any]) -> None:
    groupbuy.capture_team(session, get_provider(settings), team_id=int(payload["instance_id"]))


@handler(groupbuy.REFUND_JOB)
def refund_team(session: Session, settings: Settings, payload: dict[str, Any]) -> None:
    groupbuy.refund_team(session, get_provider(settings), team_id=int(payload["instance_id"]))
