"""What the WeChat channel forgets: its copies of inbox messages the inbox forgets
(privacy/retention.py passes their ids before the inbox deletes them)."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from huzhu.wechat.channel.models import WechatMessage


def forget_copies(session: Session, inbox_ids: list[int]) -> None:
    if inbox_ids:
        session.execute(delete(WechatMessage).where(WechatMessage.inbox_message_id.in_(inbox_ids)))
