"""Background work of the audit log: drop what is past its retention period."""

from __future__ import annotations

from sqlalchemy.orm import Session

from huzhu.audit import service
from huzhu.config import Settings
from huzhu.jobs.registry import periodic


@periodic("audit.prune", every_seconds=6 * 3600)
def prune(session: Session, settings: Settings) -> None:
    service.prune_expired(session, settings.audit)
