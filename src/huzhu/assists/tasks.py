"""Jobs of the assists domain. Each is idempotent: it re-reads the instance under its
row lock and does nothing unless the instance is still in the state the job ends, so a
rerun after a crash, or a duplicate run by a second worker, changes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from huzhu.assists import service
from huzhu.assists.purchases import service as purchases
from huzhu.config import Settings
from huzhu.jobs.registry import handler


@handler("instance.expire")
def expire_instance(session: Session, settings: Settings, payload: dict[str, Any]) -> None:
    service.expire_instance(session, int(payload["instance_id"]))


@handler("instance.purchase_window_close")
def close_purchase_window(session: Session, settings: Settings, payload: dict[str, Any]) -> None:
    service.close_purchase_window(session, int(payload["instance_id"]))


@handler("unlock.pay_reward")
def pay_unlock_reward(session: Session, settings: Settings, payload: dict[str, Any]) -> None:
    purchases.pay_unlock_reward(session, settings, int(payload["instance_id"]))
