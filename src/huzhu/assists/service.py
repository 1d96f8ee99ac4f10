"""Use cases of the assists domain, through the ORM: starting instances, the honest
views, the jobs that end an instance unbought (expiry, purchase window) and closing an
instance with its reservation.

The assist itself is the one exception and lives in hotpath/ (raw driver statements);
voiding and counting held assists after review live in voiding/, buying a bargain and
paying an unlock's reward in purchases/, the assist graph other domains read in graph/.
Sub-packages may import this module (reading an instance, closing one); it imports none
of them (a contract in .importlinter).

Money never moves without a reservation: an instance's worst case is reserved on the
campaign when it starts (`campaigns.service.reserve`, a conditional UPDATE), released
when it ends unbought and consumed when it is bought or its reward paid. The amounts
reserved are recorded on the instance so the release or consumption is exact.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from huzhu.accounts import service as accounts
from huzhu.accounts.errors import AccountRestricted
from huzhu.accounts.rules import Principal
from huzhu.assists import repository as repo
from huzhu.assists import rules
from huzhu.assists.errors import (
    BudgetExhausted,
    CampaignNotOpen,
    InstanceAlreadyActive,
    InstanceNotFound,
    OutOfStock,
    UnsupportedKind,
)
from huzhu.assists.models import Assist, Instance
from huzhu.assists.rules import AssistStatus, InstanceStatus
from huzhu.assists.schemas import CampaignActivity, CutRecord, InstanceDetail, InstanceView
from huzhu.audit import service as audit
from huzhu.campaigns import service as campaigns
from huzhu.campaigns.rules import bargain as bargain_rules
from huzhu.campaigns.rules import unlock as unlock_rules
from huzhu.campaigns.rules.bargain import cut_sequence
from huzhu.campaigns.rules.lifecycle import StartClosed
from huzhu.campaigns.rules.lottery import commitment_for
from huzhu.config import Settings
from huzhu.guardrails import service as guardrails
from huzhu.guardrails.rules import COOLING_WINDOW, Periods, Step, StepKind, Usage
from huzhu.jobs import service as jobs
from huzhu.kit import clock, ids
from huzhu.kit.export import fields_of
from huzhu.notify import service as notify
from huzhu.pagination import PageParams, fetch_page

# -- starting an instance -------------------------------------------------------------


def start_instance(
    session: Session, settings: Settings, *, shop_id: int, campaign_id: int, account_id: int
) -> Instance:
    """POST /campaigns/{id}/instances: a participant starts a bargain, unlock or lottery
    instance (group-buy teams are opened by ordering, through the group-buy domain)."""
    campaign = campaigns.campaign_in_shop(session, shop_id=shop_id, campaign_id=campaign_id)
    if campaign.kind not in rules.STARTABLE_KINDS:
        raise UnsupportedKind(f"{campaign.kind} instances are started by ordering", field="kind")
    return open_instance(
        session, settings, shop_id=shop_id, campaign_id=campaign_id, initiator_id=account_id
    )


def open_instance(
    session: Session, settings: Settings, *, shop_id: int, campaign_id: int, initiator_id: int
) -> Instance:
    """Open an instance of any kind under the campaign's current frozen rules: checks the
    campaign is live and the participant may take part, writes the instance and its
    slots (bargain: the seeded cuts; unlock: helpers_needed; lottery: entry_cap −
    base_entries; group buy: team_size − 1 places), reserves its worst case (bargain,
    unlock; a lottery reserves at launch and a team per order), schedules its expiry
    (group buy schedules its own refund job) and records instance.started.

    Raises CampaignNotOpen, AccountRestricted, CapReached (the person's daily starts),
    InstanceAlreadyActive (the partial unique index), BudgetExhausted or OutOfStock; the
    caller's unit of work then rolls back."""
    campaign = campaigns.campaign_in_shop(session, shop_id=shop_id, campaign_id=campaign_id)
    now = clock.utcnow()
    check_open(session, campaign, now=now)
    check_may_take_part(session, account_id=initiator_id, now=now)
    now = admit_step(
        session, settings, shop_id=shop_id, account_id=initiator_id, step=Step(StepKind.START)
    )
    version = campaigns.current_version(session, campaign.id)
    terms: dict[str, Any] = version.rules
    seed_hex = ids.random_seed_hex()
    slots, base = _slots_for(campaign.kind, terms, seed_hex=seed_hex)
    cents, units = (0, 0)
    if campaign.kind in ("bargain", "unlock"):
        cents, units = campaigns.worst_case_reservation(terms)
    ttl = int(terms.get("instance_ttl_seconds") or settings.campaigns.default_instance_ttl_seconds)
    instance = Instance(
        shop_id=shop_id,
        campaign_id=campaign.id,
        campaign_version_id=version.id,
        kind=campaign.kind,
        initiator_id=initiator_id,
        status=InstanceStatus.ACTIVE,
        seed_hex=seed_hex,
        slots_total=len(slots),
        slots_used=0,
        progress_value=base,
        target_value=base + sum(slots),
        reserved_cents=cents,
        reserved_units=units,
        held_count=0,
        voided_count=0,
        expires_at=rules.instance_expires_at(campaign.kind, terms, now=now, ttl=ttl),
        created_at=now,
    )
    return _write_instance(session, instance, slots)


# -- the guardrails: every start and money step of a person passes here ---------------


def usage_of(
    session: Session, *, shop_id: int, account_id: int, span: Periods, now: datetime
) -> Usage:
    """What the ledger says the person used in the current periods."""
    return Usage(
        spent_today_cents=committed_since(
            session, shop_id=shop_id, account_id=account_id, since=span.day_start
        ),
        spent_month_cents=committed_since(
            session, shop_id=shop_id, account_id=account_id, since=span.month_start
        ),
        starts_today=repo.started_since(
            session, shop_id=shop_id, account_id=account_id, since=span.day_start
        ),
        joins_today=repo.joined_since(
            session, shop_id=shop_id, account_id=account_id, since=span.day_start
        ),
        recent_money_steps=tuple(
            clock.as_utc(t)
            for t in repo.money_steps_since(
                session,
                shop_id=shop_id,
                account_id=account_id,
                since=now - COOLING_WINDOW,
            )
        ),
    )


def committed_since(session: Session, *, shop_id: int, account_id: int, since: datetime) -> int:
    """Money the person committed through campaigns since `since`, net of refunds."""
    return repo.committed_cents_since(session, shop_id=shop_id, account_id=account_id, since=since)


def on_hold_cents(session: Session, *, shop_id: int, account_id: int) -> int:
    return repo.on_hold_cents(session, shop_id=shop_id, account_id=account_id)


def in_progress(session: Session, *, shop_id: int, account_id: int) -> int:
    return repo.in_progress(session, shop_id=shop_id, account_id=account_id)


def admit_step(
    session: Session, settings: Settings, *, shop_id: int, account_id: int, step: Step
) -> datetime:
    """Admit one step of a person against their caps and pace, in the step's own
    transaction: take the person's lock, read the ledger after it, refuse (CapReached,
    CoolingOff) or return the moment of admission — the step writes its row with that
    time before the transaction (and the lock) ends, so the next step counts it."""
    guardrails.lock_person(session, account_id=account_id)
    now = clock.utcnow()
    usage = usage_of(
        session,
        shop_id=shop_id,
        account_id=account_id,
        span=guardrails.periods(settings, now),
        now=now,
    )
    guardrails.admit(
        session, settings, shop_id=shop_id, account_id=account_id, step=step, usage=usage, now=now
    )
    return now


_NOT_OPEN_DETAIL = {
    StartClosed.NOT_STARTED: "the campaign has not started",
    StartClosed.PAUSED: "the campaign is paused",
    StartClosed.ENDED: "the campaign has ended",
    StartClosed.ENTRIES_CLOSED: "the lottery's entries closed at its draw time",
    StartClosed.DRAWN: "the lottery has been drawn; its record is at GET /campaigns/{id}/draw",
}


def check_open(session: Session, campaign: Any, *, now: datetime) -> None:
    """Refuse a start (or a team's opening) in a campaign that takes no one new now, by
    the one rule the pages offer starts by (campaigns.service.why_closed): 409
    `campaign_not_open` with its `reason` and the time that says when. Checked before
    the person's caps are looked at, so a closed campaign is never a cap question."""
    closed = campaigns.why_closed(session, campaign, now=now)
    if closed is None:
        return
    raise CampaignNotOpen(
        _NOT_OPEN_DETAIL[closed.reason].replace("{id}", str(campaign.id)),
        reason=closed.reason.value,
        campaign_status=campaign.status,
        **{name: _iso(at) for name, at in closed.times.items()},
    )


def check_may_take_part(session: Session, *, account_id: int, now: datetime) -> None:
    """Refuse a banned or participation-restricted account (start, join), saying until
    when. The assist hot path checks the same rule (accounts.rules.barred_sql) inside
    its own statement."""
    if not accounts.is_barred(session, account_id, now):
        return
    account = accounts.get_account(session, account_id)
    until = clock.as_utc(account.restricted_until) if account and account.restricted_until else None
    raise AccountRestricted(
        "this account may not take part right now",
        restricted_until=until.isoformat() if until else None,
        reason=account.restriction_reason if account else None,
    )


def _slots_for(kind: str, terms: dict[str, Any], *, seed_hex: str) -> tuple[list[int], int]:
    """(slot values, base progress) for a kind, from the frozen rules."""
    if kind == "bargain":
        cuts = cut_sequence(
            seed_hex=seed_hex,
            target_cents=int(terms["price_cents"]) - int(terms["floor_cents"]),
            max_helpers=int(terms["max_helpers"]),
            split=str(terms.get("split", "double_mean")),
        )
        return list(cuts), 0
    if kind == "unlock":
        return unlock_rules.slot_values(int(terms["helpers_needed"])), 0
    if kind == "lottery":
        return rules.lottery_slots(terms)
    if kind == "groupbuy":
        # The leader holds the first place; the slots are the places members can take.
        return rules.unit_slots(int(terms["team_size"]) - 1), 1
    raise UnsupportedKind(f"no slots for kind {kind}", field="kind")


def _write_instance(session: Session, instance: Instance, slots: list[int]) -> Instance:
    try:
        with session.begin_nested():
            repo.add_instance_with_slots(session, instance, slots)
    except IntegrityError as exc:
        # Naming the one running, so the person is led to it rather than left to look.
        running = repo.active_instance_of(
            session, campaign_id=instance.campaign_id, account_id=instance.initiator_id
        )
        raise InstanceAlreadyActive(
            "finish or wait for your active instance of this campaign first",
            instance_id=running,
        ) from exc
    _reserve(
        session,
        campaign_id=instance.campaign_id,
        cents=instance.reserved_cents,
        units=instance.reserved_units,
    )
    expire_job = rules.EXPIRE_JOBS.get(instance.kind)
    if expire_job is not None:
        jobs.enqueue(
            session,
            kind=expire_job,
            payload={"instance_id": instance.id},
            run_at=instance.expires_at,
            dedupe_key=f"{expire_job}:{instance.id}",
        )
    notify.record_event(
        session,
        shop_id=instance.shop_id,
        type="instance.started",
        subject_type="instance",
        subject_id=instance.id,
        payload={
            "instance_id": instance.id,
            "campaign_id": instance.campaign_id,
            "kind": instance.kind,
            "target_value": instance.target_value,
            "slots_total": instance.slots_total,
            "expires_at": instance.expires_at.isoformat(),
            # A bargain's cuts are committed to from the start (campaigns/rules/bargain.py).
            **(
                {"cut_commitment_hex": commitment_for(instance.seed_hex)}
                if instance.kind == "bargain"
                else {}
            ),
        },
    )
    return instance


def _reserve(session: Session, *, campaign_id: int, cents: int, units: int) -> None:
    if cents == 0 and units == 0:
        return
    if campaigns.reserve(session, campaign_id=campaign_id, cents=cents, units=units):
        return
    campaign = campaigns.get_campaign(session, campaign_id)
    left = campaign.budget_cents - campaign.budget_reserved_cents - campaign.budget_spent_cents
    if left < cents:
        raise BudgetExhausted("the campaign's budget is fully reserved", needed_cents=cents)
    raise OutOfStock("the campaign's stock is fully reserved")


def _iso(value: datetime) -> str:
    return clock.as_utc(value).isoformat()


# -- reading ---------------------------------------------------------------------------


def get_instance(session: Session, instance_id: int, *, shop_id: int | None = None) -> Instance:
    instance = repo.instance_by_id(session, instance_id)
    if instance is None or (shop_id is not None and instance.shop_id != shop_id):
        raise InstanceNotFound(f"instance {instance_id} not found")
    return instance


def counted_between(session: Session, *, instance_id: int, after: datetime, until: datetime) -> int:
    """How many assists on the instance, given in (after, until], count now (the ledger's
    figure: one voided since is not among them)."""
    return repo.counted_between(session, instance_id=instance_id, after=after, until=until)


def public_view(session: Session, instance_id: int) -> InstanceView:
    """The instance's public view, read without loading the ORM object (share opens
    answer it on every click of a shared link)."""
    row = repo.public_view_row(session, instance_id)
    if row is None:
        raise InstanceNotFound(f"instance {instance_id} not found")
    return describe(row)


def describe(instance: Instance | Any) -> InstanceView:
    """Counts only: the participant sees the cents remaining and the most helpers still
    needed, and how many assists are being checked or were removed. `instance`: the ORM
    object or a row with the same column names (repository.public_view_row)."""
    return InstanceView(
        id=instance.id,
        campaign_id=instance.campaign_id,
        kind=instance.kind,
        status=instance.status,
        progress_value=instance.progress_value,
        target_value=instance.target_value,
        cents_remaining=rules.remaining_cents(
            kind=instance.kind,
            target_value=instance.target_value,
            progress_value=instance.progress_value,
        ),
        helpers_still_needed=instance.slots_total - instance.slots_used,
        counted_count=instance.slots_used,
        held_count=instance.held_count,
        voided_count=instance.voided_count,
        expires_at=instance.expires_at,
        purchase_deadline_at=instance.purchase_deadline_at,
        closed_at=instance.closed_at,
        created_at=instance.created_at,
    )


def instance_detail(session: Session, instance_id: int) -> InstanceDetail:
    """The public view of one instance with its own version's description."""
    instance = get_instance(session, instance_id)
    version = campaigns.get_version(session, instance.campaign_version_id)
    return InstanceDetail(
        **describe(instance).model_dump(),
        campaign_version=version.version,
        description=version.description,
    )


def cut_record(session: Session, instance_id: int) -> CutRecord:
    """A bargain's public cut record: its commitment from the start, its seed and every
    cut only once it no longer runs (campaigns/rules/bargain.py). 404 for another kind."""
    instance = get_instance(session, instance_id)
    if instance.kind != "bargain":
        raise InstanceNotFound(f"instance {instance_id} is not a bargain")
    terms = campaigns.get_version(session, instance.campaign_version_id).rules
    return CutRecord.model_validate(
        bargain_rules.build_cut_record(
            instance_id=instance.id,
            campaign_id=instance.campaign_id,
            status=instance.status,
            terms=terms,
            seed_hex=instance.seed_hex,
            claimed=repo.claimed_slots(session, instance.id),
        )
    )


def list_my_instances(
    session: Session, params: PageParams, *, shop_id: int, account_id: int
) -> tuple[list[Instance], int | None]:
    stmt = repo.instances_of_initiator_query(shop_id=shop_id, account_id=account_id)
    return fetch_page(session, stmt, Instance.id, params)


def part_taken(session: Session, *, instance_id: int, account_id: int) -> str | None:
    """What this person already did on the instance — "counted", "held" or "voided" (an
    assist), "ordered" (a team order) — or None, so a page offers only what is still
    possible for them."""
    if repo.purchase_of(session, instance_id=instance_id, account_id=account_id) is not None:
        return "ordered"
    return repo.assist_status_of(session, instance_id=instance_id, helper_id=account_id)


def my_cut(session: Session, *, instance_id: int, account_id: int) -> int | None:
    """The cents this person's counted assist cut from a bargain (what its slot holds),
    or None (no assist, or not counted now)."""
    return repo.counted_value_of(session, instance_id=instance_id, helper_id=account_id)


def lottery_campaigns_entered(session: Session, *, shop_id: int, account_id: int) -> list[int]:
    return repo.lottery_campaigns_entered(session, shop_id=shop_id, account_id=account_id)


def list_campaign_instances(
    session: Session, params: PageParams, *, shop_id: int, campaign_id: int
) -> tuple[list[Instance], int | None]:
    """A campaign's instances, newest first, for its operators."""
    stmt = repo.instances_of_campaign_query(shop_id=shop_id, campaign_id=campaign_id)
    return fetch_page(session, stmt, Instance.id, params)


def list_assists(
    session: Session,
    params: PageParams,
    *,
    shop_id: int,
    instance_id: int,
    status: AssistStatus | None = None,
) -> tuple[list[Assist], int | None]:
    get_instance(session, instance_id, shop_id=shop_id)
    stmt = repo.assists_of_instance_query(instance_id=instance_id, status=status)
    return fetch_page(session, stmt, Assist.id, params)


# How a caller is named in the audit log (one definition, in audit).
actor_of = audit.actor_of


def read_assists(
    session: Session,
    params: PageParams,
    *,
    principal: Principal,
    instance_id: int,
    status: AssistStatus | None = None,
) -> tuple[list[Assist], int | None]:
    """An operator's look at an instance's assists (those in `status` only, if given),
    helper by helper (the API's list, the console's instance page, a spike case's
    evidence): personal data, so every look is audited."""
    rows, cursor = list_assists(
        session, params, shop_id=principal.shop_id, instance_id=instance_id, status=status
    )
    instance = get_instance(session, instance_id, shop_id=principal.shop_id)
    audit.record_read(
        session,
        principal,
        action=audit.Action.ASSISTS_READ,
        subject_type="instance",
        subject_id=instance.id,
        account_id=instance.initiator_id,
        details={"assists_shown": len(rows), "cursor": params.cursor},
    )
    return rows, cursor


def list_assists_given(
    session: Session, params: PageParams, *, shop_id: int, account_id: int
) -> tuple[list[Assist], int | None]:
    """The assists a participant gave, newest first (their own page: "my activities")."""
    stmt = repo.assists_of_helper_query(shop_id=shop_id, helper_id=account_id)
    return fetch_page(session, stmt, Assist.id, params)


def campaign_activity(session: Session, *, shop_id: int, campaign_id: int) -> CampaignActivity:
    """Instances and assists of one campaign of the shop, by status (the dashboard)."""
    campaign = campaigns.campaign_in_shop(session, shop_id=shop_id, campaign_id=campaign_id)
    instances, given = repo.campaign_status_counts(session, campaign.id)
    return CampaignActivity(instances=instances, assists=given)


def instance_ids_of(campaign_id: int) -> Select[int]:
    """The campaign's instance ids, as a subquery for domains whose rows name the
    instance and not the campaign (invites)."""
    return repo.instance_ids_of_campaign_query(campaign_id)


# -- ending an instance (jobs) ---------------------------------------------------------


class TooEarly(RuntimeError):
    """A job ran before its time (clock skew between workers): fail so the runner
    retries it after backoff instead of marking it done."""


def expire_instance(session: Session, instance_id: int) -> None:
    """instance.expire: an active instance past its expiry ends; its reservation goes
    back to the campaign. Idempotent: anything not active is left alone."""
    instance = repo.instance_by_id(session, instance_id, lock=True)
    if instance is None or instance.status != InstanceStatus.ACTIVE:
        return
    if clock.as_utc(instance.expires_at) > clock.utcnow():
        raise TooEarly(f"instance {instance_id} expires later")
    _end_unbought(session, instance)


def close_purchase_window(session: Session, instance_id: int) -> None:
    """instance.purchase_window_close: a succeeded bargain not bought by its deadline
    expires and releases its reservation. A stale job (the instance went back to active
    after a void and succeeded again with a later deadline) finds nothing to do."""
    instance = repo.instance_by_id(session, instance_id, lock=True)
    if (
        instance is None
        or instance.status != InstanceStatus.SUCCEEDED
        or instance.purchase_deadline_at is None
    ):
        return
    if clock.as_utc(instance.purchase_deadline_at) > clock.utcnow():
        return
    _end_unbought(session, instance)


def _end_unbought(session: Session, instance: Instance) -> None:
    """An instance that did not succeed, or a bargain not bought in its window, ends.
    Nothing was charged for either (a bargain is paid only when bought), which the
    starter is told."""
    window_closed = instance.status == InstanceStatus.SUCCEEDED
    instance.status = InstanceStatus.EXPIRED
    notify.send_inbox_message(
        session,
        account_id=instance.initiator_id,
        kind=notify.Kind.EXPIRED_REFUNDED,
        params={
            "variant": "window_closed" if window_closed else "expired",
            "instance_id": instance.id,
            "instance_kind": instance.kind,
            "campaign": campaigns.get_campaign(session, instance.campaign_id).name,
            "refunded_cents": 0,
        },
        topic=f"instance:{instance.id}",
    )
    close_instance(
        session,
        instance,
        spent=False,
        event="instance.expired",
        payload={
            "progress_value": instance.progress_value,
            "released_cents": instance.reserved_cents,
        },
    )


def close_instance(
    session: Session, instance: Instance, *, spent: bool, event: str, payload: dict[str, Any]
) -> None:
    """An instance leaves the running state and its reservation moves with it: spent
    (bought bargain, paid reward — what was reserved is what is spent: a bargain's
    price − floor, an unlock's reward) or released (expiry) — and the event says so, in
    the same unit of work."""
    instance.closed_at = clock.utcnow()
    move = campaigns.consume if spent else campaigns.release
    move(
        session,
        campaign_id=instance.campaign_id,
        cents=instance.reserved_cents,
        units=instance.reserved_units,
    )
    session.flush()
    notify.record_event(
        session,
        shop_id=instance.shop_id,
        type=event,
        subject_type="instance",
        subject_id=instance.id,
        payload={"instance_id": instance.id, **payload},
    )


# -- a person's own data ------------------------------------------------------------------

INSTANCE_EXPORT_FIELDS = (
    "id", "campaign_id", "kind", "status", "progress_value", "target_value", "slots_total",
    "slots_used", "held_count", "voided_count", "expires_at", "succeeded_at",
    "purchase_deadline_at", "closed_at", "created_at",
)  # fmt: skip
# An assist the person gave: which activity and when, never whose it was nor the risk
# screen's verdict on it (the screen's reasons name signals about others too).
ASSIST_EXPORT_FIELDS = ("instance_id", "campaign_id", "status", "created_at", "voided_at")
PURCHASE_EXPORT_FIELDS = (
    "id", "campaign_id", "instance_id", "kind", "amount_cents", "status", "created_at",
    "updated_at",
)  # fmt: skip


def export_of(session: Session, *, account_id: int) -> dict[str, Any]:
    """Activities the person started, assists they gave and their orders."""
    return {
        "activities_started": [
            fields_of(i, INSTANCE_EXPORT_FIELDS)
            for i in repo.instances_started_by(session, account_id)
        ],
        "assists_given": [
            fields_of(a, ASSIST_EXPORT_FIELDS) for a in repo.assists_given_by(session, account_id)
        ],
        "orders": [
            fields_of(p, PURCHASE_EXPORT_FIELDS) for p in repo.purchases_by(session, account_id)
        ],
    }


def running_of(session: Session, *, account_id: int) -> list[int]:
    """The ids of the person's activities still running, or holding money of theirs: what
    must end before their account can be deleted (privacy.service.delete_account)."""
    return repo.running_instances_of(session, account_id)
