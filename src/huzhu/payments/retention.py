"""What the payments ledger forgets (privacy/retention.py runs it): after
`retention.money_records_days` (China's E-Commerce Law keeps transaction records three
years) a payment no longer names the account it belonged to. Its amount, reference and
state stay, so every ledger sum, refund check and campaign budget stays true."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from huzhu.db.batches import update_batch
from huzhu.payments.models import PaymentTxn


def anonymise(session: Session, *, before: datetime, limit: int) -> int:
    """Up to `limit` payments made before `before` lose their account; how many."""
    return update_batch(
        session,
        PaymentTxn,
        PaymentTxn.created_at < before,
        PaymentTxn.account_id.is_not(None),
        values={"account_id": None},
        limit=limit,
    )
