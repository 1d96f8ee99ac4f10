"""What the notify domain forgets (privacy/retention.py runs it): inbox messages past
`retention.inbox_days`, finished webhook deliveries with their attempts past
`retention.webhook_deliveries_days`, and outbox events past `retention.events_days` once
dispatched and no longer named by any delivery. Pending deliveries and undispatched
events stay whatever their age: they are work not yet done."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from huzhu.db.batches import delete_batch, delete_ids, oldest_ids
from huzhu.notify.models import Event, InboxMessage, WebhookAttempt, WebhookDelivery
from huzhu.notify.rules import DeliveryStatus


def expired_inbox_ids(session: Session, *, before: datetime, limit: int) -> list[int]:
    """The oldest inbox messages created before `before`: the caller lets every channel
    forget its copies of them first, then deletes them (delete_inbox)."""
    return oldest_ids(session, InboxMessage, InboxMessage.created_at < before, limit=limit)


def delete_inbox(session: Session, ids: list[int]) -> int:
    return delete_ids(session, InboxMessage, ids)


def forget_deliveries(session: Session, *, before: datetime, limit: int) -> int:
    """Up to `limit` delivered or failed deliveries created before `before`, with their
    attempts; how many deliveries went."""
    ids = oldest_ids(
        session,
        WebhookDelivery,
        WebhookDelivery.created_at < before,
        WebhookDelivery.status != DeliveryStatus.PENDING,
        limit=limit,
    )
    if ids:
        session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(ids)))
    return delete_ids(session, WebhookDelivery, ids)


def forget_events(session: Session, *, before: datetime, limit: int) -> int:
    """Up to `limit` dispatched events created before `before` that no delivery names."""
    named = exists(select(WebhookDelivery.id).where(WebhookDelivery.event_id == Event.id))
    return delete_batch(
        session, Event, Event.created_at < before, Event.dispatched.is_(True), ~named, limit=limit
    )
