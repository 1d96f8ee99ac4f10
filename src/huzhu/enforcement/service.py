"""Use cases of the enforcement domain: apply a rung, check invites, lift, appeal.

Called by the review queue (risk.review.service), by detectors (issue 4), by the invites
domain (`assert_may_invite`, `report_count_against`) and by this domain's routes.
Services flush, never commit; every step writes its audit entry, outbox event and inbox
notice in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from huzhu.accounts import service as accounts
from huzhu.accounts.rules import Bar, Principal, PrincipalKind
from huzhu.audit import service as audit
from huzhu.config import EnforcementSettings
from huzhu.enforcement import repository as repo
from huzhu.enforcement import rules
from huzhu.enforcement.errors import (
    AccountNotFound,
    ActionAlreadyLifted,
    ActionNotFound,
    AlreadyAppealed,
    AppealAlreadyDecided,
    AppealNotFound,
    InviteRestricted,
    NotAnOperator,
)
from huzhu.enforcement.models import Appeal, EnforcementAction
from huzhu.enforcement.rules import ActionFact, ActionKind, AppealStatus
from huzhu.kit import clock
from huzhu.kit.export import fields_of
from huzhu.notify import service as notify
from huzhu.pagination import PageParams, fetch_page

_DEFAULTS = EnforcementSettings()


# The action as other domains name it (the review queue's rules return the actions they
# took): through this service, never the model module.
Action = EnforcementAction

# Review cases belong to risk, which builds on enforcement: risk says how a case is found
# (huzhu/wiring.py), so an action can cite one without enforcement importing risk.
# `check(session, shop_id=, case_id=)` raises the HuzhuError that says it is not there.
CaseCheck = Callable[..., object]
_case_checks: list[CaseCheck] = []


def register_case_check(check: CaseCheck) -> None:
    """Check every case an explicit action cites (wiring.py, once per process)."""
    if check not in _case_checks:
        _case_checks.append(check)


def check_case(session: Session, *, shop_id: int, case_id: int) -> None:
    for check in _case_checks:
        check(session, shop_id=shop_id, case_id=case_id)


def _conf(settings: EnforcementSettings | None) -> EnforcementSettings:
    return settings if settings is not None else _DEFAULTS


def _memory(conf: EnforcementSettings) -> timedelta:
    return timedelta(days=conf.ladder_memory_days)


def _fact(action: EnforcementAction) -> ActionFact:
    return ActionFact(
        kind=ActionKind(action.kind),
        starts_at=clock.as_utc(action.starts_at),
        expires_at=clock.as_utc(action.expires_at) if action.expires_at else None,
        lifted_at=clock.as_utc(action.lifted_at) if action.lifted_at else None,
        reason=action.reason,
        action_id=action.id,
    )


def _iso(value: datetime | None) -> str | None:
    return clock.as_utc(value).isoformat() if value is not None else None


# -- actors and the audit log ------------------------------------------------------------

# How a caller is named in actions and the audit log (one definition, in audit).
actor_of = audit.actor_of


def operator_id_of(session: Session, principal: Principal) -> int:
    """The operator behind an operator caller; NotAnOperator for anyone else."""
    operator_id = (
        accounts.operator_id_of_token(session, principal.subject_id)
        if principal.kind == PrincipalKind.OPERATOR
        else None
    )
    if operator_id is None:
        raise NotAnOperator("only an operator can take a case")
    return operator_id


def _step(
    session: Session,
    *,
    shop_id: int,
    actor: str,
    event: str,
    subject_type: str,
    subject_id: int,
    account_id: int,
    reason: str,
    payload: dict[str, Any],
    notice: tuple[notify.Kind, dict[str, Any]] | None,
    reason_in_event: bool = True,
) -> None:
    """One enforcement step's three records: audit entry, outbox event, inbox notice.
    A participant's own words (an appeal's text) stay in the audit log and are not sent
    out with the event (`reason_in_event=False`): webhooks receive facts, not what a
    person wrote about themselves."""
    audit.record(
        session,
        shop_id=shop_id,
        actor=actor,
        action=event,
        subject_type=subject_type,
        subject_id=subject_id,
        account_id=account_id,
        reason=reason,
        details=payload,
    )
    notify.record_event(
        session,
        shop_id=shop_id,
        type=event,
        subject_type=subject_type,
        subject_id=subject_id,
        payload={**payload, "actor": actor, **({"reason": reason} if reason_in_event else {})},
    )
    if notice is not None:
        kind, params = notice
        notify.send_inbox_message(session, account_id=account_id, kind=kind, params=params)


# -- the checks other domains call -------------------------------------------------------


_INVITE_BLOCKING_KINDS = tuple(sorted(k.value for k in rules.BLOCKS_INVITES))


def assert_may_invite(session: Session, account_id: int, now: datetime) -> None:
    """Raise InviteRestricted (403, with kind, reason and restricted_until — null for a
    ban) while an invite restriction, participation restriction or ban is active.
    Decided by `now` alone: an expired restriction stops binding without any job."""
    now = clock.as_utc(now)
    rows = repo.binding_rows(session, account_id, kinds=_INVITE_BLOCKING_KINDS, now=now)
    if not rows:
        return
    facts = [
        ActionFact(
            kind=ActionKind(kind),
            starts_at=clock.as_utc(starts),
            expires_at=clock.as_utc(expires) if expires is not None else None,
            reason=reason,
            action_id=action_id,
        )
        for kind, starts, expires, reason, action_id in rows
    ]
    binding = rules.binding_for_invites(facts, now)
    if binding is None:
        return
    until = binding.expires_at
    raise InviteRestricted(
        f"{rules.describe_kind(binding.kind)} is in force"
        + (f" until {until.isoformat()}" if until else "")
        + f": {binding.reason}",
        kind=binding.kind.value,
        reason=binding.reason,
        restricted_until=until.isoformat() if until else None,
        action_id=binding.action_id,
    )


def report_count_against(session: Session, account_id: int) -> int:
    """How many reports (spam or fraud, each reporter once per case) were filed against
    this account — the numerator of the invites domain's reputation rate."""
    return repo.report_tally(session, account_id)


