"""Use cases of voiding and of counting held assists after review: an assist judged fake
is voided (one or a ring's many, instance by instance), a held one found genuine counts
through the hot path's own definition of counting on a slot, and the reads the review
rules use to pick which assists those are. The invariants are in the package's
docstring (`huzhu.assists.voiding`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from huzhu.assists import repository as assists_repo
from huzhu.assists import rules as assist_rules
from huzhu.assists import service as assists
from huzhu.assists.errors import AssistNotFound, AssistNotVoidable
from huzhu.assists.hotpath.repository.acts import CountHeldParams, Decision, Outcome
from huzhu.assists.hotpath.store import count_held_in
from huzhu.assists.models import Assist, Instance
from huzhu.assists.rules import AssistStatus, AssistTerms, InstanceStatus
from huzhu.assists.voiding import repository as repo
from huzhu.assists.voiding import rules
from huzhu.audit import service as audit
from huzhu.campaigns import service as campaigns
from huzhu.jobs import service as jobs
from huzhu.kit import clock
from huzhu.notify import service as notify


def void_assist(
    session: Session, *, shop_id: int, assist_id: int, reason: str, actor: str
) -> Assist:
    """Void an assist judged fake: kept with its reason, its slot returned, progress
    recomputed from the slots, the initiator told honestly.

    A succeeded bargain or unlock that loses a counted assist before it is bought or
    paid goes back to active (until its original expiry): its price was reached with
    a fake assist, so selling at the floor would spend budget on fraud. A purchased or
    completed instance is not reopened; the void is still recorded, and audited under
    `actor` (who voided it, by hand)."""
    assist = repo.assist_by_id(session, assist_id)
    instance = (
        assists_repo.instance_by_id(session, assist.instance_id, lock=True) if assist else None
    )
    if assist is None or instance is None or instance.shop_id != shop_id:
        raise AssistNotFound(f"assist {assist_id} not found")
    session.refresh(assist)  # read again under the instance lock
    if assist.status == AssistStatus.VOIDED:
        raise AssistNotVoidable(f"assist {assist_id} was voided at {assist.voided_at}")
    was_counted = _void_one(session, instance, assist, reason=reason)
    _recompute_progress(session, instance)
    _reopen_if_reached_by_fraud(instance, lost_counted=was_counted)
    session.flush()
    _tell_initiator(session, instance, reason=reason, assist_ids=[assist.id])
    _audit_void(session, instance, actor=actor, reason=reason, assist_ids=[assist.id])
    return assist


def _by_instance(session: Session, assist_ids: list[int]) -> dict[int, list[int]]:
    """The known ones of `assist_ids`, by instance (each instance is then locked once)."""
    found: dict[int, list[int]] = {}
    for assist in repo.assists_by_ids(session, sorted(set(assist_ids))):
        found.setdefault(assist.instance_id, []).append(assist.id)
    return found


@dataclass(frozen=True, slots=True)
class VoidSummary:
    """What voiding a set of assists did: per instance, how many were removed."""

    voided: int
    skipped: int  # unknown, of another shop, or voided before
    per_instance: dict[int, int]
    assist_ids: tuple[int, ...] = ()  # the ones this call voided


def void_assists(
    session: Session, *, shop_id: int, assist_ids: list[int], reason: str, actor: str
) -> VoidSummary:
    """Void many assists (a confirmed ring) instance by instance: each instance is locked
    once, its voids recounted once, and its initiator told once with the real number
    ("3 assists were removed because …"). Already-voided assists are skipped, so
    confirming the same ring twice removes nothing twice."""
    by_instance = _by_instance(session, assist_ids)
    skipped = 0
    skipped += len(set(assist_ids)) - sum(len(v) for v in by_instance.values())
    per_instance: dict[int, int] = {}
    voided: list[int] = []
    for instance_id in sorted(by_instance):
        instance = assists_repo.instance_by_id(session, instance_id, lock=True)
        if instance is None or instance.shop_id != shop_id:
            skipped += len(by_instance[instance_id])
            continue
        removed: list[int] = []
        lost_counted = False
        for assist in repo.assists_by_ids(session, by_instance[instance_id]):
            session.refresh(assist)  # read again under the instance lock
            if assist.status == AssistStatus.VOIDED:
                skipped += 1
                continue
            lost_counted = _void_one(session, instance, assist, reason=reason) or lost_counted
            removed.append(assist.id)
        if not removed:
            continue
        _recompute_progress(session, instance)
        _reopen_if_reached_by_fraud(instance, lost_counted=lost_counted)
        session.flush()
        _tell_initiator(session, instance, reason=reason, assist_ids=removed)
        _audit_void(session, instance, actor=actor, reason=reason, assist_ids=removed)
        per_instance[instance_id] = len(removed)
        voided.extend(removed)
    return VoidSummary(
        voided=len(voided),
        skipped=skipped,
        per_instance=per_instance,
        assist_ids=tuple(sorted(voided)),
    )


@dataclass(frozen=True, slots=True)
class BurstAssist:
    """A counted assist that kept its burst keys (assist.group_signs)."""

    id: int
    instance_id: int
    helper_id: int
    created_at: datetime
    signs: str
    net_hash: str | None
    device_hash: str | None


def counted_with_burst_keys(
    session: Session, *, shop_id: int, campaign_id: int, since: datetime, until: datetime
) -> list[BurstAssist]:
    """A campaign's assists that the inline score counted (and no review cleared) between
    `since` and `until` and that could have begun a group: what a group's hold reaches
    back to (risk/reach.py picks among them)."""
    return [
        BurstAssist(
            id=a.id,
            instance_id=a.instance_id,
            helper_id=a.helper_id,
            created_at=a.created_at,
            signs=a.group_signs or "",
            net_hash=a.net_hash,
            device_hash=a.device_hash,
        )
        for a in repo.counted_with_burst_keys(
            session, shop_id=shop_id, campaign_id=campaign_id, since=since, until=until
        )
    ]


# Instances whose counted assists may still go back on hold: taking assists, or a
# bargain or unlock that succeeded but is not bought or paid yet (it goes back to active).
_REHOLDABLE = (InstanceStatus.ACTIVE, InstanceStatus.SUCCEEDED)


def hold_counted_assists(
    session: Session, *, shop_id: int, assist_ids: list[int], reasons: list[str]
) -> list[int]:
    """Counted assists found to be the first of a group the inline rules held afterwards
    go on hold with the rest, instance by instance under its lock: each gives back its
    slot (progress recomputed, a succeeded bargain or unlock back to active), waits
    uncounted with `reasons` added to its own, and its initiator is told. An assist on an
    instance that was bought, paid, drawn or has ended stays counted (an analyst who
    confirms the group can still void it by hand), and one no longer counted by the
    score alone is left alone. Returns the assists put on hold."""
    by_instance = _by_instance(session, assist_ids)
    now = clock.utcnow()
    held: list[int] = []
    for instance_id in sorted(by_instance):
        instance = assists_repo.instance_by_id(session, instance_id, lock=True)
        if instance is None or instance.shop_id != shop_id:
            continue
        session.refresh(instance)  # read again under the lock
        if instance.status not in _REHOLDABLE or instance.kind == "groupbuy":
            continue
        if instance.status == InstanceStatus.ACTIVE and instance.expires_at <= now:
            continue
        was_succeeded = instance.status == InstanceStatus.SUCCEEDED
        moved: list[int] = []
        for assist in repo.assists_by_ids(session, by_instance[instance_id]):
            session.refresh(assist)
            if assist.status != AssistStatus.COUNTED or assist.risk_decision != Decision.COUNT:
                continue
            repo.free_slot_of(session, instance_id=instance.id, assist_id=assist.id)
            assist.status = AssistStatus.HELD
            assist.slot = None
            assist.value = 0
            assist.risk_decision = Decision.HOLD
            assist.risk_reasons = [*assist.risk_reasons, *reasons]
            instance.held_count += 1
            moved.append(assist.id)
        if not moved:
            continue
        _recompute_progress(session, instance)
        _reopen_if_reached_by_fraud(instance, lost_counted=True)
        if was_succeeded and instance.status == InstanceStatus.ACTIVE:
            _release_success_job(session, instance)
        session.flush()
        notify.send_inbox_message(
            session,
            account_id=instance.initiator_id,
            kind=notify.Kind.ASSIST_VOIDED,
            params=_standing(instance, variant="held_after_count", count=len(moved)),
        )
        _record_assists(session, instance, "assist.held", moved, after_count=True)
        held.extend(moved)
    return held


def _audit_void(
    session: Session, instance: Instance, *, actor: str, reason: str, assist_ids: list[int]
) -> None:
    """One audit entry per instance and call: whose activity lost which assists, by whom
    (an operator by hand, or the rule that confirmed a ring or a report) and why."""
    audit.record(
        session,
        shop_id=instance.shop_id,
        actor=actor,
        action=audit.Action.ASSIST_VOIDED,
        subject_type="instance",
        subject_id=instance.id,
        account_id=instance.initiator_id,
        reason=reason,
        details={"assist_ids": sorted(assist_ids)},
    )


def ring_assist_ids(
    session: Session, *, shop_id: int, helper_ids: list[int], instance_ids: list[int]
) -> list[int]:
    """The assists a ring's accounts gave on its instances (not yet voided)."""
    return repo.ring_assist_ids(
        session, shop_id=shop_id, helper_ids=helper_ids, instance_ids=instance_ids
    )


