"""Tables of the enforcement domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from huzhu.db import Base, IdType, JSONType, UTCDateTime


class EnforcementAction(Base):
    """One rung applied to one account. Never deleted; a lift stamps `lifted_at`."""

    __tablename__ = "enforcement_action"
    __table_args__ = (Index("ix_enforcement_action_account_starts", "account_id", "starts_at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("shop.id"), index=True)
    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.id"))
    kind: Mapped[str] = mapped_column(String(40))
    rung: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # None: a warning (no effect to expire) or a ban (until lifted).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # "rule:<name>", "operator:<id>" or "detector:<name>".
    actor: Mapped[str] = mapped_column(String(80))
    case_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lifted_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    lift_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class Appeal(Base):
    """The affected person's one appeal against one action (UNIQUE action_id)."""

    __tablename__ = "appeal"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("shop.id"), index=True)
    action_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("enforcement_action.id"), unique=True
    )
    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # pending | upheld | lifted
    decided_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ReportTally(Base):
    """Reports filed against an account, kept as a counter so an invite's reputation
    check reads one row instead of counting the review queue's reports."""

    __tablename__ = "report_tally"

    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.id"), primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("shop.id"), index=True)
    reports: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