def note_report(session: Session, *, shop_id: int, account_id: int) -> None:
    """Count one more report against an account (called by the review queue)."""
    repo.bump_report_tally(session, shop_id=shop_id, account_id=account_id, now=clock.utcnow())


# -- applying and lifting ----------------------------------------------------------------


def enforce(
    session: Session,
    *,
    account_id: int,
    rung_or_kind: str | int,
    reason: str,
    evidence: dict[str, Any] | None,
    actor: str,
    case_id: int | None,
    settings: EnforcementSettings | None = None,
    floor: rules.ActionKind = rules.ActionKind.WARNING,
) -> EnforcementAction:
    """Apply one action to an account. `rung_or_kind` is "next" (one rung above the
    account's current position, and at least `floor` — what rules and most detectors
    use), a rung 1–5 or a kind name (an analyst's explicit choice). The account row is
    locked first, so two escalations of one account take distinct rungs."""
    conf = _conf(settings)
    account = accounts.lock_account(session, account_id)
    if account is None:
        raise AccountNotFound(f"no account {account_id}")
    now = clock.utcnow()
    facts = [_fact(a) for a in repo.actions_of(session, account_id)]
    try:
        kind = rules.resolve_kind(rung_or_kind, facts, now, memory=_memory(conf), floor=floor)
    except ValueError as exc:
        raise ValueError(f"unknown rung or kind {rung_or_kind!r}") from exc
    duration = rules.duration_of(kind, participation_seconds=conf.participation_restriction_seconds)
    action = EnforcementAction(
        shop_id=account.shop_id,
        account_id=account_id,
        kind=kind.value,
        rung=rules.rung_of(kind),
        reason=reason,
        evidence=evidence or {},
        starts_at=now,
        expires_at=now + duration if duration is not None else None,
        actor=actor,
        case_id=case_id,
        created_at=now,
    )
    session.add(action)
    session.flush()
    if kind in rules.BLOCKS_PARTICIPATION:
        sync_account_standing(session, account_id)
    _step(
        session,
        shop_id=account.shop_id,
        actor=actor,
        event="enforcement.applied",
        subject_type="enforcement_action",
        subject_id=action.id,
        account_id=account_id,
        reason=reason,
        payload=_action_payload(action),
        notice=(
            notify.Kind.ENFORCEMENT,
            {
                "variant": "applied",
                "action_kind": kind.value,
                "reason": reason,
                # The words the reason was made from, so the inbox says it in its
                # reader's language (kit/i18n.stored_words).
                "reason_words": (evidence or {}).get("words"),
                "until": _iso(action.expires_at),
            },
        ),
    )
    return action


