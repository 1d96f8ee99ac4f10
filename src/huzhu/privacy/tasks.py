"""The retention sweep on a schedule (privacy/retention.py).

Every runner calls `retention.schedule` once a minute; it plans the current period at
most once for all runners together (a `retention.sweep` job whose dedupe key names the
period). A sweep job runs one round, a bounded batch of each class in its own
transaction, and when any class filled its batch it queues the next round, so a backlog
is worked off in short transactions, one job after another, and a crashed round is run
again by the job runner.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from huzhu.config import Settings
from huzhu.jobs import service as jobs
from huzhu.jobs.registry import handler, periodic
from huzhu.kit import clock
from huzhu.privacy import retention

SCHEDULE_CHECK_SECONDS = 60.0
DEFAULT_EVERY_SECONDS = 3600


def sweep_every_seconds(settings: Settings) -> int:
    """The sweep's period; 0 is off. Unset means hourly, except under HUZHU_ENV=test
    where every app in the suite would otherwise sweep its database."""
    every = settings.retention.sweep_every_seconds
    if every is None:
        return 0 if settings.env == "test" else DEFAULT_EVERY_SECONDS
    return every


def queue_round(session: Session, *, period: int, round_no: int) -> None:
    jobs.enqueue(
        session,
        kind="retention.sweep",
        payload={"period": period, "round": round_no},
        dedupe_key=f"retention.sweep:{period}:{round_no}",
    )


@periodic("retention.schedule", every_seconds=SCHEDULE_CHECK_SECONDS)
def schedule(session: Session, settings: Settings) -> None:
    every = sweep_every_seconds(settings)
    if every > 0:
        period = int(clock.period_start(clock.utcnow(), every).timestamp())
        queue_round(session, period=period, round_no=0)


@handler("retention.sweep")
def sweep(session: Session, settings: Settings, payload: dict[str, Any]) -> None:
    handled = retention.sweep_round(session, settings, now=clock.utcnow())
    if retention.more_left(settings, handled):
        queue_round(session, period=int(payload["period"]), round_no=int(payload["round"]) + 1)
