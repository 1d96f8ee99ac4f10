"""Imports every domain's models so Base.metadata knows all tables (Alembic, tests)."""

from huzhu.accounts import models as accounts_models
from huzhu.assists import models as assists_models
from huzhu.audit import models as audit_models
from huzhu.campaigns import models as campaigns_models
from huzhu.enforcement import models as enforcement_models
from huzhu.guardrails import models as guardrails_models
from huzhu.idempotency import models as idempotency_models
from huzhu.invites import models as invites_models
from huzhu.items import models as items_models
from huzhu.jobs import models as jobs_models
from huzhu.notify import models as notify_models
from huzhu.payments import models as payments_models
from huzhu.risk.review import models as review_models
from huzhu.wechat import models as wechat_models
from huzhu.wechat.channel import models as wechat_channel_models

__all__ = [
    "accounts_models",
    "assists_models",
    "audit_models",
    "campaigns_models",
    "enforcement_models",
    "guardrails_models",
    "idempotency_models",
    "invites_models",
    "items_models",
    "jobs_models",
    "notify_models",
    "payments_models",
    "review_models",
    "wechat_channel_models",
    "wechat_models",
]
