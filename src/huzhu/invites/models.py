"""Tables of the invites domain: share links and their opens, direct invites, each
person's invite preferences, and the mute / block / contact lists.

Client hints of an open (user agent, IP prefix) exist here only as keyed hashes; a group
is known only by the keyed hash of the reference the client gave.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huzhu.db import Base, IdType, JSONType, UTCDateTime


class ShareLink(Base):
    """One issued link. The token itself is not stored: it is re-derivable from this
    row and the key named by `kid`, and verifying it needs only the key; the row is what
    lets a link be revoked."""

    __tablename__ = "share_link"
    __table_args__ = (
        Index("ix_share_link_sender_created", "sender_id", "created_at"),
        Index("ix_share_link_instance", "instance_id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("shop.id"))
    instance_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("instance.id"))
    sender_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.id"))
    # friend | group | timeline | qr
    channel: Mapped[str] = mapped_column(String(10))
    group_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    kid: Mapped[str] = mapped_column(String(40))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ShareOpen(Base):
    """Someone opened a share link. No account: opening is anonymous."""

    __tablename__ = "share_open"
    __table_args__ = (Index("ix_share_open_link_opened", "share_link_id", "opened_at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    share_link_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("share_link.id"))
    shop_id: Mapped[int] = mapped_column(BigInteger)
    instance_id: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(10))
    ua_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ip_prefix_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Keyed hash of the client's install id (X-Huzhu-Device): how many accounts one phone
    # serves is what tells a farm from friends in batch ring detection.
    device_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The version of the hashing key the three hashes above were made with.
    key_version: Mapped[str] = mapped_column(String(16), default="v0", server_default="v0")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ShareOpenDay(Base):
    """Share opens past their retention, counted per link and UTC day: what stays of them
    once the opens and their keyed hashes are gone, so a link's, an instance's and a
    campaign's open counts stay true."""

    __tablename__ = "share_open_day"
    __table_args__ = (
        UniqueConstraint("share_link_id", "day"),
        Index("ix_share_open_day_instance", "instance_id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    share_link_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("share_link.id"))
    shop_id: Mapped[int] = mapped_column(BigInteger)
    instance_id: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(10))
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD, UTC
    opens: Mapped[int] = mapped_column(Integer)


class Invite(Base):
    """A delivered direct invite (refused ones are answered, not stored)."""

    __tablename__ = "invite"
    __table_args__ = (
        Index("ix_invite_sender_created", "sender_id", "created_at"),
        Index("ix_invite_recipient_created", "recipient_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("shop.id"))
    instance_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("instance.id"))
    sender_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.id"))
    recipient_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.id"))
    group_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    share_link_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    inbox_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InvitePreference(Base):
    """What a person accepts. No row = the considerate defaults of settings.invites."""

    __tablename__ = "invite_preference"

    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.id"), primary_key=True)
    # everyone | contacts | nobody
    accept_from: Mapped[str] = mapped_column(String(10))
    # campaign kinds accepted; null = every kind
    kinds: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    quiet_start: Mapped[str] = mapped_column(String(5))  # HH:MM local
    quiet_end: Mapped[str] = mapped_column(String(5))
    time_zone: Mapped[str] = mapped_column(String(64))
    daily_max: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccountMute(Base):
    """`account_id` receives no more invites from `muted_id`."""

    __tablename__ = "account_mute"
    __table_args__ = (Index("ix_account_mute_muted_created", "muted_id", "created_at"),)

    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.id"), primary_key=True)
    muted_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccountBlock(Base):
    """No invites and no assists between the two, either way. The assist hot path reads
    this table (both directions) inside its own transaction."""

    __tablename__ = "account_block"
    __table_args__ = (Index("ix_account_block_blocked_created", "blocked_id", "created_at"),)

    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.id"), primary_key=True)
    blocked_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Contact(Base):
    """`account_id` added `contact_id` as a contact: invites from them pass a
    "contacts only" preference."""

    __tablename__ = "contact"

    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.id"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