def _action_payload(action: EnforcementAction) -> dict[str, Any]:
    return {
        "action_id": action.id,
        "account_id": action.account_id,
        "kind": action.kind,
        "rung": action.rung,
        "starts_at": _iso(action.starts_at),
        "expires_at": _iso(action.expires_at),
        "case_id": action.case_id,
    }


def sync_account_standing(session: Session, account_id: int) -> rules.Standing:
    """Write to the account what its active participation restrictions and bans imply
    (active when none binds any more)."""
    now = clock.utcnow()
    candidates = repo.unlifted_actions_of(
        session,
        account_id,
        kinds=frozenset(k.value for k in rules.BLOCKS_PARTICIPATION),
        now=now,
    )
    standing = rules.account_standing([_fact(a) for a in candidates], now)
    accounts.set_standing(
        session,
        account_id=account_id,
        status=standing.status,
        restricted_until=standing.restricted_until,
        reason=standing.reason,
    )
    return standing


def get_action(session: Session, *, shop_id: int, action_id: int) -> EnforcementAction:
    action = repo.action_in_shop(session, shop_id=shop_id, action_id=action_id)
    if action is None:
        raise ActionNotFound(f"no enforcement action {action_id}")
    return action


def list_actions(
    session: Session,
    params: PageParams,
    *,
    shop_id: int,
    account_id: int | None = None,
    case_id: int | None = None,
) -> tuple[list[EnforcementAction], int | None]:
    stmt = repo.actions_query(shop_id=shop_id, account_id=account_id, case_id=case_id)
    return fetch_page(session, stmt, EnforcementAction.id, params)


def lift(
    session: Session, *, shop_id: int, action_id: int, actor: str, reason: str
) -> EnforcementAction:
    """Undo an action where it can be undone: it stops binding and stops counting for
    the ladder, and the account's status is recomputed from what remains active."""
    action = get_action(session, shop_id=shop_id, action_id=action_id)
    accounts.lock_account(session, action.account_id)
    now = clock.utcnow()
    if not repo.lift_action(session, action_id=action_id, now=now, by=actor, reason=reason):
        raise ActionAlreadyLifted(f"action {action_id} was lifted already")
    session.refresh(action)
    sync_account_standing(session, action.account_id)
    kind = ActionKind(action.kind)
    _step(
        session,
        shop_id=shop_id,
        actor=actor,
        event="enforcement.lifted",
        subject_type="enforcement_action",
        subject_id=action.id,
        account_id=action.account_id,
        reason=reason,
        payload=_action_payload(action),
        notice=(
            notify.Kind.ENFORCEMENT,
            {"variant": "lifted", "action_kind": kind.value, "reason": reason},
        ),
    )
    _close_pending_appeal(session, action=action, actor=actor, reason=reason, now=now)
    return action


def _close_pending_appeal(
    session: Session, *, action: EnforcementAction, actor: str, reason: str, now: datetime
) -> None:
    """An analyst lifted an action directly while its appeal waited: the appeal got what
    it asked for, so it is closed as lifted rather than left pending forever (the lift's
    notice already told the person)."""
    appeal = repo.appeal_of_action(session, action.id)
    if appeal is None or not repo.decide_appeal(
        session,
        appeal_id=appeal.id,
        status=AppealStatus.LIFTED,
        by=actor,
        reason=reason,
        now=now,
    ):
        return
    session.refresh(appeal)
    _step(
        session,
        shop_id=action.shop_id,
        actor=actor,
        event="appeal.lifted",
        subject_type="appeal",
        subject_id=appeal.id,
        account_id=appeal.account_id,
        reason=reason,
        payload={
            "appeal_id": appeal.id,
            "action_id": action.id,
            "decision": AppealStatus.LIFTED,
        },
        notice=None,
    )


