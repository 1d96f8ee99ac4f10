"""Use cases of the jobs domain: enqueue and list (here); claim and run live in runner.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from huzhu.jobs import repository
from huzhu.jobs.models import Job
from huzhu.jobs.rules import JobStatus
from huzhu.kit import clock
from huzhu.pagination import PageParams, fetch_page


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
        status=JobStatus.PENDING,
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


def release_dedupe_key(session: Session, dedupe_key: str) -> None:
    """The job under `dedupe_key` keeps running (or stays done) under a key of its own,
    so the same key can schedule a job again: for work whose cause was undone and may
    come again (an instance that succeeded, went back to active, and may succeed again).
    Its handler must find nothing to do when the cause is gone."""
    job = session.scalars(select(Job).where(Job.dedupe_key == dedupe_key)).one_or_none()
    if job is not None:
        job.dedupe_key = f"{dedupe_key}:released:{job.id}"
        session.flush()


def list_jobs(
    session: Session, params: PageParams, *, status: str | None = None, kind: str | None = None
) -> tuple[list[Job], int | None]:
    """Recent jobs, newest first: what ran, what is waiting, and what failed and why."""
    return fetch_page(session, repository.jobs_query(status=status, kind=kind), Job.id, params)


def purge_finished(session: Session, *, before: datetime, limit: int) -> int:
    """Done jobs that finished before `before` (the retention sweep passes now −
    `jobs.keep_done_seconds`) leave the table, up to `limit` at a time, so the claim query
    keeps scanning a small table. Every handler is idempotent on its own records (a draw
    record, an order's status), so a dedupe key freed here cannot make work happen twice."""
    return repository.purge_done(session, finished_before=before, limit=limit)


def queue_state(session: Session) -> tuple[int, float]:
    """(due jobs waiting, seconds the oldest has waited) for /metrics: depth and lag."""
    now = clock.utcnow()
    depth, oldest = repository.due_pending(session, now=now)
    lag = (now - clock.as_utc(oldest)).total_seconds() if oldest is not None else 0.0
    return depth, max(lag, 0.0)
