"""Tables of the WeChat adapter."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from huzhu.db import Base, UTCDateTime


class WechatCredential(Base):
    """One shared credential of the app (access_token, jsapi_ticket), for all workers.

    `lease_until` marks a refresh in flight: a worker takes it with a conditional UPDATE,
    commits, asks WeChat outside any transaction and writes the new value, so exactly one
    worker refreshes and nobody holds a database lock over the network call.
    `blocked_until` keeps every worker off after WeChat answered busy or rate limited.
    """

    __tablename__ = "wechat_credential"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)  # "{app_id}:{kind}"
    value: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    refresh_count: Mapped[int] = mapped_column(Integer, default=0)


class WechatRecipient(Base):
    """A participant who asked for WeChat messages: their openid, sealed (AES-GCM under a
    key derived from the secret key, bound to the account), because a message must be
    addressed to it and a keyed hash cannot be. Deleting the row ends the messages and
    leaves no openid behind."""

    __tablename__ = "wechat_recipient"

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("account.id"), primary_key=True, autoincrement=False
    )
    shop_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("shop.id"), index=True)
    app_id: Mapped[str] = mapped_column(String(64))
    openid_sealed: Mapped[str] = mapped_column(String(200))
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime())