def unreviewed_helpers(
    session: Session, *, shop_id: int, instance_id: int, assist_ids: list[int]
) -> dict[int, int]:
    """Of `assist_ids`, the assists on this instance still in question, with their
    helpers (assist id -> helper id): not voided, and not cleared by a review — an
    assist the scorer held and a dismissed hold or spike then counted was judged
    genuine on its own, and a later decision about the instance as a whole does not
    overturn that."""
    assists.get_instance(session, instance_id, shop_id=shop_id)
    return {
        a.id: a.helper_id
        for a in repo.assists_by_ids(session, sorted(set(assist_ids)))
        if a.instance_id == instance_id
        and a.status != AssistStatus.VOIDED
        and not (a.status == AssistStatus.COUNTED and a.risk_decision == Decision.HOLD)
    }


def held_assist_ids(session: Session, *, shop_id: int, instance_id: int) -> list[int]:
    """An instance's assists still waiting for a review."""
    return repo.held_assist_ids(session, shop_id=shop_id, instance_id=instance_id)


def held_assist_ids_for(
    session: Session, *, shop_id: int, instance_id: int, reason: str
) -> list[int]:
    """An instance's held assists that were held for `reason` (one of their inline
    reasons), e.g. only those a watch held, not those the score held on its own."""
    rows = repo.held_assist_reasons(session, shop_id=shop_id, instance_id=instance_id)
    return [assist_id for assist_id, reasons in rows if reason in reasons]


