"""Use cases of the notify domain.

`record_event` is how every domain writes to the outbox: call it with the same session
as the change, so the event commits (or rolls back) with it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from huzhu.kit import clock
from huzhu.notify.models import Event, InboxMessage


def record_event(
    session: Session,
    *,
    shop_id: int,
    type: str,
    subject_type: str,
    subject_id: int,
    payload: dict[str, Any] | None = None,
) -> Event:
    event = Event(
        shop_id=shop_id,
        type=type,
        subject_type=subject_type,
        subject_id=subject_id,
        payload=payload or {},
        dispatched=False,
        created_at=clock.utcnow(),
    )
    session.add(event)
    session.flush()
    return event


def send_inbox_message(
    session: Session, *, account_id: int, kind: str, title: str, body: str
) -> InboxMessage:
    message = InboxMessage(
        account_id=account_id, kind=kind, title=title, body=body, created_at=clock.utcnow()
    )
    session.add(message)
    session.flush()
    return message
