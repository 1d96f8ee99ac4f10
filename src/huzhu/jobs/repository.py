"""Queries of the jobs domain, written once and named by intent.

The claim is one statement: pick the oldest due job and take its lease in the same
UPDATE, so two runners can never both believe they own a job. On PostgreSQL the inner
SELECT uses FOR UPDATE SKIP LOCKED, so concurrent runners pass over a row another is
claiming instead of queueing behind it; on SQLite every transaction already holds the
database write lock (BEGIN IMMEDIATE), which serialises claims.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, Select, func, or_, select, update
from sqlalchemy.orm import Session

from huzhu.db.batches import delete_batch
from huzhu.jobs.models import Job
from huzhu.jobs.rules import JobStatus

RUNNABLE = (JobStatus.PENDING, JobStatus.RUNNING)


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int


def claim_next(
    session: Session, *, worker: str, now: datetime, lease_until: datetime
) -> ClaimedJob | None:
    """Take the lease on the oldest due job: pending, or running with an expired lease
    (its worker died), and count the attempt."""
    due: Select[int] = (
        select(Job.id)
        .where(
            Job.status.in_(RUNNABLE),
            Job.run_at <= now,
            or_(Job.locked_until.is_(None), Job.locked_until < now),
        )
        .order_by(Job.run_at, Job.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    stmt = (
        update(Job)
        .where(Job.id == due.scalar_subquery())
        .values(
            status=JobStatus.RUNNING,
            locked_by=worker,
            locked_until=lease_until,
            attempts=Job.attempts + 1,
        )
        .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts)
        .execution_options(synchronize_session=False)
    )
    row = session.execute(stmt).first()
    if row is None:
        return None
    return ClaimedJob(
        id=row.id,
        kind=row.kind,
        payload=dict(row.payload or {}),
        attempts=row.attempts,
        max_attempts=row.max_attempts,
    )


def _owned(job_id: int, worker: str) -> Any:
    # Every write after the claim is conditional on still holding the lease: a runner
    # that stalled past its lease must not overwrite the outcome of the one that took over.
    return (Job.id == job_id) & (Job.locked_by == worker) & (Job.status == JobStatus.RUNNING)


def mark_done(session: Session, *, job_id: int, worker: str, now: datetime) -> bool:
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Job)
        .where(_owned(job_id, worker))
        .values(status=JobStatus.DONE, locked_until=None, finished_at=now, last_error=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def reschedule(
    session: Session,
    *,
    job_id: int,
    worker: str,
    run_at: datetime,
    error: str | None,
    attempt_spent: bool = True,
) -> bool:
    """Give up the lease until `run_at`. A failed attempt records its `error`; one the
    database failed under (attempt_spent=False) is not counted and records nothing."""
    values: dict[str, Any] = {
        "status": JobStatus.PENDING,
        "locked_by": None,
        "locked_until": None,
        "run_at": run_at,
    }
    if attempt_spent:
        values["last_error"] = error
    else:
        values["attempts"] = Job.attempts - 1
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Job)
        .where(_owned(job_id, worker))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def mark_failed(session: Session, *, job_id: int, worker: str, now: datetime, error: str) -> bool:
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Job)
        .where(_owned(job_id, worker))
        .values(status=JobStatus.FAILED, locked_until=None, finished_at=now, last_error=error)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def jobs_query(*, status: str | None = None, kind: str | None = None) -> Select[Job]:
    stmt = select(Job)
    if status is not None:
        stmt = stmt.where(Job.status == status)
    if kind is not None:
        stmt = stmt.where(Job.kind == kind)
    return stmt


def purge_done(session: Session, *, finished_before: datetime, limit: int) -> int:
    """Forget up to `limit` jobs that finished well; failed ones stay for a person to
    look at."""
    return delete_batch(
        session, Job, Job.status == JobStatus.DONE, Job.finished_at < finished_before, limit=limit
    )


def due_pending(session: Session, *, now: datetime) -> tuple[int, datetime | None]:
    """How many pending jobs are due, and when the oldest of them fell due."""
    count, oldest = session.execute(
        select(func.count(), func.min(Job.run_at)).where(
            Job.status == JobStatus.PENDING, Job.run_at <= now
        )
    ).one()
    return int(count), oldest
