"""Imports every domain's tasks module, so their job handlers and periodic tasks are
registered before a runner starts (`huzhu serve` in embedded mode, `huzhu worker`).

A domain with a tasks.py adds one line here.
"""

from huzhu.assists import tasks as assists_tasks
from huzhu.assists.groupbuy import tasks as groupbuy_tasks
from huzhu.assists.lottery import tasks as lottery_tasks
from huzhu.assists.notices import tasks as notices_tasks
from huzhu.assists.spending import tasks as spending_tasks
from huzhu.audit import tasks as audit_tasks
from huzhu.campaigns import tasks as campaigns_tasks
from huzhu.enforcement import tasks as enforcement_tasks
from huzhu.notify import tasks as notify_tasks
from huzhu.privacy import tasks as privacy_tasks
from huzhu.risk import (
    groups,  # what deciding an inline group case does, in every process
    rings,  # what confirming a fraud case does, in every process
)
from huzhu.risk import tasks as risk_tasks
from huzhu.wechat.channel import tasks as wechat_channel_tasks

__all__ = [
    "assists_tasks",
    "audit_tasks",
    "campaigns_tasks",
    "enforcement_tasks",
    "groupbuy_tasks",
    "groups",
    "lottery_tasks",
    "notices_tasks",
    "notify_tasks",
    "privacy_tasks",
    "rings",
    "risk_tasks",
    "spending_tasks",
    "wechat_channel_tasks",
]
