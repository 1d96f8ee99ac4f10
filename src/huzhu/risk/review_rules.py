"""The review queue's decisions as pure functions.

The spam rule (README "The enforcement ladder"): when a spam case is confirmed, the
sender's confirmed spam reports that are not yet spent and were filed within
`enforcement.spam_report_window_seconds` are counted by distinct reporter. If there are
at least `enforcement.spam_reports_per_rung`, the sender moves up exactly one rung and
those reports are spent, so the next rung needs as many new ones. One confirmation never
moves anyone more than one rung.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum


class CaseKind(StrEnum):
    SPAM_REPORT = "spam_report"
    FRAUD_REPORT = "fraud_report"
    FRAUD_RING = "fraud_ring"
    INLINE_HOLD = "inline_hold"
    SPIKE = "spike"


class CaseStatus(StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


REPORT_CASE_KIND = {"spam": CaseKind.SPAM_REPORT, "fraud": CaseKind.FRAUD_REPORT}


def open_key(*, kind: str, account_id: int | None, instance_id: int | None) -> str:
    """The key that makes reports about one subject join one open case."""
    if kind == "spam":
        return f"spam:{account_id}"
    return f"fraud:instance:{instance_id}"


def spam_rule_reports(
    reports: Iterable[tuple[int, int, datetime]],
    *,
    now: datetime,
    window: timedelta,
    threshold: int,
) -> list[int] | None:
    """Given confirmed, unspent spam reports as (report id, reporter id, filed at),
    the ids to spend on one rung, or None when the rule does not fire."""
    recent = [(rid, reporter) for rid, reporter, at in reports if now - window <= at <= now]
    if len({reporter for _, reporter in recent}) < threshold:
        return None
    return sorted(rid for rid, _ in recent)
