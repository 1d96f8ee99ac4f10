"""The engine's values in the reader's words: every stored or schema value a page shows
(a status, a channel, a role, a risk reason) has a message here, and a page never prints
the value itself.

Each table is tied to the real source of its values (`SOURCES`: an enum, or a Literal of
the schemas), and a test holds the two equal, so a new value without words fails CI
rather than reaching a page as `wechat_web`. The texts are gettext msgids translated
when shown (`word` is a Jinja global).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from typing import Any, get_args

from huzhu.accounts.schemas import OperatorRole
from huzhu.assists.rules import AssistStatus, InstanceStatus, PurchaseStatus
from huzhu.campaigns.rules import snapshot
from huzhu.campaigns.rules.lifecycle import CampaignStatus
from huzhu.campaigns.schemas import Channel, Kind, Split
from huzhu.enforcement.rules import ActionKind, AppealStatus
from huzhu.guardrails.rules import Cap
from huzhu.invites.rules import AcceptFrom
from huzhu.kit import i18n
from huzhu.notify.kinds import Kind as InboxKind
from huzhu.notify.kinds import SummaryFrequency
from huzhu.risk.farm import EvidenceKind, FarmSign, GroupVerdict
from huzhu.risk.review.rules import CaseKind, CaseStatus, ReportKind
from huzhu.risk.review.schemas import Enforce
from huzhu.risk.rules import Decision as RiskDecision


def _(message: str) -> str:
    """Mark a msgid for extraction; translated when shown."""
    return message


_ACTION_KINDS = {
    "warning": _("Warning"),
    "invite_restriction_1d": _("Invite restriction, 1 day"),
    "invite_restriction_7d": _("Invite restriction, 7 days"),
    "participation_restriction": _("Participation restriction"),
    "ban": _("Ban"),
}

LABELS: dict[str, dict[str, str]] = {
    "campaign_kind": {
        "bargain": _("Bargain"),
        "groupbuy": _("Group buy"),
        "lottery": _("Assist lottery"),
        "unlock": _("Assist unlock"),
    },
    "campaign_status": {
        "draft": _("Draft"),
        "scheduled": _("Scheduled"),
        "live": _("Live"),
        "paused": _("Paused"),
        "ended": _("Ended"),
    },
    "instance_status": {
        "active": _("Active"),
        "succeeded": _("Succeeded"),
        "purchased": _("Purchased"),
        "completed": _("Completed"),
        "expired": _("Expired"),
        "cancelled": _("Cancelled"),
    },
    "assist_status": {"counted": _("Counted"), "held": _("Being checked"), "voided": _("Removed")},
    "purchase_status": {
        "pending": _("Pending"),
        "authorized": _("On hold"),
        "captured": _("Charged"),
        "refunded": _("Refunded"),
        "paid": _("Paid to you"),
    },
    "channel": {
        "web": _("Web page"),
        "own_app": _("The shop's own app"),
        "wechat_miniprogram": _("WeChat Mini Program"),
        "wechat_web": _("Web link inside WeChat"),
        "qr_offline": _("QR code in a shop"),
    },
    "split": {
        "double_mean": _("Random cuts, each up to twice the average left"),
        "front_loaded": _("Bigger cuts first, smaller later"),
    },
    "operator_role": {
        "owner": _("Owner"),
        "operator": _("Operator"),
        "analyst": _("Analyst"),
        "support": _("Support"),
    },
    "case_kind": {
        "spam_report": _("Spam report"),
        "fraud_report": _("Fraud report"),
        "fraud_ring": _("Suspected ring (found by the scan)"),
        "inline_hold": _("Held as it was given"),
        "inline_group": _("Held as a group: accounts from one network"),
        "spike": _("Spike of assists"),
    },
    "case_status": {"open": _("Open"), "confirmed": _("Confirmed"), "dismissed": _("Dismissed")},
    "report_kind": {"spam": _("Unwanted invites"), "fraud": _("Fake assists")},
    "action_kind": _ACTION_KINDS,
    "enforce_choice": {
        "rule": _("act by the rule for this kind of case"),
        "none": _("take no action"),
        "next": _("move one rung up the ladder"),
        "warning": _("warning"),
        "invite_restriction_1d": _("invite restriction, 1 day"),
        "invite_restriction_7d": _("invite restriction, 7 days"),
        "participation_restriction": _("participation restriction"),
        "ban": _("ban"),
    },
    "appeal_status": {"pending": _("Pending"), "upheld": _("Upheld"), "lifted": _("Lifted")},
    "risk_decision": {"count": _("counted"), "hold": _("held"), "refuse": _("refused")},
    "group_verdict": {
        "farm": _("Farm: accounts run together, not friends"),
        "likely_mutual_help": _("Likely a mutual-help group: no farm evidence"),
    },
    "farm_sign": {
        "shared_devices": _("many accounts on few phones"),
        "shared_networks": _("many accounts behind few networks"),
        "instant_taps": _("tapped seconds after opening"),
        "no_opens": _("assisted without opening the share"),
    },
    "evidence_kind": {
        "device_concentration": _("device concentration"),
        "network_concentration": _("network concentration"),
        "automation": _("automation"),
    },
}

# A person's own choices and limits (invite preferences, the inbox summary, spending caps).
LABELS["accept_from"] = {
    "everyone": _("Everyone"),
    "contacts": _("Only people I have helped or who helped me"),
    "nobody": _("Nobody"),
}
LABELS["summary_frequency"] = {"weekly": _("Weekly"), "daily": _("Daily"), "never": _("Never")}
LABELS["cap"] = {
    "daily_spend_cents": _("Spending today"),
    "monthly_spend_cents": _("Spending this month"),
    "daily_starts": _("Activities started today"),
    "daily_joins": _("Teams joined today"),
}

# The kinds of inbox message (notify.kinds.Kind), for the inbox page and its mute form:
# each says what its messages are about, as the reader would tick or untick it.
LABELS["inbox_kind"] = {
    "assist_received": _("New assists on my activities, and new members of my teams"),
    "instance_succeeded": _("My activity succeeded: floor reached, team full, unlocked"),
    "expired_refunded": _("My activity ended unfinished, and what was refunded"),
    "draw_result": _("Lottery draw results"),
    "assist_voided": _("Assists removed or counted after a check"),
    "invite_received": _("Invitations to help someone or join their team"),
    "enforcement": _("Decisions on my account"),
    "appeal_outcome": _("Decisions on my appeals"),
    "report_outcome": _("What came of my reports"),
    "reminder": _("Summaries of my spending and activities"),
}

# What opened a review case (`ReviewCase.source`: the reports, the inline scorer, the
# batch detection); tests/web/test_words.py finds every source the risk package names.
LABELS["case_source"] = {
    "report": _("people's reports"),
    "inline.score": _("the check of each assist"),
    "inline.group": _("the check of new accounts from one network"),
    "inline.spike": _("a spike on one activity"),
    "inline.campaign_spike": _("a spike across the campaign"),
    "detect": _("the scan for rings"),
}

# The frozen rules snapshot's keys (campaigns/rules/snapshot.py), as the console names them.
LABELS["rule"] = {
    "kind": _("Kind"),
    "channel": _("Where it is shared"),
    "instance_ttl_seconds": _("Time each activity runs"),
    "daily_assists_per_helper": _("Assists one helper may give a day"),
    "reference_price_cents": _("Reference price"),
    "item_id": _("Item"),
    "reference_window_days": _("Days of price history the reference price is checked against"),
    "price_cents": _("Price"),
    "floor_cents": _("Floor price"),
    "max_helpers": _("Most helpers needed"),
    "split": _("How cuts are drawn"),
    "purchase_window_seconds": _("Time to buy after reaching the floor"),
    "team_size": _("Team size"),
    "group_price_cents": _("Group price"),
    "draw_at": _("Draw time"),
    "entry_cap": _("Most entries per participant"),
    "base_entries": _("Entries for starting"),
    "prizes": _("Prizes"),
    "commitment_hex": _("Commitment to the draw's seed (SHA-256)"),
    "helpers_needed": _("Assists needed"),
    "reward_cents": _("Reward value"),
    "reward_name": _("Reward"),
}

# What an audit entry records (`AuditEntry.action`) and what it is about (`subject_type`):
# the values `audit.service.record` is given anywhere in the engine, which
# tests/web/test_words.py finds in the source, wrappers followed.
LABELS["audit_action"] = {
    "appeal.filed": _("Appeal filed"),
    "appeal.upheld": _("Appeal decided: action upheld"),
    "appeal.lifted": _("Appeal decided: action lifted"),
    "assist.voided": _("Assist voided"),
    "assists.read": _("Helpers of an activity viewed"),
    "audit.pruned": _("Old audit entries removed by retention"),
    "campaign.created": _("Campaign created"),
    "campaign.updated": _("Campaign edited"),
    "campaign.versioned": _("New version of a campaign's rules"),
    "campaign.budget_changed": _("Campaign budget or inventory changed"),
    "campaign.scheduled": _("Campaign scheduled"),
    "campaign.launched": _("Campaign launched"),
    "campaign.paused": _("Campaign paused"),
    "campaign.resumed": _("Campaign resumed"),
    "campaign.ended": _("Campaign ended"),
    "enforcement.applied": _("Action taken on an account"),
    "enforcement.lifted": _("Action on an account lifted"),
    "privacy.exported": _("A person's data exported"),
    "privacy.deleted": _("A person's data deleted"),
    "report.filed": _("Report filed"),
    "review_case.opened": _("Review case opened"),
    "review_case.assigned": _("Review case taken"),
    "review_case.read": _("Review case's evidence viewed"),
    "review_case.confirmed": _("Review case confirmed"),
    "review_case.dismissed": _("Review case dismissed"),
    "review_case.acted": _("Confirmed case acted on"),
    "standing.read": _("An account's standing viewed"),
}
LABELS["audit_subject"] = {
    "account": _("Account"),
    "appeal": _("Appeal"),
    "audit_chain": _("Audit log"),
    "campaign": _("Campaign"),
    "enforcement_action": _("Action on an account"),
    "instance": _("A participant's activity"),
    "report": _("Report"),
    "review_case": _("Review case"),
}

# Where each table's values come from; a test holds LABELS[name] to exactly these.
SOURCES: dict[str, Iterable[str]] = {
    "campaign_kind": get_args(Kind),
    "campaign_status": [s.value for s in CampaignStatus],
    "instance_status": [s.value for s in InstanceStatus],
    "assist_status": [s.value for s in AssistStatus],
    "purchase_status": [s.value for s in PurchaseStatus],
    "channel": get_args(Channel),
    "split": get_args(Split),
    "operator_role": [r.value for r in OperatorRole],
    "case_kind": [k.value for k in CaseKind],
    "case_status": [s.value for s in CaseStatus],
    "report_kind": [k.value for k in ReportKind],
    "action_kind": [k.value for k in ActionKind],
    "enforce_choice": get_args(Enforce),
    "appeal_status": [s.value for s in AppealStatus],
    "risk_decision": get_args(RiskDecision),
    "group_verdict": [v.value for v in GroupVerdict],
    "farm_sign": [s.value for s in FarmSign],
    "evidence_kind": [k.value for k in EvidenceKind],
    "accept_from": [a.value for a in AcceptFrom],
    "summary_frequency": [f.value for f in SummaryFrequency],
    "inbox_kind": [k.value for k in InboxKind],
    "cap": [c.value for c in Cap],
    "rule": {*snapshot.COMMON_KEYS, *(k for keys in snapshot.KIND_KEYS.values() for k in keys)},
}

# The statuses one badge may show (an instance, an assist, a purchase, a campaign).
STATUS_TABLES = ("campaign_status", "instance_status", "assist_status", "purchase_status")

Translate = Callable[[str], str]


def word(gettext: Translate, table: str, value: Any) -> str:
    """A value in words; an unknown value (an old row) is shown as it is stored."""
    if isinstance(value, StrEnum):
        value = value.value
    message = LABELS[table].get(str(value))
    return gettext(message) if message is not None else str(value)


def choices(gettext: Translate, table: str) -> list[tuple[str, str]]:
    """A table's values with their words, in the order of the words (a form's options)."""
    return sorted(
        ((value, gettext(message)) for value, message in LABELS[table].items()),
        key=lambda pair: pair[1],
    )


def duration(gettext: Translate, seconds: int) -> str:
    """A rule's length of time in whole days, hours or minutes where it is one ("1 day",
    not "1 days")."""
    units = (
        (86400, _("%(n)s days"), _("1 day")),
        (3600, _("%(n)s hours"), _("1 hour")),
        (60, _("%(n)s minutes"), _("1 minute")),
        (1, _("%(n)s seconds"), _("1 second")),
    )
    unit, many, one = next(u for u in units if (seconds and seconds % u[0] == 0) or u[0] == 1)
    n = seconds // unit
    return gettext(one) if n == 1 else gettext(many) % {"n": n}


def status_word(gettext: Translate, value: Any) -> str:
    for table in STATUS_TABLES:
        if str(value) in LABELS[table]:
            return word(gettext, table, value)
    return str(value)


# -- risk reasons ------------------------------------------------------------------------
# The inline scorer's reasons (risk/inline.py) are `code` or `code:detail` ("busy_network:9",
# "instant_after_open:0.4s", "automation:agent:curl,no_accept_language").

RISK_REASONS: dict[str, str] = {
    "new_account": _("a new account"),
    "shared_device": _("%(detail)s accounts on one phone"),
    "busy_network": _("%(detail)s assists from one network"),
    "fast_helper": _("%(detail)s assists by this helper in a short time"),
    "no_share_open": _("assisted without opening a share link"),
    "instant_after_open": _("tapped %(detail)s after opening the share"),
    "share_not_opened": _("the share link was never opened"),
    "reciprocal_pair": _("two people who assist each other back and forth"),
    "automation": _("signs of a script, not a person (%(detail)s)"),
    "network_group": _("held as a group with others from one network"),
    "fresh_network": _("%(detail)s new accounts from one network"),
    "unopened_burst": _(
        "%(detail)s taps with no share open from one network or phone, seconds apart"
    ),
    "instance_under_watch": _("the activity was under watch after a spike"),
    "held_with_its_group": _("counted at first, then held with the group it began"),
}


def risk_reason(gettext: Translate, reason: str) -> str:
    code, _sep, detail = str(reason).partition(":")
    message = RISK_REASONS.get(code)
    if message is None:
        return str(reason)
    return gettext(message) % {"detail": detail}


# -- who did it: an audit entry's actor ------------------------------------------------
# "operator:3", "account:12", "integrator:2" name a caller by id; "system:<job>",
# "rule:<name>" and "detector:<name>" name the engine's own steps
# (audit/models.py, AuditEntry.actor).

ACTOR_KINDS: dict[str, str] = {
    "operator": _("Operator #%(who)s"),
    "account": _("Participant #%(who)s"),
    "integrator": _("Integration token #%(who)s"),
    "system": _("Huzhu's job: %(who)s"),
    "rule": _("Huzhu's rule: %(who)s"),
    "detector": _("Huzhu's detector: %(who)s"),
}
# The engine's own actors by name (campaigns.service.SYSTEM_ACTOR, audit's retention, the
# review queue's rule for spam reports).
ACTORS: dict[str, str] = {
    "system:campaigns": _("Huzhu, on a campaign's schedule"),
    "system:audit_retention": _("Huzhu, at the end of the audit log's retention"),
    "rule:spam_reports": _("Huzhu's rule for spam reports"),
}


def actor(gettext: Translate, value: str) -> str:
    """Who made an audit entry, in words; an actor of an unknown kind as it is stored."""
    if value in ACTORS:
        return gettext(ACTORS[value])
    kind, _sep, who = str(value).partition(":")
    message = ACTOR_KINDS.get(kind)
    return gettext(message) % {"who": who} if message and who else str(value)


# -- stored texts: English for the API, a msgid and its parameters for the pages ----------


def stored(gettext: Translate, text: str | None, evidence: Mapping[str, Any] | None) -> str:
    """A text the engine stored in English (a case's summary, an action's reason), in the
    reader's language: its row's evidence carries the words it was made from."""
    return i18n.read_words(gettext, text, (evidence or {}).get("words"))


def case_summary(gettext: Translate, case: Any) -> str:
    """A review case's one line in the reader's language. A ring found by the scan is
    said from its evidence (its verdict, farm signs and accounts), which every such
    case holds, older ones too; any other case from its stored words."""
    evidence = case.evidence if isinstance(case.evidence, Mapping) else {}
    group = evidence.get("group")
    if case.kind == "fraud_ring" and isinstance(group, Mapping) and group.get("verdict"):
        accounts = len(evidence.get("accounts") or case.subject_account_ids or [])
        verdict = word(gettext, "group_verdict", group["verdict"])
        signs = [word(gettext, "farm_sign", sign) for sign in group.get("signs") or []]
        if signs:
            message = _("%(verdict)s (%(signs)s): %(accounts)s accounts")
            return gettext(message) % {
                "verdict": verdict,
                "signs": gettext(_(", ")).join(signs),
                "accounts": accounts,
            }
        message = _("%(verdict)s: %(accounts)s accounts")
        return gettext(message) % {"verdict": verdict, "accounts": accounts}
    return stored(gettext, case.summary, evidence)
