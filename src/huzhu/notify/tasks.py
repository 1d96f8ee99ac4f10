"""The notify domain's background work, run by every job runner on its poll loop.

`notify.dispatch` fans the outbox out into deliveries; `notify.deliver` sends due
deliveries. Both are periodic tasks of the runner (jobs/registry.py), not job rows: they
run every poll, and are safe with many runners (SKIP LOCKED, UNIQUE(endpoint, event), a
leased claim per attempt). The job `notify.push` copies one inbox message to the
person's other channels, after their quiet hours and within their daily cap.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.orm import Session

from huzhu.config import Settings
from huzhu.jobs.registry import handler, periodic
from huzhu.notify import service

DELIVERIES_PER_POLL = 50
# A dead receiver costs a full timeout per attempt; past this budget the poll moves on, so
# expiries and refunds waiting in the job queue are not starved by webhooks.
DELIVERY_BUDGET_SECONDS = 2.0
DISPATCH_BUDGET_SECONDS = 0.25


@periodic("notify.dispatch")
def dispatch(session: Session, settings: Settings) -> None:
    """Batch after batch, each committed, until the outbox is empty or the poll's budget
    is spent: one batch a poll would cap a runner at service.DISPATCH_BATCH events a poll
    interval (400 a second by default), behind the assist hot path's thousands (each
    assist writes one)."""
    started = time.monotonic()
    while service.dispatch_events(session):
        session.commit()
        if time.monotonic() - started > DISPATCH_BUDGET_SECONDS:
            return


@periodic("notify.deliver")
def deliver(session: Session, settings: Settings) -> None:
    started = time.monotonic()
    for _ in range(DELIVERIES_PER_POLL):
        if time.monotonic() - started > DELIVERY_BUDGET_SECONDS:
            return
        work = service.claim_due_delivery(session, settings)
        # Commit the claim before the network call: the attempt is counted even if this
        # process dies mid-request, and no lock is held while the receiver thinks.
        session.commit()
        if work is None:
            return
        outcome = service.post_delivery(settings, work)
        service.record_attempt(session, settings, work=work, outcome=outcome)
        session.commit()


@handler(service.PUSH_JOB)
def push(session: Session, settings: Settings, payload: dict[str, Any]) -> None:
    service.push_inbox_message(session, settings, message_id=int(payload["message_id"]))
