"""Done jobs leave the table after their retention; failed and pending ones stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from huzhu.config import Settings
from huzhu.db import Database
from huzhu.jobs import service
from huzhu.jobs.models import Job
from huzhu.kit import clock


def _job(status: str, *, finished_days_ago: float | None, key: str) -> Job:
    now = clock.utcnow()
    finished = None if finished_days_ago is None else now - timedelta(days=finished_days_ago)
    return Job(
        kind="test.noop",
        payload={},
        dedupe_key=key,
        status=status,
        run_at=now,
        created_at=now - timedelta(days=30),
        finished_at=finished,
    )


def test_only_old_done_jobs_are_purged(database: Database, settings: Settings) -> None:
    with database.unit_of_work() as s:
        s.add_all(
            [
                _job("done", finished_days_ago=8, key="old-done"),
                _job("done", finished_days_ago=6, key="recent-done"),
                _job("failed", finished_days_ago=30, key="old-failed"),
                _job("pending", finished_days_ago=None, key="pending"),
            ]
        )
    with database.unit_of_work() as s:
        cutoff = clock.utcnow() - timedelta(seconds=settings.jobs.keep_done_seconds)
        assert service.purge_finished(s, before=cutoff, limit=10) == 1
    with database.unit_of_work() as s:
        left = set(s.scalars(select(Job.dedupe_key)))
    assert left == {"recent-done", "old-failed", "pending"}
