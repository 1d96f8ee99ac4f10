"""Tables of the notify domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from huzhu.db import Base, IdType, JSONType, UTCDateTime


class Event(Base):
    __tablename__ = "event"
    # Only the outbox's backlog is indexed: an event leaves the index when dispatched,
    # so the index stays as small as the backlog and dispatch never rewrites an entry.
    __table_args__ = (
        Index(
            "ix_event_undispatched",
            "id",
            sqlite_where=text("dispatched = 0"),
            postgresql_where=text("NOT dispatched"),
        ),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, index=True)
    type: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    dispatched: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("shop.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(200), default="")
    secret: Mapped[str] = mapped_column(String(100))
    event_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookDelivery(Base):
    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        Index("ix_webhook_delivery_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("webhook_endpoint.id"))
    event_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("event.id"))
    # pending | delivered | failed
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempt"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("webhook_delivery.id"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    duration_ms: Mapped[int] = mapped_column(Integer)


class InboxMessage(Base):
    """A message to a participant: a kind (notify/kinds.py) and its parameters, put
    into words when it is read, in the reader's language. Rows from before the kinds
    registry have no parameters and keep the title and body written with them."""

    __tablename__ = "inbox_message"
    __table_args__ = (
        # The batched and once-only messages look up their topic ("instance:42").
        Index(
            "ix_inbox_message_topic",
            "topic",
            "account_id",
            sqlite_where=text("topic IS NOT NULL"),
            postgresql_where=text("topic IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    topic: Mapped[str | None] = mapped_column(String(60), nullable=True)
    title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    # rules.PushState: whether copies went to the person's other channels (WeChat).
    push_state: Mapped[str] = mapped_column(String(10), default="none", server_default="none")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class InboxPreference(Base):
    """What a person chose for their inbox: the kinds they muted (not written at all)
    and how often the reminder summary comes. No row: nothing muted, weekly."""

    __tablename__ = "inbox_preference"

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("account.id"), primary_key=True, autoincrement=False
    )
    muted_kinds: Mapped[list[str]] = mapped_column(JSONType, default=list)
    summary: Mapped[str] = mapped_column(String(10), default="weekly")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InboxPushDay(Base):
    """Copies pushed to one person's other channels on one day of their own zone: the
    daily cap is a conditional increment of this row."""

    __tablename__ = "inbox_push_day"

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("account.id"), primary_key=True, autoincrement=False
    )
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, local
    pushes: Mapped[int] = mapped_column(Integer, default=0)


class OutboxCursor(Base):
    """How far one reader of the outbox (e.g. the inbox's assist notices) has read."""

    __tablename__ = "outbox_cursor"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
