"""Use cases of the jobs domain: enqueue (here), claim and run (runner, by the jobs work)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from huzhu.jobs.models import Job
from huzhu.kit import clock


def enqueue(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any] | None = None,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = 10,
) -> Job:
    """Schedule a job in the caller's transaction. With a dedupe_key, scheduling the same
    job twice returns the existing one instead of creating a second."""
    now = clock.utcnow()
    if dedupe_key is not None:
        existing = session.scalars(select(Job).where(Job.dedupe_key == dedupe_key)).one_or_none()
        if existing is not None:
            return existing
    job = Job(
        kind=kind,
        payload=payload or {},
        dedupe_key=dedupe_key,
        status="pending",
        run_at=run_at or now,
        attempts=0,
        max_attempts=max_attempts,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:
        existing = session.scalars(select(Job).where(Job.dedupe_key == dedupe_key)).one()
        return existing
    return job
