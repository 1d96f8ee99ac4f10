"""Tables of the items domain: a shop's items and their append-only price history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huzhu.db import Base, IdType, UTCDateTime


class Item(Base):
    __tablename__ = "item"
    __table_args__ = (
        UniqueConstraint("shop_id", "sku"),
        CheckConstraint("regular_price_cents > 0", name="regular_price_positive"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("shop.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    regular_price_cents: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PriceObservation(Base):
    """One price the item had at one moment. Never updated, never deleted."""

    __tablename__ = "price_observation"
    __table_args__ = (
        Index("ix_price_observation_item_observed", "item_id", "observed_at"),
        CheckConstraint("price_cents > 0", name="price_positive"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    item_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("item.id"))
    price_cents: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(20))  # rules.PriceSource
    # The campaign whose price this was (source "campaign"), so its own launch check can
    # leave it out: a campaign's price is a claim about later campaigns, not about itself.
    campaign_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("campaign.id"), nullable=True
    )
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime())
