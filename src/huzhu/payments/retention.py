"""What the payments ledger forgets (privacy/retention.py runs it): after
`retention.money_records_days` (China's E-Commerce Law keeps transaction records three
years) a payment no longer names the account it belonged to. Its amount, reference and
state stay, so every ledger sum, refund check and campaign budget stays true."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from huzhu.db.batches import oldest_ids
from huzhu.payments.models import PaymentTxn


def anonymise(session: Session, *, before: datetime, limit: int) -> int:
    """Up to `limit` payments made before `before` lose their account; how many."""
    ids = oldest_ids(
        session,
        PaymentTxn,
        PaymentTxn.created_at < before,
        PaymentTxn.account_id.is_not(None),
        limit=limit,
    )
    if ids:
        session.execute(
            update(PaymentTxn)
            .where(PaymentTxn.id.in_(ids))
            .values(account_id=None)
            .execution_options(synchronize_session=False)
        )
    return len(ids)