def tidy_lapsed_restrictions(session: Session, *, limit: int = 200) -> int:
    """Reset accounts whose restriction has run out to what remains active. Only
    housekeeping: the checks compare restricted_until with the clock anyway."""
    ids = accounts.accounts_with_lapsed_restriction(session, now=clock.utcnow(), limit=limit)
    for account_id in ids:
        accounts.lock_account(session, account_id)
        sync_account_standing(session, account_id)
    return len(ids)


# -- appeals -----------------------------------------------------------------------------


def file_appeal(
    session: Session, *, shop_id: int, account_id: int, action_id: int, text: str
) -> Appeal:
    """The affected person's one appeal against one action."""
    action = repo.action_in_shop(session, shop_id=shop_id, action_id=action_id)
    if action is None or action.account_id != account_id:
        # Someone else's action is as invisible as a missing one.
        raise ActionNotFound(f"no enforcement action {action_id} on your account")
    if action.lifted_at is not None:
        raise ActionAlreadyLifted(f"action {action_id} was lifted already")
    if repo.appeal_of_action(session, action_id) is not None:
        raise AlreadyAppealed(f"action {action_id} has been appealed already")
    appeal = Appeal(
        shop_id=shop_id,
        action_id=action_id,
        account_id=account_id,
        text=text,
        status=AppealStatus.PENDING,
        created_at=clock.utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(appeal)
            session.flush()
    except IntegrityError as exc:
        # UNIQUE(action_id): a concurrent second appeal lost the race.
        raise AlreadyAppealed(f"action {action_id} has been appealed already") from exc
    _step(
        session,
        shop_id=shop_id,
        actor=f"account:{account_id}",
        event="appeal.filed",
        subject_type="appeal",
        subject_id=appeal.id,
        account_id=account_id,
        reason=text,
        reason_in_event=False,
        payload={"appeal_id": appeal.id, "action_id": action_id, "kind": action.kind},
        notice=(notify.Kind.APPEAL_OUTCOME, {"variant": "filed", "action_kind": action.kind}),
    )
    return appeal


def decide_appeal(
    session: Session, *, shop_id: int, appeal_id: int, lift_action: bool, reason: str, actor: str
) -> Appeal:
    """Uphold the action, or lift it (and undo its effects). Decided once."""
    appeal = get_appeal(session, shop_id=shop_id, appeal_id=appeal_id)
    status = AppealStatus.LIFTED if lift_action else AppealStatus.UPHELD
    now = clock.utcnow()
    if not repo.decide_appeal(
        session, appeal_id=appeal_id, status=status, by=actor, reason=reason, now=now
    ):
        raise AppealAlreadyDecided(f"appeal {appeal_id} was decided already")
    session.refresh(appeal)
    action = get_action(session, shop_id=shop_id, action_id=appeal.action_id)
    _step(
        session,
        shop_id=shop_id,
        actor=actor,
        event=f"appeal.{status}",
        subject_type="appeal",
        subject_id=appeal.id,
        account_id=appeal.account_id,
        reason=reason,
        payload={"appeal_id": appeal.id, "action_id": action.id, "decision": status},
        notice=(
            notify.Kind.APPEAL_OUTCOME,
            {
                "variant": "decided",
                "accepted": lift_action,
                "action_kind": action.kind,
                "reason": reason,
            },
        ),
    )
    if lift_action and action.lifted_at is None:
        lift(session, shop_id=shop_id, action_id=action.id, actor=actor, reason=reason)
    return appeal


def get_appeal(session: Session, *, shop_id: int, appeal_id: int) -> Appeal:
    appeal = repo.appeal_in_shop(session, shop_id=shop_id, appeal_id=appeal_id)
    if appeal is None:
        raise AppealNotFound(f"no appeal {appeal_id}")
    return appeal


def list_appeals(
    session: Session,
    params: PageParams,
    *,
    shop_id: int,
    status: str | None = None,
    account_id: int | None = None,
) -> tuple[list[Appeal], int | None]:
    stmt = repo.appeals_query(shop_id=shop_id, status=status, account_id=account_id)
    return fetch_page(session, stmt, Appeal.id, params)


# -- reading an account's standing -------------------------------------------------------


def get_account_in_shop(session: Session, *, shop_id: int, account_id: int) -> None:
    """Raise AccountNotFound unless the account exists in this shop."""
    account = accounts.get_account(session, account_id)
    if account is None or account.shop_id != shop_id:
        raise AccountNotFound(f"no account {account_id} in this shop")


def read_standing(
    session: Session, principal: Principal, *, account_id: int, settings: EnforcementSettings
) -> dict[str, Any]:
    """An analyst's look at a person's standing: personal data, so every look is
    audited (the person reading their own is not an operator read)."""
    found = standing(session, shop_id=principal.shop_id, account_id=account_id, settings=settings)
    audit.record_read(
        session,
        principal,
        action=audit.Action.STANDING_READ,
        subject_type="account",
        subject_id=account_id,
        account_id=account_id,
    )
    return found


def standing(
    session: Session,
    *,
    shop_id: int,
    account_id: int,
    settings: EnforcementSettings | None = None,
) -> dict[str, Any]:
    """An account's place on the ladder and what binds it now, computed from its
    actions and the clock (so it is right even before the tidy job ran)."""
    get_account_in_shop(session, shop_id=shop_id, account_id=account_id)
    conf = _conf(settings)
    now = clock.utcnow()
    actions = repo.actions_of(session, account_id)
    facts = [_fact(a) for a in actions]
    ladder = rules.account_standing(facts, now)
    mirror = accounts.binding_standing(
        session,
        account_id=account_id,
        ladder=Bar(ladder.status, ladder.restricted_until, ladder.reason),
    )
    blocking = rules.binding_for_invites(facts, now)
    return {
        "account_id": account_id,
        "rung": rules.current_rung(facts, now, memory=_memory(conf)),
        "status": mirror.status,
        "restricted_until": mirror.until,
        "invites_blocked": blocking is not None,
        "invites_blocked_until": blocking.expires_at if blocking is not None else None,
        "active_actions": [
            a for a, f in zip(actions, facts, strict=True) if rules.is_active(f, now)
        ],
        "reports_against": report_count_against(session, account_id),
    }


def actions_on(session: Session, account_id: int) -> list[EnforcementAction]:
    """Every action on an account, oldest first (the person's own view)."""
    return repo.actions_of(session, account_id)


def appeals_by(session: Session, *, shop_id: int, account_id: int) -> list[Appeal]:
    stmt = repo.appeals_query(shop_id=shop_id, account_id=account_id)
    return list(session.scalars(stmt.order_by(Appeal.id)))


# -- a person's own data ------------------------------------------------------------------

# Not the evidence (it names other accounts of a ring, and signals about them) nor the
# actor (an operator's id is theirs, not the person's).
ACTION_EXPORT_FIELDS = (
    "id", "kind", "rung", "reason", "starts_at", "expires_at", "created_at", "lifted_at",
    "lift_reason",
)  # fmt: skip
APPEAL_EXPORT_FIELDS = (
    "id", "action_id", "text", "status", "decision_reason", "created_at", "decided_at",
)  # fmt: skip


def export_of(session: Session, *, shop_id: int, account_id: int) -> dict[str, Any]:
    """Every action on the person and every appeal they filed."""
    return {
        "enforcement_actions": [
            fields_of(a, ACTION_EXPORT_FIELDS) for a in actions_on(session, account_id)
        ],
        "appeals": [
            fields_of(a, APPEAL_EXPORT_FIELDS)
            for a in appeals_by(session, shop_id=shop_id, account_id=account_id)
        ],
    }


def erase_words_of(session: Session, *, account_id: int) -> None:
    """At the person's deletion: the words of their appeals. The actions and appeals
    stay (the ladder's memory, a carried restriction, what an analyst decided)."""
    repo.erase_appeal_words_of(session, account_id)
    session.flush()
