"""What deciding an inline group case does (registered with the review queue's confirm
and dismiss rules).

An `inline_group` case holds one network's one-shot accounts across a campaign's
instances (risk/alerts.py `open_group_case`; the rule is inline.group_hold). Confirmed:
the assists the group rule held for its accounts were fake and are voided (they never
counted, so nothing is recounted away from anyone). Dismissed: they were genuine, so each
now counts if its instance still has room and is still running, and is otherwise voided
with that honest reason. Only the assists held *as the group* are decided here: one the
score held on its own belongs to its instance's hold case.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from huzhu.assists.voiding import service as voiding
from huzhu.config import Settings
from huzhu.enforcement import service as enforcement
from huzhu.risk.inline import GROUP_REASON
from huzhu.risk.review.models import ReviewCase
from huzhu.risk.review.rules import CaseKind
from huzhu.risk.review.service import confirm_rule, dismiss_rule
from huzhu.risk.rings import HOLD_ACTOR, HOLD_REASON


def _group_held(session: Session, case: ReviewCase) -> list[int]:
    if case.campaign_id is None:
        return []
    return voiding.held_assist_ids_of_helpers(
        session,
        shop_id=case.shop_id,
        campaign_id=case.campaign_id,
        helper_ids=list(case.subject_account_ids or []),
        reason=GROUP_REASON,
    )


@confirm_rule(CaseKind.INLINE_GROUP)
def void_group(session: Session, settings: Settings, case: ReviewCase) -> list[enforcement.Action]:
    held = _group_held(session, case)
    voiding.void_assists(
        session, shop_id=case.shop_id, assist_ids=held, reason=HOLD_REASON, actor=HOLD_ACTOR
    )
    return []


@dismiss_rule(CaseKind.INLINE_GROUP)
def count_group(session: Session, case: ReviewCase) -> None:
    voiding.count_held_assists(session, shop_id=case.shop_id, assist_ids=_group_held(session, case))
