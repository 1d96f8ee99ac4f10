"""Tables of the WeChat channel of the inbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from huzhu.db import Base, IdType, UTCDateTime


class WechatMessage(Base):
    """An inbox message on its way to WeChat: its own queue, written in the same
    transaction as the inbox message, retried with backoff."""

    __tablename__ = "wechat_message"
    __table_args__ = (Index("ix_wechat_message_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    inbox_message_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("inbox_message.id"), unique=True
    )
    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.id"), index=True)
    # pending | sent | failed | skipped (no template for the kind, or messages turned off)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # "errcode 43101" or an exception class: never a message text, token or openid.
    last_error: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
