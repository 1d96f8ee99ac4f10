"""Queries of the WeChat message channel (the `wechat_message` queue)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, Select, delete, select, update
from sqlalchemy.orm import Session

from huzhu.wechat.channel.models import WechatMessage
from huzhu.wechat.rules import MessageStatus


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    id: int
    attempts: int
    inbox_message_id: int
    account_id: int


def claim_next_due(
    session: Session, *, now: datetime, lease_until: datetime
) -> ClaimedMessage | None:
    """One attempt on the oldest due message, in one statement; next_attempt_at moves to
    the lease end so no other runner takes it while WeChat is being asked."""
    due: Select[int] = (
        select(WechatMessage.id)
        .where(
            WechatMessage.status == MessageStatus.PENDING,
            WechatMessage.next_attempt_at <= now,
        )
        .order_by(WechatMessage.next_attempt_at, WechatMessage.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    row = session.execute(
        update(WechatMessage)
        .where(WechatMessage.id == due.scalar_subquery())
        .values(attempts=WechatMessage.attempts + 1, next_attempt_at=lease_until)
        .returning(
            WechatMessage.id,
            WechatMessage.attempts,
            WechatMessage.inbox_message_id,
            WechatMessage.account_id,
        )
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        return None
    return ClaimedMessage(
        id=row.id,
        attempts=row.attempts,
        inbox_message_id=row.inbox_message_id,
        account_id=row.account_id,
    )


def settle(session: Session, *, message_id: int, attempts: int, values: dict[str, Any]) -> bool:
    """Write an attempt's outcome unless another runner took the message meanwhile."""
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(WechatMessage)
        .where(
            WechatMessage.id == message_id,
            WechatMessage.attempts == attempts,
            WechatMessage.status == MessageStatus.PENDING,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def erase_of(session: Session, account_id: int) -> None:
    session.execute(delete(WechatMessage).where(WechatMessage.account_id == account_id))
