"""Tables of the campaigns domain: definitions, frozen rule versions, lottery secrets.

The CHECK constraints are the last line of defence for the money invariants: even a bug
in a service cannot commit a campaign whose reservations exceed its budget or stock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from huzhu.db import Base, IdType, JSONType, UTCDateTime


class Campaign(Base):
    __tablename__ = "campaign"
    __table_args__ = (
        CheckConstraint(
            "budget_reserved_cents >= 0 AND budget_spent_cents >= 0 "
            "AND budget_reserved_cents + budget_spent_cents <= budget_cents",
            name="budget_within_limit",
        ),
        CheckConstraint(
            "inventory_reserved >= 0 AND inventory_used >= 0 "
            "AND inventory_reserved + inventory_used <= inventory_total",
            name="inventory_within_limit",
        ),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("shop.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # bargain | groupbuy | lottery | unlock
    name: Mapped[str] = mapped_column(String(200))
    # The current version's description (campaign_version.description is what binds).
    description: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(30))
    # draft | scheduled | live | paused | ended
    status: Mapped[str] = mapped_column(String(20), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    budget_cents: Mapped[int] = mapped_column(BigInteger)
    budget_reserved_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    budget_spent_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    inventory_total: Mapped[int] = mapped_column(BigInteger)
    inventory_reserved: Mapped[int] = mapped_column(BigInteger, default=0)
    inventory_used: Mapped[int] = mapped_column(BigInteger, default=0)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    launched_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CampaignVersion(Base):
    """The rules as they stood when a version was made; instances point at one forever."""

    __tablename__ = "campaign_version"
    __table_args__ = (UniqueConstraint("campaign_id", "version"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("campaign.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    rules: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # The description participants read is part of the terms: an edit of it makes a new
    # version like a rule change, so an instance keeps the words it started under (a
    # description naming "8 friends" never sits beside a rule that now says 5).
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LotterySecret(Base):
    """The seed behind a lottery's published commitment; revealed only at the draw."""

    __tablename__ = "lottery_secret"

    campaign_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("campaign.id"), primary_key=True
    )
    seed_hex: Mapped[str] = mapped_column(String(64))
    commitment_hex: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LotteryDraw(Base):
    """The public draw record: enough on its own for anyone to re-run the draw."""

    __tablename__ = "lottery_draw"

    campaign_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("campaign.id"), primary_key=True
    )
    commitment_hex: Mapped[str] = mapped_column(String(64))
    seed_hex: Mapped[str] = mapped_column(String(64))
    record: Mapped[dict[str, Any]] = mapped_column(JSONType)
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime())