def held_assist_ids_of_helpers(
    session: Session, *, shop_id: int, campaign_id: int, helper_ids: list[int], reason: str
) -> list[int]:
    """The held assists these helpers gave in a campaign for `reason` (one of their
    inline reasons), on any of its instances: a group held across a campaign."""
    rows = repo.held_reasons_of_helpers(
        session, shop_id=shop_id, campaign_id=campaign_id, helper_ids=helper_ids
    )
    return [assist_id for assist_id, reasons in rows if reason in reasons]


@dataclass(frozen=True, slots=True)
class CountSummary:
    """What a review that cleared held assists did: per instance, how many now count and
    how many were genuine but came too late (voided with that honest reason)."""

    counted: int
    late: int
    skipped: int  # unknown, of another shop, or no longer held
    per_instance: dict[int, tuple[int, int]]  # instance -> (counted, late)


def count_held_assists(session: Session, *, shop_id: int, assist_ids: list[int]) -> CountSummary:
    """Held assists a reviewer found genuine now count: each claims the lowest free slot
    of its instance, its value is added to progress, and an instance that fills succeeds
    — through the hot path's own definition of counting on a slot, per backend
    (hotpath.store.count_held_in), under the instance lock the hot path takes too. One
    that can no longer count — the instance ended or is full — is voided with that
    reason, so the participant sees what happened to it."""
    by_instance = _by_instance(session, assist_ids)
    skipped = len(set(assist_ids)) - sum(len(v) for v in by_instance.values())
    per_instance: dict[int, tuple[int, int]] = {}
    for instance_id in sorted(by_instance):
        instance = assists_repo.instance_by_id(session, instance_id, lock=True)
        if instance is None or instance.shop_id != shop_id:
            skipped += len(by_instance[instance_id])
            continue
        session.refresh(instance)  # read again under the lock
        version = campaigns.get_version(session, instance.campaign_version_id)
        # The daily cap is not used here; only the success terms are.
        terms = assist_rules.assist_terms(instance.kind, version.rules, default_daily_cap=1)
        counted: list[int] = []
        late: list[int] = []
        for assist in repo.assists_by_ids(session, by_instance[instance_id]):
            session.refresh(assist)
            if assist.status != AssistStatus.HELD:
                skipped += 1
                continue
            if _count_one(session, instance, assist, terms):
                counted.append(assist.id)
            else:
                late.append(assist.id)
        if counted or late:
            session.flush()
            _tell_counted(session, instance, counted=counted, late=late)
            per_instance[instance_id] = (len(counted), len(late))
    return CountSummary(
        counted=sum(c for c, _ in per_instance.values()),
        late=sum(n for _, n in per_instance.values()),
        skipped=skipped,
        per_instance=per_instance,
    )


