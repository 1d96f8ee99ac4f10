"""Response models of the jobs domain."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from huzhu.jobs.rules import JobStatus


class JobOut(BaseModel):
    """A job as operators see it. The payload and dedupe key are left out: jobs are not
    scoped to a shop, and those name other shops' rows."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    status: JobStatus
    attempts: int
    max_attempts: int
    run_at: datetime
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
