"""The local payment provider's ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from huzhu.db import Base, IdType, UTCDateTime


class PaymentTxn(Base):
    __tablename__ = "payment_txn"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    # The caller's idempotency key: the same key always returns the first result.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    # authorize | capture | refund | void | charge | payout
    op: Mapped[str] = mapped_column(String(20))
    ref: Mapped[str] = mapped_column(String(100), unique=True)
    parent_ref: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
