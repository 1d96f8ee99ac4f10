"""The local payment provider's ledger.

One row per money movement. The rows that can be acted on later carry their own running
state, so the provider's invariants are conditional UPDATEs on a single row:

- an authorization (`op='authorize'`) moves `authorized → captured | voided` once;
- a capture or charge accumulates `refunded_cents`, which a CHECK keeps within
  `amount_cents` — a refund can never return more than was taken.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from huzhu.db import Base, IdType, UTCDateTime


class PaymentTxn(Base):
    __tablename__ = "payment_txn"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(
            "refunded_cents >= 0 AND refunded_cents <= amount_cents", name="refund_within_amount"
        ),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    # The caller's idempotency key: the same key always returns the first result.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    # authorize | capture | refund | void | charge | payout
    op: Mapped[str] = mapped_column(String(20))
    ref: Mapped[str] = mapped_column(String(100), unique=True)
    parent_ref: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    # Who pays (authorize, charge) or is paid (payout); children inherit their parent's.
    account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("account.id"), nullable=True, index=True
    )
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    # authorize: authorized | captured | voided; every other op: done
    state: Mapped[str] = mapped_column(String(20))
    # capture and charge only: how much of amount_cents went back through refunds.
    refunded_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
