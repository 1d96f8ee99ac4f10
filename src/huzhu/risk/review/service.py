"""Use cases of the review queue: reports in, cases decided, the ladder applied.

One queue for everything an analyst decides. Participants' reports open or join a case
(`file_report`); detectors and the inline scorer put theirs in with `open_case`. A
decision is final (conditional UPDATE) and is followed by enforcement through
`huzhu.enforcement.service.enforce`: by the spam rule (rules.py), or by the
analyst's explicit choice. Reporters are told the outcome of their report; the reported
person learns of a case only through an enforcement action, never of who reported them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from huzhu.accounts import service as accounts
from huzhu.accounts.rules import Principal
from huzhu.assists import service as assists
from huzhu.assists.rules import AssistStatus
from huzhu.audit import service as audit
from huzhu.config import Settings
from huzhu.enforcement import service as enforcement
from huzhu.enforcement.rules import NEXT
from huzhu.kit import clock
from huzhu.kit.export import Pseudonym, fields_of
from huzhu.kit.i18n import N_, stored_words
from huzhu.kit.ratelimit import RateLimiter
from huzhu.notify import service as notify
from huzhu.pagination import PageParams, fetch_page
from huzhu.risk.review import repository as repo
from huzhu.risk.review import rules
from huzhu.risk.review.errors import (
    AlreadyReported,
    CannotReportSelf,
    CaseAlreadyDecided,
    CaseNotFound,
    MutualHelpNeedsAnalyst,
    MutualHelpReasonRequired,
    ReportedAccountNotFound,
    ReportLimit,
    ReportSubjectMissing,
)
from huzhu.risk.review.models import Report, ReviewCase
from huzhu.risk.review.rules import CaseKind, CaseStatus, ReportKind

# enforce= values of a confirmation besides a rung or kind name.
BY_RULE = "rule"
NO_ACTION = "none"
RECENT_ASSISTS_IN_EVIDENCE = 200


def _audit_and_event(
    session: Session,
    *,
    case: ReviewCase,
    actor: str,
    action: str,
    reason: str,
    payload: dict[str, Any],
    subject_type: str = "review_case",
    subject_id: int | None = None,
) -> None:
    audit.record(
        session,
        shop_id=case.shop_id,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id if subject_id is not None else case.id,
        account_id=case.subject_account_id,
        reason=reason,
        details=payload,
    )
    notify.record_event(
        session,
        shop_id=case.shop_id,
        type=action,
        subject_type=subject_type,
        subject_id=subject_id if subject_id is not None else case.id,
        payload={**payload, "actor": actor},
    )


def _case_payload(case: ReviewCase) -> dict[str, Any]:
    return {
        "case_id": case.id,
        "kind": case.kind,
        "status": case.status,
        "subject_account_ids": list(case.subject_account_ids or []),
        "instance_id": case.instance_id,
        "report_count": case.report_count,
    }


# -- putting things in the queue -----------------------------------------------------------


def open_case(
    session: Session,
    *,
    shop_id: int,
    kind: str,
    source: str,
    subject_account_ids: list[int],
    summary: str,
    evidence: dict[str, Any],
    instance_id: int | None = None,
    campaign_id: int | None = None,
    open_key: str | None = None,
    add_subjects: bool = False,
) -> ReviewCase:
    """Put a case in the queue (detectors, the inline scorer, reports). With an
    `open_key`, a case already open under that key is returned instead (its evidence
    gains the new findings under "updates"), so a ring found twice is one case; with
    `add_subjects` too, its accounts gain these (a group whose members arrive one by
    one: every member is on the one case)."""
    kind = CaseKind(kind).value
    now = clock.utcnow()
    add_subjects_of = subject_account_ids if add_subjects else []
    if open_key is not None:
        existing = repo.open_case_by_key(session, open_key)
        if existing is not None:
            return _join(existing, evidence=evidence, now=now, add=add_subjects_of)
    case = ReviewCase(
        shop_id=shop_id,
        kind=kind,
        status=CaseStatus.OPEN.value,
        source=source,
        subject_account_id=subject_account_ids[0] if subject_account_ids else None,
        subject_account_ids=sorted(set(subject_account_ids)),
        instance_id=instance_id,
        campaign_id=campaign_id,
        summary=summary[:300],
        evidence=evidence,
        report_count=0,
        open_key=open_key,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(case)
            session.flush()
    except IntegrityError:
        # Another request opened the case for this key first: join theirs.
        assert open_key is not None
        existing = repo.open_case_by_key(session, open_key)
        if existing is None:
            raise
        return _join(existing, evidence=evidence, now=now, add=add_subjects_of)
    _audit_and_event(
        session,
        case=case,
        actor=source,
        action="review_case.opened",
        reason=case.summary,
        payload=_case_payload(case),
    )
    return case


def _join(
    case: ReviewCase, *, evidence: dict[str, Any], now: Any, add: list[int] | None = None
) -> ReviewCase:
    subjects = list(case.subject_account_ids or [])
    if add and not set(add) <= set(subjects):
        case.subject_account_ids = sorted(set(subjects) | set(add))
        if case.subject_account_id is None:
            case.subject_account_id = case.subject_account_ids[0]
    if evidence and evidence != case.evidence:
        updates = list(case.evidence.get("updates", [])) if case.evidence else []
        updates.append({"at": now.isoformat(), **evidence})
        case.evidence = {**(case.evidence or {}), "updates": updates[-20:]}
    case.updated_at = now
    return case


@lru_cache(maxsize=4)
def _limiter(storage_url: str | None) -> RateLimiter:
    """One limiter per storage for the process (memory embedded, Redis shared)."""
    return RateLimiter(storage_url)


def _spend_report_allowance(settings: Settings, reporter_id: int) -> None:
    """Reports shrink the reported sender's invite caps (invites' reputation), so a
    person — or a group settling a score — may file only so many a day."""
    rate = f"{settings.enforcement.reports_per_day}/day"
    limiter = _limiter(settings.redis.url)
    key = f"{settings.redis.key_prefix}:report:{reporter_id}"
    if not limiter.hit(key, rate):
        window = limiter.window(key, rate)
        raise ReportLimit(
            f"at most {settings.enforcement.reports_per_day} reports a day",
            limit=settings.enforcement.reports_per_day,
            retry_after=max(window.retry_after, 1),
        )


def reporters_against(session: Session, account_id: int) -> list[int]:
    """The people who reported this account (each once): the invites domain counts those
    its invites reached among them."""
    return repo.reporters_against(session, account_id)


def spam_reports_after_reach_upto(
    session: Session, *, reach: Any, edges: Sequence[datetime]
) -> list[int]:
    """Spam reports by people the invites in `reach` reached, against their sender, after
    that invite — up to each edge (the campaign dashboard's complaints)."""
    return repo.spam_reports_after_reach_upto(session, reach=reach, edges=edges)


def file_report(
    session: Session,
    settings: Settings,
    *,
    shop_id: int,
    reporter_id: int,
    kind: str,
    account_id: int | None,
    instance_id: int | None,
    text: str | None,
) -> Report:
    """A participant reports a sender for spam (`account_id`) or an instance for
    fraud (`instance_id`: its count jumped without real friends). The report joins the
    open case about the same subject, or opens one; one report per reporter per case."""
    _spend_report_allowance(settings, reporter_id)
    subject_id, evidence, campaign_id = _report_subject(
        session, shop_id=shop_id, kind=kind, account_id=account_id, instance_id=instance_id
    )
    if subject_id == reporter_id:
        raise CannotReportSelf("you cannot report yourself")
    key = rules.open_key(kind=kind, account_id=subject_id, instance_id=instance_id)
    summary, words = (
        stored_words(N_("spam reported against account %(account)s"), account=subject_id)
        if kind == ReportKind.SPAM
        else stored_words(
            N_("instance %(instance)s: count jumped without real friends"), instance=instance_id
        )
    )
    case = open_case(
        session,
        shop_id=shop_id,
        kind=rules.REPORT_CASE_KIND[kind].value,
        source="report",
        subject_account_ids=[subject_id],
        summary=summary,
        evidence={**evidence, **words},
        instance_id=instance_id,
        campaign_id=campaign_id,
        open_key=key,
    )
    now = clock.utcnow()
    report = Report(
        shop_id=shop_id,
        case_id=case.id,
        kind=kind,
        reporter_account_id=reporter_id,
        subject_account_id=subject_id,
        instance_id=instance_id,
        text=text,
        status=CaseStatus.OPEN.value,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(report)
            session.flush()
    except IntegrityError as exc:
        raise AlreadyReported(
            "you have reported this already; it is waiting for review", case_id=case.id
        ) from exc
    repo.bump_report_count(session, case_id=case.id, now=now)
    session.refresh(case)
    enforcement.note_report(session, shop_id=shop_id, account_id=subject_id)
    _audit_and_event(
        session,
        case=case,
        actor=f"account:{reporter_id}",
        action="report.filed",
        reason=text or "",
        payload={
            "report_id": report.id,
            "case_id": case.id,
            "kind": kind,
            "subject_account_id": subject_id,
            "instance_id": instance_id,
        },
        subject_type="report",
        subject_id=report.id,
    )
    notify.send_inbox_message(
        session,
        account_id=reporter_id,
        kind=notify.Kind.REPORT_OUTCOME,
        params={"variant": "filed", "case_id": case.id},
    )
    return report


def _report_subject(
    session: Session,
    *,
    shop_id: int,
    kind: str,
    account_id: int | None,
    instance_id: int | None,
) -> tuple[int, dict[str, Any], int | None]:
    """(reported account, evidence to attach, campaign) for a report."""
    if kind == ReportKind.SPAM:
        if account_id is None:
            raise ReportSubjectMissing("a spam report names the sender", field="account_id")
        account = accounts.get_account(session, account_id)
        if account is None or account.shop_id != shop_id:
            raise ReportedAccountNotFound(f"no account {account_id} in this shop")
        return account_id, {}, None
    if instance_id is None:
        raise ReportSubjectMissing("a fraud report names the instance", field="instance_id")
    instance = assists.get_instance(session, instance_id, shop_id=shop_id)
    return instance.initiator_id, _instance_evidence(session, instance), instance.campaign_id


def _instance_evidence(session: Session, instance: Any) -> dict[str, Any]:
    """What the analyst needs to judge "the count jumped without real friends": the
    honest counts, the latest assists with their inline risk decisions (pseudonymous
    helper ids only), and the open spike, hold and ring cases on the instance — for a
    ring, which of these assists its accounts gave. Confirming the report by rule acts
    on what this names (rules.reported_assists)."""
    rows, _ = assists.list_assists(
        session,
        PageParams(limit=RECENT_ASSISTS_IN_EVIDENCE),
        shop_id=instance.shop_id,
        instance_id=instance.id,
    )
    open_cases: list[dict[str, Any]] = []
    for other in repo.open_cases_on_instance(
        session, shop_id=instance.shop_id, instance_id=instance.id
    ):
        entry: dict[str, Any] = {"case_id": other.id, "kind": other.kind}
        if other.kind == CaseKind.FRAUD_RING.value:
            ring = set(other.subject_account_ids or [])
            entry["assist_ids"] = sorted(
                a.id for a in rows if a.helper_id in ring and a.status != AssistStatus.VOIDED
            )
        open_cases.append(entry)
    return {
        "instance": assists.describe(instance).model_dump(mode="json"),
        "initiator_id": instance.initiator_id,
        "open_cases": open_cases,
        "assists": [
            {
                "assist_id": a.id,
                "helper_id": a.helper_id,
                "status": a.status,
                "risk_decision": a.risk_decision,
                "risk_score": a.risk_score,
                "risk_reasons": list(a.risk_reasons or []),
                "at": clock.as_utc(a.created_at).isoformat(),
            }
            for a in rows
        ],
    }


# -- reading -----------------------------------------------------------------------------


def list_cases(
    session: Session,
    params: PageParams,
    *,
    shop_id: int,
    status: str | None = None,
    kind: str | None = None,
    account_id: int | None = None,
    assignee_operator_id: int | None = None,
) -> tuple[list[ReviewCase], int | None]:
    stmt = repo.cases_query(
        shop_id=shop_id,
        status=status,
        kind=kind,
        account_id=account_id,
        assignee_operator_id=assignee_operator_id,
    )
    return fetch_page(session, stmt, ReviewCase.id, params)


def get_case(session: Session, *, shop_id: int, case_id: int) -> ReviewCase:
    case = repo.case_in_shop(session, shop_id=shop_id, case_id=case_id)
    if case is None:
        raise CaseNotFound(f"no review case {case_id}")
    return case


def read_case(session: Session, principal: Principal, *, case_id: int) -> ReviewCase:
    """An analyst's look at a case with its evidence (the API and the console's case
    page): personal data, so every look is audited."""
    case = get_case(session, shop_id=principal.shop_id, case_id=case_id)
    audit.record_read(
        session,
        principal,
        action=audit.Action.CASE_READ,
        subject_type="review_case",
        subject_id=case.id,
        account_id=case.subject_account_id,
        details={"subject_account_ids": list(case.subject_account_ids or [])},
    )
    return case


def reports_of(session: Session, case_id: int) -> list[Report]:
    return repo.reports_of_case(session, case_id)


# -- deciding ----------------------------------------------------------------------------


def assign_case(
    session: Session, *, shop_id: int, case_id: int, operator_id: int, actor: str
) -> ReviewCase:
    case = get_case(session, shop_id=shop_id, case_id=case_id)
    if case.status != CaseStatus.OPEN.value:
        raise CaseAlreadyDecided(f"case {case_id} is {case.status}")
    case.assignee_operator_id = operator_id
    case.updated_at = clock.utcnow()
    session.flush()
    _audit_and_event(
        session,
        case=case,
        actor=actor,
        action="review_case.assigned",
        reason="",
        payload={**_case_payload(case), "assignee_operator_id": operator_id},
    )
    return case


# What "enforce by rule" does when a case of a kind is confirmed. The spam rule is
# registered below; the fraud issue registers its ring handler (void the ring's assists,
# recount, enforce) the same way, without editing this module.
ConfirmRule = Callable[[Session, Settings, ReviewCase], list[enforcement.Action]]
_CONFIRM_RULES: dict[str, ConfirmRule] = {}
# Kinds whose confirm rule tells the reporters what came of their report itself (it
# knows what it did; the generic "confirmed and acted on it" could be untrue).
_RULES_TELLING_REPORTERS: set[str] = set()


def confirm_rule(
    kind: CaseKind, *, tells_reporters: bool = False
) -> Callable[[ConfirmRule], ConfirmRule]:
    """Register what confirming a case of `kind` with enforce="rule" does. With
    `tells_reporters`, the rule sends the reporters' message (`tell_reporters`) instead
    of the generic one."""
    kind = CaseKind(kind)  # a typo fails at import, not at the first confirmation

    def _register(fn: ConfirmRule) -> ConfirmRule:
        existing = _CONFIRM_RULES.get(kind)
        if existing is not None and existing is not fn:
            raise ValueError(f"a confirm rule for {kind.value!r} is registered already")
        _CONFIRM_RULES[kind] = fn
        if tells_reporters:
            _RULES_TELLING_REPORTERS.add(kind)
        return fn

    return _register


def record_outcome(
    session: Session, *, case: ReviewCase, actor: str, outcome: dict[str, Any]
) -> None:
    """Keep what a confirm rule did with the case (evidence["rule_outcome"], shown with
    the decision) and audit it as `review_case.acted` — so a rule that found nothing to
    act on says so instead of passing silently."""
    case.evidence = {**(case.evidence or {}), "rule_outcome": outcome}
    session.flush()
    _audit_and_event(
        session,
        case=case,
        actor=actor,
        action="review_case.acted",
        reason=str(outcome.get("note", "")),
        payload={"case_id": case.id, "kind": case.kind, **outcome},
    )


def confirm_case(
    session: Session,
    settings: Settings,
    *,
    shop_id: int,
    case_id: int,
    reason: str,
    enforce: str,
    actor: str,
) -> tuple[ReviewCase, list[enforcement.Action]]:
    """Confirm a case and act on it. `enforce`: "rule" (the rule registered for the
    case's kind — the spam rule for spam reports, risk/rings.py for fraud; nothing where
    none is registered), "none", or "next" / a kind name / a rung, applied to every
    subject account."""
    found = get_case(session, shop_id=shop_id, case_id=case_id)
    kind = found.kind
    if enforce != NO_ACTION and rules.likely_mutual_help(kind, found.evidence):
        _assert_analyst_reason(settings, actor=actor, reason=reason)
    rule = _CONFIRM_RULES.get(kind) if enforce == BY_RULE else None
    case = _decide(
        session,
        shop_id=shop_id,
        case_id=case_id,
        status=CaseStatus.CONFIRMED,
        reason=reason,
        actor=actor,
        tell=rule is None or kind not in _RULES_TELLING_REPORTERS,
    )
    if enforce == NO_ACTION:
        return case, []
    if enforce == BY_RULE:
        return case, (rule(session, settings, case) if rule is not None else [])
    rung_or_kind: str | int = int(enforce) if enforce.isdigit() else enforce
    actions = [
        enforcement.enforce(
            session,
            account_id=account_id,
            rung_or_kind=rung_or_kind,
            reason=reason,
            evidence={"case_id": case.id, "case_kind": case.kind},
            actor=actor,
            case_id=case.id,
            settings=settings.enforcement,
        )
        for account_id in case.subject_account_ids or []
    ]
    return case, actions


def _assert_analyst_reason(settings: Settings, *, actor: str, reason: str) -> None:
    """Friends who help each other look like a ring to the graph: acting on such a
    group takes a person, and a reason that says what they saw (the page shows the
    group's phones, networks and timing; a one-word reason has not looked)."""
    if rules.is_rule_actor(actor):
        raise MutualHelpNeedsAnalyst(
            "this group showed no farm evidence: only an analyst may act on it"
        )
    need = settings.detect.mutual_help_reason_min_chars
    if len(reason.strip()) < need:
        raise MutualHelpReasonRequired(
            f"this group looks like friends helping each other: say in at least {need} "
            "characters why it is a ring before acting on it",
            field="reason",
            min_chars=need,
        )


# What dismissing a case of a kind does besides closing it: the fraud domain registers
# "the held assists were genuine after all, count them" for spikes and inline holds.
DismissRule = Callable[[Session, ReviewCase], None]
_DISMISS_RULES: dict[str, DismissRule] = {}


def dismiss_rule(kind: CaseKind) -> Callable[[DismissRule], DismissRule]:
    """Register what dismissing a case of `kind` does (always, in the same unit of work)."""
    kind = CaseKind(kind)

    def _register(fn: DismissRule) -> DismissRule:
        existing = _DISMISS_RULES.get(kind)
        if existing is not None and existing is not fn:
            raise ValueError(f"a dismiss rule for {kind.value!r} is registered already")
        _DISMISS_RULES[kind] = fn
        return fn

    return _register


def dismiss_case(
    session: Session, *, shop_id: int, case_id: int, reason: str, actor: str
) -> ReviewCase:
    case = _decide(
        session,
        shop_id=shop_id,
        case_id=case_id,
        status=CaseStatus.DISMISSED,
        reason=reason,
        actor=actor,
    )
    rule = _DISMISS_RULES.get(case.kind)
    if rule is not None:
        rule(session, case)
    return case


def _decide(
    session: Session,
    *,
    shop_id: int,
    case_id: int,
    status: CaseStatus,
    reason: str,
    actor: str,
    tell: bool = True,
) -> ReviewCase:
    case = get_case(session, shop_id=shop_id, case_id=case_id)
    now = clock.utcnow()
    if not repo.decide_case(
        session, case_id=case_id, status=status, by=actor, reason=reason, now=now
    ):
        raise CaseAlreadyDecided(f"case {case_id} was decided already")
    session.refresh(case)
    repo.set_reports_status(session, case_id=case_id, status=status)
    _audit_and_event(
        session,
        case=case,
        actor=actor,
        action=f"review_case.{status}",
        reason=reason,
        payload=_case_payload(case),
    )
    if tell:
        tell_reporters(session, case=case, params={"variant": str(status)})
    return case


def tell_reporters(session: Session, *, case: ReviewCase, params: dict[str, Any]) -> None:
    """One `report_outcome` message to each person who reported into the case (params:
    its variant and counts). Never names the reported person's helpers, nor any reporter
    to anyone."""
    for report in repo.reports_of_case(session, case.id):
        notify.send_inbox_message(
            session,
            account_id=report.reporter_account_id,
            kind=notify.Kind.REPORT_OUTCOME,
            params={**params, "case_id": case.id},
        )


@confirm_rule(CaseKind.SPAM_REPORT)
def _apply_spam_rule(
    session: Session, settings: Settings, case: ReviewCase
) -> list[enforcement.Action]:
    """The spam rule (rules.py): enough unspent confirmed reports → one rung."""
    if case.subject_account_id is None:
        return []
    conf = settings.enforcement
    reports = [
        (rid, reporter, clock.as_utc(at))
        for rid, reporter, at in repo.unspent_confirmed_spam(session, case.subject_account_id)
    ]
    spend = rules.spam_rule_reports(
        reports,
        now=clock.utcnow(),
        window=timedelta(seconds=conf.spam_report_window_seconds),
        threshold=conf.spam_reports_per_rung,
    )
    if spend is None:
        return []
    reporters = len({reporter for rid, reporter, _ in reports if rid in spend})
    reason, words = stored_words(
        N_("%(reporters)s people reported unwanted invites from this account"),
        reporters=reporters,
    )
    action = enforcement.enforce(
        session,
        account_id=case.subject_account_id,
        rung_or_kind=NEXT,
        reason=reason,
        evidence={"case_id": case.id, "report_ids": spend, "reporters": reporters, **words},
        actor="rule:spam_reports",
        case_id=case.id,
        settings=conf,
    )
    repo.spend_reports(session, report_ids=spend, action_id=action.id)
    return [action]


# -- a person's own data ------------------------------------------------------------------


def export_of(session: Session, *, account_id: int, other: Pseudonym) -> list[dict[str, Any]]:
    """The reports the person filed: whom (by the export's pseudonym) or which activity,
    their own words and how it ended."""
    return [
        {
            **fields_of(r, ("kind", "instance_id", "text", "status", "created_at")),
            "about": other(r.subject_account_id),
        }
        for r in repo.reports_filed_by(session, account_id)
    ]


def erase_words_of(session: Session, *, account_id: int) -> None:
    """At the person's deletion: the free text of the reports they filed. The reports
    stay (what the cases counted, what the tallies and the ladder were built on)."""
    repo.erase_words_of_reporter(session, account_id)
    session.flush()
