"""What the accounts domain forgets (privacy/retention.py runs it): a deleted account's
carried restriction, with the keyed hash of its login, once the restriction has ended (a
ban never ends, so its hash stays). The deleted account's own row stays as a tombstone
that names no one: assists, orders and draws refer to its id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from huzhu.accounts.models import CarriedRestriction
from huzhu.db.batches import delete_batch


def forget_ended_restrictions(session: Session, *, now: datetime, limit: int) -> int:
    return delete_batch(
        session,
        CarriedRestriction,
        CarriedRestriction.restricted_until.is_not(None),
        CarriedRestriction.restricted_until <= now,
        limit=limit,
    )
