"""The review queue's decisions as pure functions.

The spam rule (README "The enforcement ladder"): when a spam case is confirmed, the
sender's confirmed spam reports that are not yet spent and were filed within
`enforcement.spam_report_window_seconds` are counted by distinct reporter. If there are
at least `enforcement.spam_reports_per_rung`, the sender moves up exactly one rung and
those reports are spent, so the next rung needs as many new ones. One confirmation never
moves anyone more than one rung.

The fraud-report rule (`reported_assists`): which assists a confirmed fraud report is
about, read only from the evidence attached to the report — the instance's latest
assists as each report saw them, and the open spike, hold and ring cases on the
instance at that moment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from huzhu.assists.rules import AssistStatus
from huzhu.risk.farm import GroupVerdict
from huzhu.risk.inline import BURST_GROUP_RULE, FRESH_GROUP_RULE


class CaseKind(StrEnum):
    SPAM_REPORT = "spam_report"
    FRAUD_REPORT = "fraud_report"
    FRAUD_RING = "fraud_ring"
    INLINE_HOLD = "inline_hold"
    INLINE_GROUP = "inline_group"  # one network's one-shot accounts, held across a campaign
    SPIKE = "spike"


def likely_mutual_help(kind: str, evidence: Mapping[str, Any] | None) -> bool:
    """A ring case whose group showed no farm sign (risk/farm.py): friends who help each
    other until an analyst, with a reason, says otherwise."""
    group = (evidence or {}).get("group")
    return (
        kind == CaseKind.FRAUD_RING
        and isinstance(group, Mapping)
        and group.get("verdict") == GroupVerdict.MUTUAL_HELP
    )


def _group_holds(evidence: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """An `inline_group` case's holds as its evidence keeps them: the first, and the
    latest updates (risk/review/service.py keeps the last twenty)."""
    found = evidence or {}
    return [h for h in (found, *(found.get("updates") or [])) if isinstance(h, Mapping)]


def group_rules(evidence: Mapping[str, Any] | None) -> list[str]:
    """The inline rules that held an `inline_group` case's assists (risk/inline.py
    group_hold: fresh accounts behind one network, taps with no share open seconds
    apart), as far as its evidence tells."""
    named = {
        str(reason).split(":", 1)[0]
        for hold in _group_holds(evidence)
        for reason in hold.get("reasons") or []
    }
    return [rule for rule in (FRESH_GROUP_RULE, BURST_GROUP_RULE) if rule in named]


def group_activities(evidence: Mapping[str, Any] | None) -> int:
    """How many activities an `inline_group` case's holds were on, as far as its evidence
    tells (at least this many)."""
    return len({h["instance_id"] for h in _group_holds(evidence) if h.get("instance_id")})


def group_reached(evidence: Mapping[str, Any] | None) -> int:
    """How many of an `inline_group` case's accounts had counted first and went back on
    hold when the group was seen (risk/reach.py), as far as its evidence tells."""
    return len({a for h in _group_holds(evidence) for a in h.get("reached_back") or []})


def is_rule_actor(actor: str) -> bool:
    """`rule:<name>` and `detector:<name>` act without a person (enforcement.service)."""
    return actor.startswith(("rule:", "detector:"))


class CaseStatus(StrEnum):
    """A case's status, and each of its reports' (a report follows its case's decision)."""

    OPEN = "open"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


class ReportKind(StrEnum):
    SPAM = "spam"  # a sender floods the reporter with invites
    FRAUD = "fraud"  # an instance's count jumped without real friends behind it


REPORT_CASE_KIND: dict[str, CaseKind] = {
    ReportKind.SPAM: CaseKind.SPAM_REPORT,
    ReportKind.FRAUD: CaseKind.FRAUD_REPORT,
}


def open_key(*, kind: str, account_id: int | None, instance_id: int | None) -> str:
    """The key that makes reports about one subject join one open case."""
    if kind == ReportKind.SPAM:
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


# Why a confirmed fraud report implicates an assist (its basis in the evidence).
HELD = "held"
FLAGGED = "flagged"
NAMED_BY_RING = "named_by_ring"


def reported_assists(evidence: Mapping[str, Any]) -> dict[int, str]:
    """assist id -> why a confirmed fraud report implicates it, from the evidence the
    report(s) attached (the first report's snapshot and each joining report's under
    "updates"):

    - held: the inline scorer was holding it for review (its own score, or the instance's
      spike watch) when a report was filed;
    - flagged: it counted, but the scorer gave risk reasons for it (one the scorer held
      and a review then counted was cleared by that review, and is not flagged);
    - named_by_ring: an open fraud ring on the instance, listed under "open_cases", names
      it (its helper is one of the ring's accounts).

    An assist counted without a reason and named by no ring is not implicated, however
    near it came to the others: the analyst confirmed what the evidence shows, nothing
    more. An assist already voided when the report saw it is left out too."""
    found: dict[int, str] = {}
    snapshots = [evidence, *evidence.get("updates", [])]
    for snap in snapshots:
        for assist in snap.get("assists", []):
            assist_id, status = int(assist["assist_id"]), assist.get("status")
            if status == AssistStatus.HELD:
                found[assist_id] = HELD
            elif (
                status == AssistStatus.COUNTED
                and assist.get("risk_decision") != "hold"  # held, then cleared by a review
                and assist.get("risk_reasons")
            ):
                found.setdefault(assist_id, FLAGGED)
    for snap in snapshots:  # the scorer's own finding is the basis where it has one
        for entry in snap.get("open_cases", []):
            if entry.get("kind") == CaseKind.FRAUD_RING.value:
                for assist_id in entry.get("assist_ids", []):
                    found.setdefault(int(assist_id), NAMED_BY_RING)
    voided = {
        int(a["assist_id"])
        for snap in snapshots
        for a in snap.get("assists", [])
        if a.get("status") == "voided"
    }
    return {k: v for k, v in sorted(found.items()) if k not in voided}
