"""What confirming a fraud case does (registered with the review queue's confirm rules,
so an analyst's "confirm" with enforce="rule" acts on it).

A confirmed ring: its assists are voided instance by instance with an honest recount and
one message per affected participant, its accounts are restricted from taking part (one
already restricted within the ladder's memory is banned), and the initiators whose
instances the ring filled are warned — nothing is deleted, every step is an event and an
audit entry (void events in assists, actions in enforcement).

A confirmed spike or inline hold: the held assists on that instance were fake; they are
voided (they never counted, so nothing is recounted away from anyone). A dismissed one
(registered as a dismiss rule): they were genuine, so each now counts if the instance
still has room and is still running, and is otherwise voided with that honest reason.
A dismissed instance spike also lifts the instance's watch once the dismissal commits
(risk/live.py), so its new assists count again; a confirmed one keeps the watch until it
runs out.

A confirmed fraud report (a participant saw the count jump without real friends): the
assists the report's evidence implicates — held, flagged with risk reasons, or given by
an open ring's accounts — are voided through the same path as a ring's, their helpers
restricted as fake assisters, and the reporters told how many were removed; when the
evidence implicates none, the outcome says that nothing was voided. A fraud report has no
dismiss rule: it holds no assists of its own (held ones belong to their hold or spike
case, which decides them), so dismissing it only closes it and tells the reporters.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from huzhu.assists import service as assists
from huzhu.assists.voiding import service as voiding
from huzhu.config import Settings
from huzhu.enforcement import service as enforcement
from huzhu.enforcement.rules import NEXT, ActionKind
from huzhu.kit.i18n import N_
from huzhu.risk import live
from huzhu.risk.inline import WATCH_REASON
from huzhu.risk.review import rules as review_rules
from huzhu.risk.review import service as review_service
from huzhu.risk.review.models import ReviewCase
from huzhu.risk.review.rules import CaseKind
from huzhu.risk.review.service import confirm_rule, dismiss_rule

RING_REASON = N_("they came from accounts acting together as a ring (fake assists)")
HOLD_REASON = N_("they were held as suspicious and a reviewer confirmed they were fake")
RULE_ACTOR = "rule:fraud_ring"
# Neutral on purpose: the initiator is not told that anyone reported the activity.
REPORT_REASON = N_("a reviewer checked them and confirmed they were fake")
REPORT_ACTOR = "rule:fraud_report"
HOLD_ACTOR = "rule:held_assists"


@confirm_rule(CaseKind.FRAUD_RING)
def act_on_ring(session: Session, settings: Settings, case: ReviewCase) -> list[enforcement.Action]:
    evidence: dict[str, Any] = case.evidence or {}
    members = sorted({int(a) for a in evidence.get("accounts", case.subject_account_ids or [])})
    instances = sorted({int(i) for i in evidence.get("instances", [])})
    assist_ids = voiding.ring_assist_ids(
        session, shop_id=case.shop_id, helper_ids=members, instance_ids=instances
    )
    summary = voiding.void_assists(
        session, shop_id=case.shop_id, assist_ids=assist_ids, reason=RING_REASON, actor=RULE_ACTOR
    )
    return _enforce_fake_assists(
        session,
        settings,
        case,
        summary=summary,
        helpers=members,
        helper_reason=N_("your account gave fake assists as part of a ring"),
        initiator_reason="assists on your activities came from a ring of fake accounts",
        actor=RULE_ACTOR,
    )


def _enforce_fake_assists(
    session: Session,
    settings: Settings,
    case: ReviewCase,
    *,
    summary: voiding.VoidSummary,
    helpers: list[int],
    helper_reason: str,
    initiator_reason: str,
    actor: str,
) -> list[enforcement.Action]:
    """The ladder after voiding (rings and confirmed fraud reports alike): each fake
    assister gets a participation restriction the first time and one rung more each time
    again (a ban after the restriction), and each initiator who got at least
    `risk.ring_warn_min_assists` of the voided assists a warning ("N <initiator_reason>")."""
    proof = {
        "case_id": case.id,
        "case_kind": case.kind,
        "assists_voided": summary.voided,
        "instances": sorted(summary.per_instance),
    }
    actions = [
        enforcement.enforce(
            session,
            account_id=account_id,
            rung_or_kind=NEXT,
            floor=ActionKind.PARTICIPATION_RESTRICTION,
            reason=helper_reason,
            evidence=proof,
            actor=actor,
            case_id=case.id,
            settings=settings.enforcement,
        )
        for account_id in helpers
    ]
    for initiator_id, removed in _initiators_helped(session, case.shop_id, summary.per_instance):
        if initiator_id in helpers or removed < settings.risk.ring_warn_min_assists:
            continue
        actions.append(
            enforcement.enforce(
                session,
                account_id=initiator_id,
                rung_or_kind=ActionKind.WARNING,
                reason=f"{removed} {initiator_reason}",
                evidence=proof,
                actor=actor,
                case_id=case.id,
                settings=settings.enforcement,
            )
        )
    return actions


def _initiators_helped(
    session: Session, shop_id: int, per_instance: dict[int, int]
) -> list[tuple[int, int]]:
    """(initiator, assists the ring gave them) over the instances that lost assists."""
    totals: dict[int, int] = {}
    for instance_id, removed in per_instance.items():
        initiator = assists.get_instance(session, instance_id, shop_id=shop_id).initiator_id
        totals[initiator] = totals.get(initiator, 0) + removed
    return sorted(totals.items())


@confirm_rule(CaseKind.FRAUD_REPORT, tells_reporters=True)
def act_on_report(
    session: Session, settings: Settings, case: ReviewCase
) -> list[enforcement.Action]:
    """A participant reported that an instance's count jumped without real friends, and
    an analyst confirmed it by rule. Acted on: exactly the assists the evidence attached
    to the report(s) implicates (review_rules.reported_assists — held by the inline
    scorer, counted with risk reasons, or given by the accounts of an open ring on the
    instance), less those voided since or cleared by a review since
    (voiding.unreviewed_helpers). They are voided through the ring's path
    (voiding.void_assists: one lock, one recount, bargain cents back, one honest message
    to the initiator), their helpers are restricted as fake assisters and the initiator
    warned past `risk.ring_warn_min_assists` (as for a ring), and the reporters are told
    how many assists their report removed — no one is named. Assists the evidence does
    not implicate are never touched, however they look now.

    When nothing is left to void, the outcome says so (`rule_outcome` on the case, a
    `review_case.acted` entry, the reporters' message): no one is restricted, and the
    instance's open spike, hold or ring cases stay open for their own review (a spike's
    watch keeps holding new assists until it runs out or that case is dismissed)."""
    implicated = review_rules.reported_assists(case.evidence or {})
    in_question = (
        voiding.unreviewed_helpers(
            session,
            shop_id=case.shop_id,
            instance_id=case.instance_id,
            assist_ids=list(implicated),
        )
        if case.instance_id is not None
        else {}
    )
    summary = voiding.void_assists(
        session,
        shop_id=case.shop_id,
        assist_ids=sorted(in_question),
        reason=REPORT_REASON,
        actor=REPORT_ACTOR,
    )
    # Only the helpers of what this call voided (one voided meanwhile by another
    # decision was not this report's finding).
    helpers = sorted({in_question[a] for a in summary.assist_ids})
    actions = (
        _enforce_fake_assists(
            session,
            settings,
            case,
            summary=summary,
            helpers=helpers,
            helper_reason=N_("your account gave fake assists, confirmed by a reviewer"),
            initiator_reason="assists on your activity were confirmed fake by a reviewer",
            actor=REPORT_ACTOR,
        )
        if summary.voided
        else []
    )
    review_service.record_outcome(
        session,
        case=case,
        actor=REPORT_ACTOR,
        outcome=_report_outcome(case, implicated, summary=summary, helpers=helpers),
    )
    _tell_reporters_of(session, case, voided=summary.voided)
    return actions


def _report_outcome(
    case: ReviewCase,
    implicated: dict[int, str],
    *,
    summary: voiding.VoidSummary,
    helpers: list[int],
) -> dict[str, Any]:
    """What confirming the report did, for the analyst and the audit log: the assists
    voided and on what basis, those implicated but left alone, and a sentence."""
    by_basis: dict[str, int] = {}
    for assist_id in summary.assist_ids:
        by_basis[implicated[assist_id]] = by_basis.get(implicated[assist_id], 0) + 1
    if summary.voided:
        note = (
            f"{_assists(summary.voided)} voided on instance {case.instance_id} "
            f"({', '.join(f'{n} {basis}' for basis, n in sorted(by_basis.items()))}); "
            f"{len(helpers)} helper{'s' if len(helpers) != 1 else ''} restricted"
        )
    elif implicated:
        note = (
            "the assists the evidence implicates were voided or cleared by a review since: "
            "nothing more was voided and no one was restricted"
        )
    else:
        note = (
            "the evidence implicates no assist (none held, flagged or named by an open "
            "ring): nothing was voided and no one was restricted"
        )
    return {
        "rule": REPORT_ACTOR,
        "instance_id": case.instance_id,
        "assists_voided": summary.voided,
        "voided_assist_ids": list(summary.assist_ids),
        "implicated_by": by_basis,
        "left_alone": sorted(set(implicated) - set(summary.assist_ids)),
        "helpers_restricted": len(helpers),
        "note": note,
    }


def _tell_reporters_of(session: Session, case: ReviewCase, *, voided: int) -> None:
    params: dict[str, Any] = (
        {"variant": "acted", "voided": voided} if voided else {"variant": "nothing_voided"}
    )
    review_service.tell_reporters(session, case=case, params=params)


def _assists(n: int) -> str:
    return f"{n} assist{'s' if n != 1 else ''}"


@confirm_rule(CaseKind.SPIKE)
def act_on_spike(
    session: Session, settings: Settings, case: ReviewCase
) -> list[enforcement.Action]:
    return _void_held(session, case)


@confirm_rule(CaseKind.INLINE_HOLD)
def act_on_hold(session: Session, settings: Settings, case: ReviewCase) -> list[enforcement.Action]:
    return _void_held(session, case)


def _void_held(session: Session, case: ReviewCase) -> list[enforcement.Action]:
    if case.instance_id is None:
        return []
    held = voiding.held_assist_ids(session, shop_id=case.shop_id, instance_id=case.instance_id)
    voiding.void_assists(
        session, shop_id=case.shop_id, assist_ids=held, reason=HOLD_REASON, actor=HOLD_ACTOR
    )
    return []


@dismiss_rule(CaseKind.SPIKE)
def count_after_spike(session: Session, case: ReviewCase) -> None:
    """The burst was genuine: count what the watch held, and lift the watch so new
    assists count too. An assist the score held on its own (a script, a device farm) was
    not cleared by this decision and stays held."""
    if case.instance_id is None:  # a campaign spike held nothing
        return
    instance_id = case.instance_id
    live.after_commit(session, lambda scorer: scorer.lift_watch(instance_id))
    held = voiding.held_assist_ids_for(
        session, shop_id=case.shop_id, instance_id=case.instance_id, reason=WATCH_REASON
    )
    voiding.count_held_assists(session, shop_id=case.shop_id, assist_ids=held)


@dismiss_rule(CaseKind.INLINE_HOLD)
def count_after_hold(session: Session, case: ReviewCase) -> None:
    """The analyst looked at the instance's held assists and found them genuine."""
    if case.instance_id is None:
        return
    held = voiding.held_assist_ids(session, shop_id=case.shop_id, instance_id=case.instance_id)
    voiding.count_held_assists(session, shop_id=case.shop_id, assist_ids=held)