def _count_one(session: Session, instance: Instance, assist: Assist, terms: AssistTerms) -> bool:
    """Count one held assist on its locked instance; False (and voided with the honest
    reason) when it can no longer count."""
    now = clock.utcnow()
    params = CountHeldParams(
        instance_id=instance.id,
        shop_id=instance.shop_id,
        assist_id=assist.id,
        now=now,
        success=assist_rules.success_plan(terms, now=now),
    )
    outcome = count_held_in(session, params)
    session.refresh(instance)
    session.refresh(assist)
    if outcome.outcome == Outcome.COUNTED:
        return True
    # Filled (succeeded, or a lottery at its cap) says "full"; ended otherwise "ended".
    full = outcome.outcome == Outcome.FULL
    _void_one(
        session,
        instance,
        assist,
        reason=rules.LATE_REASON_FULL if full else rules.LATE_REASON_CLOSED,
    )
    return False


def _tell_counted(
    session: Session, instance: Instance, *, counted: list[int], late: list[int]
) -> None:
    notify.send_inbox_message(
        session,
        account_id=instance.initiator_id,
        kind=notify.Kind.ASSIST_VOIDED,
        params={"variant": "counted_after_review", "counted": len(counted), "late": len(late)},
    )
    if late:
        _record_voided(session, instance, assist_ids=late, reason="genuine, too late to count")


def _void_one(session: Session, instance: Instance, assist: Assist, *, reason: str) -> bool:
    """Mark one assist voided and give back what it held (its slot or its hold); True
    when it had been counted."""
    was = assist.status
    assist.status = AssistStatus.VOIDED
    assist.voided_at = clock.utcnow()
    assist.void_reason = reason
    if was == AssistStatus.COUNTED:
        repo.free_slot_of(session, instance_id=instance.id, assist_id=assist.id)
    elif was == AssistStatus.HELD:
        instance.held_count -= 1
    instance.voided_count += 1
    return was == AssistStatus.COUNTED


def _release_success_job(session: Session, instance: Instance) -> None:
    """An instance back to active without a void: its success job's key (by its voids so
    far, assist_rules.SUCCESS_JOB_KEY_SQL) would be the key of its next success too, which
    would then schedule nothing. The old job keeps its work (it finds the instance
    active and does nothing) under a key of its own."""
    job = assist_rules.SUCCESS_JOBS.get(instance.kind)
    if job is not None:
        key = assist_rules.success_job_key(
            job, instance_id=instance.id, voided=instance.voided_count
        )
        jobs.release_dedupe_key(session, key)


def _reopen_if_reached_by_fraud(instance: Instance, *, lost_counted: bool) -> None:
    if lost_counted and instance.status == InstanceStatus.SUCCEEDED and instance.kind != "groupbuy":
        instance.status = InstanceStatus.ACTIVE
        instance.succeeded_at = None
        instance.purchase_deadline_at = None


def _recompute_progress(session: Session, instance: Instance) -> None:
    session.flush()
    used, claimed = repo.claimed_totals(session, instance.id)
    base = assist_rules.base_value(
        target_value=instance.target_value, slot_values=repo.slot_values(session, instance.id)
    )
    instance.slots_used = used
    instance.progress_value = base + claimed


def _tell_initiator(
    session: Session, instance: Instance, *, reason: str, assist_ids: list[int]
) -> None:
    notify.send_inbox_message(
        session,
        account_id=instance.initiator_id,
        kind=notify.Kind.ASSIST_VOIDED,
        params={
            **_standing(instance, variant="removed", count=len(assist_ids)),
            "reason": reason,
        },
    )
    _record_voided(session, instance, assist_ids=assist_ids, reason=reason)


def _standing(instance: Instance, *, variant: str, count: int) -> dict[str, Any]:
    """An `assist_voided` message's params: what happened, and where the instance now
    stands (free slots, cents still to the floor)."""
    return {
        "variant": variant,
        "instance_id": instance.id,
        "instance_kind": instance.kind,
        "free_slots": instance.slots_total - instance.slots_used,
        "cents_remaining": assist_rules.remaining_cents(
            kind=instance.kind,
            target_value=instance.target_value,
            progress_value=instance.progress_value,
        ),
        "count": count,
    }


def _record_voided(
    session: Session, instance: Instance, *, assist_ids: list[int], reason: str
) -> None:
    """The `assist.voided` event: which assists, why, and where the instance now stands."""
    _record_assists(
        session, instance, "assist.voided", assist_ids, voided=len(assist_ids), reason=reason
    )


def _record_assists(
    session: Session, instance: Instance, type: str, assist_ids: list[int], **facts: Any
) -> None:
    """An event about some of an instance's assists (voided, or back on hold): which,
    `facts`, and where the instance now stands."""
    notify.record_event(
        session,
        shop_id=instance.shop_id,
        type=type,
        subject_type="instance",
        subject_id=instance.id,
        payload={
            "instance_id": instance.id,
            "assist_id": assist_ids[0],  # kept for receivers of the single-assist event
            "assist_ids": assist_ids,
            **facts,
            "progress_value": instance.progress_value,
            "slots_used": instance.slots_used,
            "status": instance.status,
        },
    )
