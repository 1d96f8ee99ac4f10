"""Background work of idempotency keys: forget records past their time to live."""

from __future__ import annotations

from sqlalchemy.orm import Session

from huzhu.config import Settings
from huzhu.idempotency import service
from huzhu.jobs.registry import periodic


@periodic("idempotency.purge", every_seconds=3600)
def purge(session: Session, settings: Settings) -> None:
    service.purge_expired(session, settings)
