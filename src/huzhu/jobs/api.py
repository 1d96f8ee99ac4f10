"""Routes of the jobs domain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from huzhu.accounts.deps import require
from huzhu.accounts.rules import Permission, Principal
from huzhu.deps import SessionDep
from huzhu.jobs import service
from huzhu.jobs.rules import JobStatus
from huzhu.jobs.schemas import JobOut
from huzhu.pagination import Page, PageParams, page_params

router = APIRouter(tags=["jobs"])


@router.get("/jobs", response_model=Page[JobOut])
def list_jobs(
    session: SessionDep,
    _principal: Annotated[Principal, Depends(require(Permission.JOB_READ))],
    params: Annotated[PageParams, Depends(page_params)],
    status: Annotated[JobStatus | None, Query(description="only jobs in this status")] = None,
    kind: Annotated[str | None, Query(max_length=50, description="only jobs of this kind")] = None,
) -> Page[JobOut]:
    """Recent jobs, newest first, with attempts and the last error (class and place only)."""
    rows, cursor = service.list_jobs(
        session, params, status=status.value if status else None, kind=kind
    )
    return Page[JobOut](items=[JobOut.model_validate(r) for r in rows], next_cursor=cursor)
