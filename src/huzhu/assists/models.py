"""Tables of the assists domain: instances, their slots, assists and daily counters.

A slot is one unit of progress an instance can still hand out (a bargain's cut, a
lottery entry, one of an unlock's N assists, one of a team's K places). Slots are written
when the instance starts, so "never more than N" is a property of the rows themselves:
a counted assist claims a free slot, a voided one gives it back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from huzhu.db import Base, IdType, JSONType, UTCDateTime


class Instance(Base):
    __tablename__ = "instance"
    __table_args__ = (
        CheckConstraint("slots_used >= 0 AND slots_used <= slots_total", name="slots_in_range"),
        Index("ix_instance_campaign_initiator", "campaign_id", "initiator_id"),
        Index("ix_instance_status_expires", "status", "expires_at"),
        # One active instance per participant per campaign, held by the database: two
        # concurrent starts cannot both pass a read-then-write check.
        Index(
            "uq_instance_active_initiator",
            "campaign_id",
            "initiator_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("shop.id"))
    campaign_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("campaign.id"))
    campaign_version_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("campaign_version.id"))
    kind: Mapped[str] = mapped_column(String(20))
    initiator_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.id"), index=True)
    # active | succeeded | purchased | completed | expired | cancelled
    status: Mapped[str] = mapped_column(String(20))
    seed_hex: Mapped[str] = mapped_column(String(64))
    slots_total: Mapped[int] = mapped_column(Integer)
    slots_used: Mapped[int] = mapped_column(Integer, default=0)
    progress_value: Mapped[int] = mapped_column(BigInteger, default=0)
    target_value: Mapped[int] = mapped_column(BigInteger)
    reserved_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved_units: Mapped[int] = mapped_column(Integer, default=0)
    held_count: Mapped[int] = mapped_column(Integer, default=0)
    voided_count: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    purchase_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InstanceSlot(Base):
    __tablename__ = "instance_slot"
    __table_args__ = (
        Index("ix_instance_slot_assist", "assist_id"),
        # The lowest free slot is one index probe however many are claimed: without it the
        # hot path scans every claimed slot of a busy instance on each assist.
        Index(
            "ix_instance_slot_free",
            "instance_id",
            "slot",
            sqlite_where=text("assist_id IS NULL"),
            postgresql_where=text("assist_id IS NULL"),
        ),
    )

    instance_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("instance.id"), primary_key=True
    )
    slot: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
    assist_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Assist(Base):
    __tablename__ = "assist"
    __table_args__ = (
        # Once per helper per instance, enforced by the database.
        UniqueConstraint("instance_id", "helper_id"),
        Index("ix_assist_campaign_created", "campaign_id", "created_at"),
        Index("ix_assist_helper", "helper_id"),
        # Most assists come without a link: indexing their NULLs cost every insert.
        Index(
            "ix_assist_share_link",
            "share_link_id",
            sqlite_where=text("share_link_id IS NOT NULL"),
            postgresql_where=text("share_link_id IS NOT NULL"),
        ),
        # Only the few rows whose burst keys are still kept (the retention sweep finds
        # them by age and clears them within the hour).
        Index(
            "ix_assist_burst_keys",
            "created_at",
            sqlite_where=text("group_signs IS NOT NULL"),
            postgresql_where=text("group_signs IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    instance_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("instance.id"))
    campaign_id: Mapped[int] = mapped_column(BigInteger)
    helper_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.id"))
    # counted | held | voided
    status: Mapped[str] = mapped_column(String(20))
    slot: Mapped[int | None] = mapped_column(Integer, nullable=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    channel: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # The share link (and its recorded open) the helper came through, when they said so:
    # an assist with a link but no open is a signal for scoring. No foreign keys: the hot
    # path reads the link's row itself inside the same transaction.
    share_link_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    share_open_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    risk_decision: Mapped[str] = mapped_column(String(10), default="count")
    risk_score: Mapped[float] = mapped_column(Float, default=0.0)
    risk_reasons: Mapped[list[str]] = mapped_column(JSONType, default=list)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    void_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Burst keys: on an assist that could be the first of a group the inline rules hold
    # (risk/inline.py `group_signs`: "f" a fresh account, "u" a tap with no share open or
    # within min_open_seconds of it), the keyed hashes of its network prefix and device,
    # so that the group, once seen, reaches back to it (risk/reach.py). Kept only for the
    # group windows (retention class "burst_keys"), NULL on every other assist.
    group_signs: Mapped[str | None] = mapped_column(String(4), nullable=True)
    net_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    device_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class HelperDay(Base):
    """Assists one helper gave in one campaign on one UTC day, capped by a conditional
    UPDATE so concurrent requests cannot pass the daily limit."""

    __tablename__ = "helper_day"

    campaign_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    helper_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class HeldNetwork(Base):
    """Assists one network prefix (a keyed hash, never the address) put on hold in one
    shop in the current window (`bucket`: unix seconds // the window), so a burst from one
    network cannot fill the review queue (settings.risk.held_per_network). One row per
    network, reset when a new window starts; written only by the hot path's give act.
    No key version: a row lives one window, which rotating the hashing key waits out
    (README: rotating the hashing key), so a second lookup per hold would buy nothing."""

    __tablename__ = "held_network"

    shop_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    network_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    bucket: Mapped[int] = mapped_column(BigInteger)
    n: Mapped[int] = mapped_column(Integer, default=0)


class Purchase(Base):
    """An order tied to an instance: a bargain bought at the floor, a team member's
    order, or an unlock reward payout. Money moves only through the payment provider."""

    __tablename__ = "purchase"
    __table_args__ = (
        UniqueConstraint("instance_id", "account_id"),
        Index("ix_purchase_campaign", "campaign_id"),
        # A person's guardrails count their orders of today and this month.
        Index("ix_purchase_account_created", "account_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("shop.id"))
    campaign_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("campaign.id"))
    instance_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("instance.id"))
    # None once the legal period for money records is over (assists/retention.py): the
    # order stays in every sum, naming no one.
    account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("account.id"), nullable=True
    )
    # bargain | groupbuy | reward
    kind: Mapped[str] = mapped_column(String(20))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    subsidy_cents: Mapped[int] = mapped_column(BigInteger)
    # authorized | captured | refunded | paid
    status: Mapped[str] = mapped_column(String(20))
    payment_ref: Mapped[str | None] = mapped_column(String(100), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NameConsent(Base):
    """A helper lets the starter of the activity they assisted see their display name
    (default: no row, a pseudonym). Kept beside the assist, never in it: the hot path
    writes assists and knows nothing of this."""

    __tablename__ = "name_consent"

    assist_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("assist.id"), primary_key=True)
    instance_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("instance.id"), index=True)
    helper_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
