"""What the review queue forgets (privacy/retention.py runs it): the evidence of a case
decided more than `retention.review_evidence_days` ago. The case stays (an appeal or the
ladder may cite it), with its decision, its summary, what a confirm rule did and the
group's counts; the lists of accounts, instances, assists and their signals go."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huzhu.risk.review.models import ReviewCase

# What stays of a case's evidence: counts and outcomes, no one's ids or hashes.
KEPT_EVIDENCE = ("rule_outcome", "group")


def kept_evidence(evidence: dict[str, Any] | None) -> dict[str, Any]:
    group = (evidence or {}).get("group")
    kept = {k: v for k, v in (evidence or {}).items() if k in KEPT_EVIDENCE}
    if isinstance(group, dict):
        kept["group"] = {k: v for k, v in group.items() if _no_ids(v)}
    return kept


def _no_ids(value: Any) -> bool:
    """A count, a ratio, a verdict or a list of sign names: nothing naming anyone."""
    if isinstance(value, list):
        return all(isinstance(v, str) for v in value)
    return not isinstance(value, dict)


def forget_evidence(session: Session, *, before: datetime, now: datetime, limit: int) -> int:
    """Up to `limit` cases decided before `before` lose their evidence; how many."""
    cases = session.scalars(
        select(ReviewCase)
        .where(
            ReviewCase.decided_at < before,
            ReviewCase.evidence_expired_at.is_(None),
        )
        .order_by(ReviewCase.id)
        .limit(limit)
    ).all()
    for case in cases:
        case.evidence = kept_evidence(case.evidence)
        case.evidence_expired_at = now
    session.flush()
    return len(cases)
