"""What confirming a fraud case does (registered with the review queue's confirm rules,
so an analyst's "confirm" with enforce="rule" acts on it).

A confirmed ring: its assists are voided instance by instance with an honest recount and
one message per affected participant, its accounts are restricted from taking part, and
the initiators whose instances the ring filled are warned — nothing is deleted, every
step is an event and an audit entry (void events in assists, actions in enforcement).

A confirmed spike or inline hold: the held assists on that instance were fake; they are
voided (they never counted, so nothing is recounted away from anyone). A dismissed one
(registered as a dismiss rule): they were genuine, so each now counts if the instance
still has room and is still running, and is otherwise voided with that honest reason.
A dismissed instance spike also lifts the instance's watch once the dismissal commits
(risk/live.py), so its new assists count again; a confirmed one keeps the watch until it
runs out.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from huzhu.assists import service as assists
from huzhu.config import Settings
from huzhu.enforcement import service as enforcement
from huzhu.enforcement.models import EnforcementAction
from huzhu.risk import live
from huzhu.risk.inline import WATCH_REASON
from huzhu.risk.review_models import ReviewCase
from huzhu.risk.review_service import confirm_rule, dismiss_rule

RING_REASON = "they came from accounts acting together as a ring (fake assists)"
HOLD_REASON = "they were held as suspicious and a reviewer confirmed they were fake"
RULE_ACTOR = "rule:fraud_ring"


@confirm_rule("fraud_ring")
def act_on_ring(session: Session, settings: Settings, case: ReviewCase) -> list[EnforcementAction]:
    evidence: dict[str, Any] = case.evidence or {}
    members = sorted({int(a) for a in evidence.get("accounts", case.subject_account_ids or [])})
    instances = sorted({int(i) for i in evidence.get("instances", [])})
    assist_ids = assists.ring_assist_ids(
        session, shop_id=case.shop_id, helper_ids=members, instance_ids=instances
    )
    summary = assists.void_assists(
        session, shop_id=case.shop_id, assist_ids=assist_ids, reason=RING_REASON
    )
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
            rung_or_kind="participation_restriction",
            reason="your account gave fake assists as part of a ring",
            evidence=proof,
            actor=RULE_ACTOR,
            case_id=case.id,
            settings=settings.enforcement,
        )
        for account_id in members
    ]
    for initiator_id, removed in _initiators_helped(session, case.shop_id, summary.per_instance):
        if initiator_id in members or removed < settings.risk.ring_warn_min_assists:
            continue
        actions.append(
            enforcement.enforce(
                session,
                account_id=initiator_id,
                rung_or_kind="warning",
                reason=f"{removed} assists on your activities came from a ring of fake accounts",
                evidence=proof,
                actor=RULE_ACTOR,
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


@confirm_rule("spike")
def act_on_spike(session: Session, settings: Settings, case: ReviewCase) -> list[EnforcementAction]:
    return _void_held(session, case)


@confirm_rule("inline_hold")
def act_on_hold(session: Session, settings: Settings, case: ReviewCase) -> list[EnforcementAction]:
    return _void_held(session, case)


def _void_held(session: Session, case: ReviewCase) -> list[EnforcementAction]:
    if case.instance_id is None:
        return []
    held = assists.held_assist_ids(session, shop_id=case.shop_id, instance_id=case.instance_id)
    assists.void_assists(session, shop_id=case.shop_id, assist_ids=held, reason=HOLD_REASON)
    return []


@dismiss_rule("spike")
def count_after_spike(session: Session, case: ReviewCase) -> None:
    """The burst was genuine: count what the watch held, and lift the watch so new
    assists count too. An assist the score held on its own (a script, a device farm) was
    not cleared by this decision and stays held."""
    if case.instance_id is None:  # a campaign spike held nothing
        return
    instance_id = case.instance_id
    live.after_commit(session, lambda scorer: scorer.lift_watch(instance_id))
    held = assists.held_assist_ids_for(
        session, shop_id=case.shop_id, instance_id=case.instance_id, reason=WATCH_REASON
    )
    assists.count_held_assists(session, shop_id=case.shop_id, assist_ids=held)


@dismiss_rule("inline_hold")
def count_after_hold(session: Session, case: ReviewCase) -> None:
    """The analyst looked at the instance's held assists and found them genuine."""
    if case.instance_id is None:
        return
    held = assists.held_assist_ids(session, shop_id=case.shop_id, instance_id=case.instance_id)
    assists.count_held_assists(session, shop_id=case.shop_id, assist_ids=held)
