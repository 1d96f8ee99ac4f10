"""Tables of the accounts domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huzhu.db import Base, IdType, JSONType, UTCDateTime


class Shop(Base):
    __tablename__ = "shop"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Operator(Base):
    """A person who runs campaigns for a shop, with one role."""

    __tablename__ = "operator"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("shop.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ApiToken(Base):
    """A bearer secret, stored only as its SHA-256: operator sessions and integrator keys."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("shop.id"), index=True)
    operator_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("operator.id"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # session | integrator
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Account(Base):
    """A participant or helper: pseudonymous, one per (shop, provider, subject)."""

    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("shop_id", "provider", "subject_hash"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("shop.id"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    subject_hash: Mapped[str] = mapped_column(String(64))
    # The version of the hashing key subject_hash was made with (security.hash_keys).
    key_version: Mapped[str] = mapped_column(String(16), default="v0", server_default="v0")
    display_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # active | restricted | banned — the enforcement ladder (a later issue) writes these.
    status: Mapped[str] = mapped_column(String(20), default="active")
    restricted_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Why the account is restricted or banned, as told to its owner (enforcement writes it).
    restriction_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when its owner deleted it: the row stays as an anonymous tombstone (assists,
    # orders and draws refer to it), its name and login link gone.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class CarriedRestriction(Base):
    """A restriction or ban that outlives its account's deletion: the keyed hash of the
    login that would create the account again, and the standing to give it back, kept
    until the restriction ends (a ban: for good), so deleting cannot shed it."""

    __tablename__ = "carried_restriction"
    __table_args__ = (Index("ix_carried_restriction_login", "shop_id", "provider", "subject_hash"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("shop.id"))
    provider: Mapped[str] = mapped_column(String(20))
    subject_hash: Mapped[str] = mapped_column(String(64))
    key_version: Mapped[str] = mapped_column(String(16), default="v0", server_default="v0")
    status: Mapped[str] = mapped_column(String(20))  # restricted | banned
    restricted_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConsentEvent(Base):
    """One change of a consent the person gave or took back: append-only (never updated;
    erased only with the person), readable on /me and in their export."""

    __tablename__ = "consent_event"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("shop.id"))
    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # ConsentKind
    # What it is about beyond the person, e.g. "assist:12" for a name display.
    subject: Mapped[str | None] = mapped_column(String(50), nullable=True)
    # The fields that changed, before and after: {"accept_from": "everyone"} → {…}.
    old: Mapped[dict[str, object]] = mapped_column(JSONType)
    new: Mapped[dict[str, object]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
