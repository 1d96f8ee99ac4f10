"""The caps a person chose, as a history: each change is a row; the one in force is the
newest row whose `effective_at` has come and that no later change cancelled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from huzhu.db import Base, IdType, UTCDateTime


class GuardrailCap(Base):
    __tablename__ = "guardrail_cap"
    __table_args__ = (Index("ix_guardrail_cap_account_cap", "account_id", "cap"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("shop.id"))
    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.id"))
    cap: Mapped[str] = mapped_column(String(30))  # rules.Cap
    value: Mapped[int] = mapped_column(BigInteger)
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Now for a lower cap; now + the wait for a higher one.
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set on a raise still waiting when a later change replaced it.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
