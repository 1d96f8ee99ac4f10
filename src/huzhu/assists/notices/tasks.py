"""The notices' background work: a periodic read of the outbox by every job runner (one
at a time: the reader's cursor is locked), and the job that writes the next "friends
helped" message when the hour of a read one ends."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from huzhu.assists.notices import service
from huzhu.config import Settings
from huzhu.jobs.registry import handler, periodic


@periodic("assists.notices", every_seconds=1.0)
def tell_from_outbox(session: Session, settings: Settings) -> None:
    service.tell_from_outbox(session, settings)


@handler(service.BATCH_JOB)
def tell_assists(session: Session, settings: Settings, payload: dict[str, Any]) -> None:
    service.tell_assists_received(session, settings, instance_id=int(payload["instance_id"]))
