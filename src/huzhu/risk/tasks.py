"""Ring detection on a schedule, off the request path.

Every runner calls `detect.schedule` once a minute; it plans the current period at most
once for all runners together (a `detect.plan` job whose dedupe key is the period), and
the plan puts one `detect.run` job per shop with recent assists (dedupe key: shop and
period), so several workers never scan a shop twice for the same period and a crashed
scan is retried by the job runner. A scan covers `schedule_window_seconds` back from the
period's start and, above `auto_confirm_significance`, confirms what it finds.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from huzhu.assists.graph import service as assist_graph
from huzhu.config import Settings
from huzhu.jobs import service as jobs
from huzhu.jobs.registry import handler, periodic
from huzhu.kit import clock
from huzhu.risk import detect_service

SCHEDULE_CHECK_SECONDS = 60.0
DEFAULT_EVERY_SECONDS = 3600


def schedule_every_seconds(settings: Settings) -> int:
    """The period of scheduled scans; 0 is off. Unset means hourly, except under
    HUZHU_ENV=test where every app in the suite would otherwise scan its database."""
    every = settings.detect.schedule_every_seconds
    if every is None:
        return 0 if settings.env == "test" else DEFAULT_EVERY_SECONDS
    return every


@periodic("detect.schedule", every_seconds=SCHEDULE_CHECK_SECONDS)
def schedule(session: Session, settings: Settings) -> None:
    every = schedule_every_seconds(settings)
    if every <= 0:
        return
    until = clock.period_start(clock.utcnow(), every)
    jobs.enqueue(
        session,
        kind="detect.plan",
        payload={"until": until.isoformat()},
        dedupe_key=f"detect.plan:{int(until.timestamp())}",
    )


@handler("detect.plan")
def plan(session: Session, settings: Settings, payload: dict[str, Any]) -> None:
    until = datetime.fromisoformat(payload["until"])
    since = until - timedelta(seconds=settings.detect.schedule_window_seconds)
    for shop_id in assist_graph.shops_with_assists_since(session, since):
        jobs.enqueue(
            session,
            kind="detect.run",
            payload={"shop_id": shop_id, "since": since.isoformat(), "until": until.isoformat()},
            dedupe_key=f"detect.run:{shop_id}:{int(since.timestamp())}:{int(until.timestamp())}",
            max_attempts=3,
        )


@handler("detect.run")
def run(session: Session, settings: Settings, payload: dict[str, Any]) -> None:
    detect_service.scan(
        session,
        settings,
        shop_id=int(payload["shop_id"]),
        since=datetime.fromisoformat(payload["since"]),
        until=datetime.fromisoformat(payload["until"]),
    )
