"""Tables of the review queue: cases and the reports that open or join them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huzhu.db import Base, IdType, JSONType, UTCDateTime


class ReviewCase(Base):
    """One thing for an analyst to decide: a sender reported for spam, an instance
    reported for fraud, a ring a detector found, an assist the inline scorer held.

    `open_key` is set while the case is open ("spam:<account>", "fraud:instance:<id>")
    and UNIQUE, so concurrent reports about the same subject join one case instead of
    opening two; a decision clears it and the next report opens a new case."""

    __tablename__ = "review_case"
    __table_args__ = (Index("ix_review_case_shop_status", "shop_id", "status", "id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("shop.id"))
    # spam_report | fraud_report | fraud_ring | inline_hold | inline_group | spike
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20))  # open | confirmed | dismissed
    # "report", "detector:<name>", "inline" — who put it in the queue.
    source: Mapped[str] = mapped_column(String(80))
    subject_account_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    subject_account_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    instance_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    campaign_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    summary: Mapped[str] = mapped_column(String(300), default="")
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    open_key: Mapped[str | None] = mapped_column(String(120), nullable=True, unique=True)
    assignee_operator_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("operator.id"), nullable=True
    )
    decided_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # When retention cut the evidence down to counts and outcomes (review/retention.py).
    evidence_expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Report(Base):
    """A participant's report: spam from a sender, or fraud on an instance. One per
    reporter per case; its status follows the case's decision."""

    __tablename__ = "report"
    __table_args__ = (
        UniqueConstraint("case_id", "reporter_account_id"),
        Index("ix_report_subject_kind", "subject_account_id", "kind", "status"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("shop.id"), index=True)
    case_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("review_case.id"))
    kind: Mapped[str] = mapped_column(String(20))  # spam | fraud
    reporter_account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.id"))
    subject_account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.id"))
    instance_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # open | confirmed | dismissed
    # The rule step this confirmed report paid for; a spent report never counts twice.
    spent_action_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
