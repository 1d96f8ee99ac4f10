"""Housekeeping of the job table itself."""

from __future__ import annotations

from sqlalchemy.orm import Session

from huzhu.config import Settings
from huzhu.jobs import service
from huzhu.jobs.registry import periodic


@periodic("jobs.purge", every_seconds=3600)
def purge(session: Session, settings: Settings) -> None:
    service.purge_finished(session, settings)
