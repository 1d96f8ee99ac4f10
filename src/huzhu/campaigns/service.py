"""Use cases of the campaigns domain: defining campaigns, their lifecycle, their frozen
versions, and the reservations that keep budget and stock from ever being exceeded.

The other domains start instances and take orders through `reserve`, and give back or
book what they reserved through `release` and `consume` (see docs/architecture.md,
"Reservations"). They read an instance's terms with `get_version`, never the campaign's
current rules: an edit of a launched campaign makes a new version and leaves the terms
an instance started under untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from huzhu.audit import service as audit
from huzhu.campaigns import pricing
from huzhu.campaigns import repository as repo
from huzhu.campaigns.errors import (
    BudgetBelowCommitted,
    CampaignConfigRefused,
    CampaignNotFound,
    InvalidTransition,
    RulesFrozen,
)
from huzhu.campaigns.models import Campaign, CampaignVersion
from huzhu.campaigns.models import LotteryDraw as LotteryDraw  # re-exported for the draw
from huzhu.campaigns.rules import budget as budget_rules
from huzhu.campaigns.rules import disclosure, snapshot, validation
from huzhu.campaigns.rules.lifecycle import (
    VERSIONED_STATUSES,
    CampaignStatus,
    StartClosed,
    start_closed,
)
from huzhu.campaigns.schemas import (
    BargainCreate,
    BargainDisclosure,
    CampaignCreate,
    CampaignOut,
    CampaignUpdate,
    GroupbuyCreate,
    GroupbuyDisclosure,
    LotteryCreate,
    LotteryDisclosure,
    PrizeDisclosure,
    PublicCampaignView,
    ReferenceClaim,
    UnlockCreate,
    UnlockDisclosure,
    VersionOut,
)
from huzhu.config import Settings
from huzhu.errors import validation_errors
from huzhu.jobs import service as jobs
from huzhu.kit import clock
from huzhu.notify import service as notify
from huzhu.pagination import Page, PageParams, fetch_page

ACTIVATE_JOB = "campaign.activate"
END_JOB = "campaign.end"
_CREATE_MODELS: dict[str, type[Any]] = {
    "bargain": BargainCreate,
    "groupbuy": GroupbuyCreate,
    "lottery": LotteryCreate,
    "unlock": UnlockCreate,
}
_create_adapter: TypeAdapter[Any] = TypeAdapter(CampaignCreate)


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise CampaignNotFound(f"no campaign {campaign_id}")
    return campaign


def get_version(session: Session, version_id: int) -> CampaignVersion:
    version = session.get(CampaignVersion, version_id)
    if version is None:
        raise CampaignNotFound(f"no campaign version {version_id}")
    return version


def current_version(session: Session, campaign_id: int) -> CampaignVersion:
    campaign = get_campaign(session, campaign_id)
    version = repo.version_of(session, campaign_id=campaign.id, version=campaign.version)
    if version is None:
        raise CampaignNotFound(f"campaign {campaign_id} has no version {campaign.version}")
    return version


def worst_case_reservation(rules: Mapping[str, Any]) -> tuple[int, int]:
    """(cents, units) one instance — or, for a group buy, one order — may cost at most
    (a lottery: (0, 0); its prize pool is reserved at launch, see `prize_pool`)."""
    return budget_rules.worst_case_reservation(rules)


def prize_pool(rules: Mapping[str, Any]) -> tuple[int, int]:
    """(cents, units) of a lottery's whole prize pool, reserved at launch."""
    return budget_rules.prize_pool(rules)


def reserve(session: Session, *, campaign_id: int, cents: int, units: int) -> bool:
    """Reserve budget and stock on a live campaign; False when they cannot cover it."""
    if cents < 0 or units < 0:
        raise ValueError("a reservation is never negative")
    return repo.try_reserve(session, campaign_id=campaign_id, cents=cents, units=units)


def release(session: Session, *, campaign_id: int, cents: int, units: int) -> None:
    """Give a reservation back (expiry, cancel, refund)."""
    consume(
        session,
        campaign_id=campaign_id,
        reserved_cents=cents,
        reserved_units=units,
        spent_cents=0,
        used_units=0,
    )


def consume(
    session: Session,
    *,
    campaign_id: int,
    reserved_cents: int | None = None,
    reserved_units: int | None = None,
    spent_cents: int | None = None,
    used_units: int | None = None,
    cents: int | None = None,
    units: int | None = None,
) -> None:
    """Turn a reservation into spending: what was really spent is booked, the rest freed.

    `cents`/`units` are the shorthand for the common case of spending a reservation in
    full (a bought bargain, a paid reward, a captured order, a won prize); the long form
    names the reservation and the part of it really spent (spent <= reserved)."""
    reserved_c = _either(reserved_cents, cents, "reserved_cents")
    reserved_u = _either(reserved_units, units, "reserved_units")
    spent_c = reserved_c if spent_cents is None else spent_cents
    used_u = reserved_u if used_units is None else used_units
    if not (0 <= spent_c <= reserved_c and 0 <= used_u <= reserved_u):
        raise ValueError("spending must fit inside its reservation")
    moved = repo.move_reservation(
        session,
        campaign_id=campaign_id,
        reserved_cents=reserved_c,
        reserved_units=reserved_u,
        spent_cents=spent_c,
        used_units=used_u,
    )
    if not moved:
        raise RuntimeError(
            f"campaign {campaign_id} holds less reserved than is being given back: "
            "a reservation was released twice"
        )


def _either(long_form: int | None, short_form: int | None, name: str) -> int:
    if long_form is not None and short_form is None:
        return long_form
    if short_form is not None and long_form is None:
        return short_form
    raise TypeError(f"consume() takes either {name} or its shorthand, exactly one")


# -- defining a campaign ---------------------------------------------------------------


def _limits(settings: Settings) -> validation.Limits:
    return validation.Limits(
        max_helpers_limit=settings.campaigns.max_helpers_limit,
        max_top_prize_cents=settings.campaigns.max_top_prize_cents,
        max_bargain_cut_cents=settings.campaigns.max_bargain_cut_cents,
        max_unlock_reward_cents=settings.campaigns.max_unlock_reward_cents,
    )


def _defaults(settings: Settings) -> snapshot.Defaults:
    return snapshot.Defaults(
        instance_ttl_seconds=settings.campaigns.default_instance_ttl_seconds,
        daily_assists_per_helper=settings.campaigns.default_daily_assists_per_helper,
        purchase_window_seconds=settings.campaigns.default_purchase_window_seconds,
        reference_window_days=settings.campaigns.reference_price_window_days,
    )


def _refuse(found: list[validation.Refusal]) -> None:
    if found:
        raise validation.refused(found)


def utc(value: datetime | None) -> datetime | None:
    return None if value is None else clock.as_utc(value)


# Who changes a campaign when no person does: its own jobs (start and end at their
# times), the demo seed, a script calling the service.
SYSTEM_ACTOR = "system:campaigns"
# How a caller is named in the audit log (one definition, in audit).
actor_of = audit.actor_of


def record_campaign_event(
    session: Session, campaign: Campaign, type_: str, *, actor: str | None = None, **payload: Any
) -> None:
    """The outbox event of a change, and, for a change someone (or a job) made as one
    act — created, updated, launched, scheduled, paused, resumed, ended — its audit
    entry by `actor`. Steps inside an act (a new version, a budget change) pass none."""
    if actor is not None:
        audit.record(
            session,
            shop_id=campaign.shop_id,
            actor=actor,
            action=type_,
            subject_type="campaign",
            subject_id=campaign.id,
            details={k: v for k, v in payload.items() if k != "commitment_hex"},
        )
    notify.record_event(
        session,
        shop_id=campaign.shop_id,
        type=type_,
        subject_type="campaign",
        subject_id=campaign.id,
        payload={"campaign_id": campaign.id, **payload},
    )


def create_campaign(
    session: Session, settings: Settings, *, shop_id: int, body: Any, actor: str = SYSTEM_ACTOR
) -> CampaignOut:
    """A new draft campaign with its version 1. `body` is one of the CampaignCreate
    models; a deceptive or impossible config is refused naming each field."""
    config = body.model_dump()
    now = clock.utcnow()
    _refuse(validation.refusals(config, limits=_limits(settings), now=now))
    rules = snapshot.rules_snapshot(config, defaults=_defaults(settings))
    pricing.check_item(session, shop_id=shop_id, rules=rules)
    # Were it launched now: the same check runs again at launch, over that window.
    pricing.check_reference_price(
        session, shop_id=shop_id, campaign_id=None, rules=rules, until=now
    )
    campaign = Campaign(
        shop_id=shop_id,
        kind=config["kind"],
        name=config["name"],
        description=config["description"],
        channel=config["channel"],
        status=CampaignStatus.DRAFT,
        version=1,
        budget_cents=config["budget_cents"],
        budget_reserved_cents=0,
        budget_spent_cents=0,
        inventory_total=config["inventory_total"],
        inventory_reserved=0,
        inventory_used=0,
        starts_at=utc(config["starts_at"]),
        ends_at=utc(config["ends_at"]),
        created_at=now,
        updated_at=now,
    )
    session.add(campaign)
    session.flush()
    version = CampaignVersion(
        campaign_id=campaign.id,
        version=1,
        rules=rules,
        description=campaign.description,
        created_at=now,
    )
    session.add(version)
    session.flush()
    pricing.record_price(session, campaign, rules=rules)
    record_campaign_event(
        session, campaign, "campaign.created", actor=actor, kind=campaign.kind, version=1
    )
    return describe(campaign, version)


def _columns(campaign: Campaign) -> dict[str, Any]:
    return {key: getattr(campaign, key) for key in snapshot.CAMPAIGN_FIELDS}


def _merged_config(campaign: Campaign, rules: Mapping[str, Any], changes: dict[str, Any]) -> Any:
    """The edited campaign as a create body, validated by the same models as a new one."""
    allowed = set(_CREATE_MODELS[campaign.kind].model_fields) - {"kind"}
    foreign = sorted(set(changes) - allowed)
    if foreign:
        raise validation.refused(
            [validation.Refusal(f, "not_a_field", {"kind": campaign.kind}) for f in foreign]
        )
    merged = {**snapshot.config_of(_columns(campaign), rules), **changes}
    try:
        return _create_adapter.validate_python(merged)
    except ValidationError as exc:
        # Drop the union's tag ("bargain.") so fields are named as the client sent them.
        errors = validation_errors([{**e, "loc": e["loc"][1:]} for e in exc.errors()])
        raise CampaignConfigRefused(
            "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]), errors=errors
        ) from None


def update_campaign(
    session: Session,
    settings: Settings,
    *,
    shop_id: int,
    campaign_id: int,
    patch: CampaignUpdate,
    actor: str = SYSTEM_ACTOR,
) -> CampaignOut:
    """Edit a campaign. A draft changes in place; a scheduled, live or paused campaign
    whose rules change gets a new version (instances keep theirs). Budget and stock may
    be topped up or trimmed, never below what is reserved plus spent. A launched
    lottery's prizes, draw time and entry terms never change (RulesFrozen)."""
    campaign = campaign_in_shop(session, shop_id=shop_id, campaign_id=campaign_id, lock=True)
    if campaign.status == CampaignStatus.ENDED:
        raise InvalidTransition(
            "an ended campaign cannot be edited", campaign_status=campaign.status
        )
    version = current_version(session, campaign.id)
    changes = patch.model_dump(exclude_unset=True)
    if not changes:
        return describe(campaign, version)
    config = _merged_config(campaign, version.rules, changes).model_dump()
    now = clock.utcnow()
    found = validation.refusals(config, limits=_limits(settings), now=now)
    # A time that has simply passed since it was set is not the edit's fault.
    _refuse([r for r in found if r.field in changes or r.field not in ("ends_at", "draw_at")])
    rules = snapshot.rules_snapshot(
        config, defaults=_defaults(settings), commitment_hex=version.rules.get("commitment_hex")
    )
    if campaign.launched_at is not None:
        frozen = snapshot.frozen_changes(version.rules, rules)
        if frozen:
            raise RulesFrozen(
                "a launched lottery's prizes, draw time and entries are published terms "
                "that participants entered under; they never change",
                fields=frozen,
            )
    pricing.check_item(session, shop_id=campaign.shop_id, rules=rules)
    # Every check before the first write: a refused edit leaves nothing behind.
    pricing.check_reference_price(
        session,
        shop_id=campaign.shop_id,
        campaign_id=campaign.id,
        rules=rules,
        until=utc(campaign.launched_at) or now,
    )
    _apply_budget(session, campaign, config, now=now)
    previous_times = (campaign.starts_at, campaign.ends_at)
    campaign.name, campaign.description = config["name"], config["description"]
    campaign.channel = config["channel"]
    campaign.starts_at, campaign.ends_at = utc(config["starts_at"]), utc(config["ends_at"])
    campaign.updated_at = now
    session.flush()
    if rules != version.rules or campaign.description != version.description:
        version = _new_rules(session, campaign, version, rules, now=now)
    if (campaign.starts_at, campaign.ends_at) != previous_times:
        schedule_jobs(session, campaign)
    pricing.record_price(session, campaign, rules=rules)
    record_campaign_event(
        session,
        campaign,
        "campaign.updated",
        actor=actor,
        fields=sorted(changes),
        version=version.version,
    )
    return describe(campaign, version)


def _apply_budget(
    session: Session, campaign: Campaign, config: Mapping[str, Any], *, now: datetime
) -> None:
    budget, stock = int(config["budget_cents"]), int(config["inventory_total"])
    if (budget, stock) == (campaign.budget_cents, campaign.inventory_total):
        return
    if not repo.set_budget(
        session, campaign_id=campaign.id, budget_cents=budget, inventory_total=stock, now=now
    ):
        session.refresh(campaign)
        committed = campaign.budget_reserved_cents + campaign.budget_spent_cents
        if budget < committed:
            raise BudgetBelowCommitted(
                f"the budget cannot go below the {committed} cents reserved and spent",
                field="budget_cents",
                committed_cents=committed,
            )
        used = campaign.inventory_reserved + campaign.inventory_used
        raise BudgetBelowCommitted(
            f"the inventory cannot go below the {used} units reserved and used",
            field="inventory_total",
            committed_units=used,
        )
    session.refresh(campaign)
    record_campaign_event(
        session, campaign, "campaign.budget_changed", budget_cents=budget, inventory_total=stock
    )


def _new_rules(
    session: Session,
    campaign: Campaign,
    version: CampaignVersion,
    rules: dict[str, Any],
    *,
    now: datetime,
) -> CampaignVersion:
    if campaign.status not in VERSIONED_STATUSES:
        # A draft's rules were never public and no instance holds them.
        version.rules, version.description = rules, campaign.description
        session.flush()
        return version
    if not repo.bump_version(session, campaign_id=campaign.id, expected=version.version, now=now):
        raise InvalidTransition("the campaign was edited concurrently; read it and retry")
    session.refresh(campaign)
    fresh = CampaignVersion(
        campaign_id=campaign.id,
        version=campaign.version,
        rules=rules,
        description=campaign.description,
        created_at=now,
    )
    session.add(fresh)
    session.flush()
    record_campaign_event(
        session,
        campaign,
        "campaign.versioned",
        version=fresh.version,
        version_id=fresh.id,
        previous_version_id=version.id,
    )
    return fresh


def schedule_jobs(session: Session, campaign: Campaign) -> None:
    """Jobs at the campaign's times. A moved time enqueues a new job (the dedupe key
    holds the time); the stale one finds its time not yet come, or the status moved on,
    and does nothing."""
    if campaign.status == CampaignStatus.SCHEDULED and campaign.starts_at is not None:
        at = clock.as_utc(campaign.starts_at)
        jobs.enqueue(
            session,
            kind=ACTIVATE_JOB,
            payload={"campaign_id": campaign.id},
            run_at=at,
            dedupe_key=f"{ACTIVATE_JOB}:{campaign.id}:{at.isoformat()}",
        )
    if campaign.status in VERSIONED_STATUSES and campaign.ends_at is not None:
        at = clock.as_utc(campaign.ends_at)
        jobs.enqueue(
            session,
            kind=END_JOB,
            payload={"campaign_id": campaign.id},
            run_at=at,
            dedupe_key=f"{END_JOB}:{campaign.id}:{at.isoformat()}",
        )


# -- reading ---------------------------------------------------------------------------


def campaign_in_shop(
    session: Session, *, shop_id: int, campaign_id: int, lock: bool = False
) -> Campaign:
    """A campaign of the caller's shop; another shop's campaign does not exist for them.
    `lock` serialises deciding use cases on the row (see repository.campaign_in_shop)."""
    campaign = repo.campaign_in_shop(session, shop_id=shop_id, campaign_id=campaign_id, lock=lock)
    if campaign is None:
        raise CampaignNotFound(f"no campaign {campaign_id}")
    return campaign


def describe(campaign: Campaign, version: CampaignVersion) -> CampaignOut:
    return CampaignOut(
        id=campaign.id,
        kind=campaign.kind,
        name=campaign.name,
        description=version.description,
        channel=campaign.channel,
        status=campaign.status,
        version=campaign.version,
        version_id=version.id,
        rules=version.rules,
        budget_cents=campaign.budget_cents,
        budget_reserved_cents=campaign.budget_reserved_cents,
        budget_spent_cents=campaign.budget_spent_cents,
        inventory_total=campaign.inventory_total,
        inventory_reserved=campaign.inventory_reserved,
        inventory_used=campaign.inventory_used,
        starts_at=utc(campaign.starts_at),
        ends_at=utc(campaign.ends_at),
        launched_at=utc(campaign.launched_at),
        created_at=clock.as_utc(campaign.created_at),
        updated_at=clock.as_utc(campaign.updated_at),
    )


def describe_campaign(session: Session, *, shop_id: int, campaign_id: int) -> CampaignOut:
    campaign = campaign_in_shop(session, shop_id=shop_id, campaign_id=campaign_id)
    return describe(campaign, current_version(session, campaign.id))


def list_campaigns(
    session: Session,
    params: PageParams,
    *,
    shop_id: int,
    status: str | None = None,
    kind: str | None = None,
) -> Page[CampaignOut]:
    """The shop's campaigns, newest first, each with its current rules."""
    rows, next_cursor = fetch_page(
        session,
        repo.campaigns_query(shop_id=shop_id, status=status, kind=kind),
        Campaign.id,
        params,
    )
    current = repo.current_versions(session, [row.id for row in rows])
    return Page[CampaignOut](
        items=[describe(row, current[row.id]) for row in rows], next_cursor=next_cursor
    )


def list_versions(session: Session, *, shop_id: int, campaign_id: int) -> list[VersionOut]:
    """Every version, oldest first: the terms each generation of instances started under."""
    campaign = campaign_in_shop(session, shop_id=shop_id, campaign_id=campaign_id)
    return [
        VersionOut(
            id=v.id,
            campaign_id=v.campaign_id,
            version=v.version,
            rules=v.rules,
            description=v.description,
            created_at=clock.as_utc(v.created_at),
        )
        for v in repo.versions_of(session, campaign.id)
    ]


# -- whether a campaign takes someone new now ----------------------------------------


@dataclass(frozen=True, slots=True)
class Closed:
    """Why a campaign takes no one new now, and the time that says when (by name:
    `starts_at`, `ends_at`, `draw_at` or `drawn_at`), where there is one."""

    reason: StartClosed
    times: dict[str, datetime]


def why_closed(session: Session, campaign: Campaign, *, now: datetime) -> Closed | None:
    """None when a participant may start (or open a team in) the campaign now: the one
    check every start runs (assists.service.open_instance) and every page offers by."""
    rules = current_version(session, campaign.id).rules if campaign.kind == "lottery" else {}
    return _closed(session, campaign, rules, now=now)


def _closed(
    session: Session, campaign: Campaign, rules: Mapping[str, Any], *, now: datetime
) -> Closed | None:
    draw_at = _draw_at(rules) if campaign.kind == "lottery" else None
    drawn = repo.lottery_draw(session, campaign.id) if campaign.kind == "lottery" else None
    reason = start_closed(
        status=campaign.status,
        starts_at=utc(campaign.starts_at),
        ends_at=utc(campaign.ends_at),
        draw_at=draw_at,
        drawn=drawn is not None,
        now=now,
    )
    if reason is None:
        return None
    times = {
        StartClosed.NOT_STARTED: {"starts_at": utc(campaign.starts_at)},
        StartClosed.ENDED: {"ends_at": utc(campaign.ends_at)},
        StartClosed.ENTRIES_CLOSED: {"draw_at": draw_at},
        StartClosed.DRAWN: {"drawn_at": utc(drawn.drawn_at) if drawn else None},
    }.get(reason, {})
    # An operator's end has no time of its own (ends_at may lie ahead): say none.
    return Closed(
        reason, {k: v for k, v in times.items() if v is not None and (k != "ends_at" or v <= now)}
    )


def _draw_at(rules: Mapping[str, Any]) -> datetime | None:
    raw = rules.get("draw_at")
    return clock.as_utc(datetime.fromisoformat(str(raw))) if raw else None


def public_view(session: Session, campaign_id: int) -> PublicCampaignView:
    """The honest disclosures of a campaign that is not a draft, for anyone: the rules
    that bind (from the current version), remaining stock as counts, whether it takes
    someone new now (and why not) — never a secret (the lottery's seed stays in
    lottery_secret until the draw)."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.status == CampaignStatus.DRAFT:
        raise CampaignNotFound(f"no campaign {campaign_id}")
    version = current_version(session, campaign.id)
    rules = version.rules
    closed = _closed(session, campaign, rules, now=clock.utcnow())
    inventory_left = campaign.inventory_total - campaign.inventory_reserved
    inventory_left -= campaign.inventory_used
    budget_left = campaign.budget_cents - campaign.budget_reserved_cents
    budget_left -= campaign.budget_spent_cents
    return PublicCampaignView(
        id=campaign.id,
        kind=campaign.kind,
        name=campaign.name,
        description=version.description,
        channel=campaign.channel,
        status=campaign.status,
        version=campaign.version,
        starts_at=utc(campaign.starts_at),
        ends_at=utc(campaign.ends_at),
        daily_assists_per_helper=int(rules["daily_assists_per_helper"]),
        inventory_remaining=max(0, inventory_left),
        places_remaining=budget_rules.places_left(
            budget_left_cents=budget_left, inventory_left=inventory_left, rules=rules
        ),
        open_to_start=closed is None,
        closed_reason=closed.reason if closed else None,
        **_disclosure(
            rules,
            reference=pricing.claim(session, campaign, rules=rules),
            drawn_at=closed.times.get("drawn_at") if closed else None,
        ),
    )


def _disclosure(
    rules: Mapping[str, Any], *, reference: ReferenceClaim, drawn_at: datetime | None
) -> dict[str, Any]:
    kind, ttl = rules["kind"], int(rules["instance_ttl_seconds"])
    if kind == "bargain":
        return {
            "bargain": BargainDisclosure(
                price_cents=rules["price_cents"],
                floor_cents=rules["floor_cents"],
                reference_price_cents=rules["reference_price_cents"],
                reference=reference,
                max_helpers=rules["max_helpers"],
                split=rules["split"],
                expires_after_seconds=ttl,
                purchase_window_seconds=rules["purchase_window_seconds"],
            )
        }
    if kind == "lottery":
        prizes = [PrizeDisclosure(**p) for p in rules["prizes"]]
        return {
            "lottery": LotteryDisclosure(
                prizes=prizes,
                prize_count=sum(p.quantity for p in prizes),
                draw_at=clock.as_utc(datetime.fromisoformat(str(rules["draw_at"]))),
                base_entries=rules["base_entries"],
                entry_cap=rules["entry_cap"],
                commitment_hex=rules.get("commitment_hex"),
                verify_with=disclosure.VERIFY_DRAW_HINT,
                drawn_at=drawn_at,
            )
        }
    if kind == "groupbuy":
        return {
            "groupbuy": GroupbuyDisclosure(
                team_size=rules["team_size"],
                price_cents=rules["price_cents"],
                group_price_cents=rules["group_price_cents"],
                reference_price_cents=rules["reference_price_cents"],
                reference=reference,
                expires_after_seconds=ttl,
                refund_rule=disclosure.groupbuy_refund_rule(
                    team_size=int(rules["team_size"]),
                    group_price_cents=int(rules["group_price_cents"]),
                    ttl_seconds=ttl,
                ),
            )
        }
    return {
        "unlock": UnlockDisclosure(
            helpers_needed=rules["helpers_needed"],
            reward_cents=rules["reward_cents"],
            reward_name=rules["reward_name"],
            expires_after_seconds=ttl,
        )
    }


# -- reference prices (campaigns.pricing) ---------------------------------------------


def reference_claim(
    session: Session, *, campaign_id: int, rules: Mapping[str, Any]
) -> ReferenceClaim:
    """What the reference price of these rules (an instance's version, or the current
    one) rests on: the item's lowest recorded price in the window before launch, or the
    shop's own claim when there is no item or no price recorded in it."""
    return pricing.claim(session, get_campaign(session, campaign_id), rules=rules)


# -- the lottery's commitment and draw record (the draw itself runs in assists.lottery) --


def lottery_seed(session: Session, campaign_id: int) -> tuple[str, str] | None:
    """(seed_hex, commitment_hex) committed at launch, or None for a lottery without one.
    Only the draw may ask: the seed is secret until the draw record publishes it."""
    secret = repo.lottery_secret(session, campaign_id)
    return None if secret is None else (secret.seed_hex, secret.commitment_hex)


def lottery_draw(session: Session, campaign_id: int) -> LotteryDraw | None:
    return repo.lottery_draw(session, campaign_id)


def published_commitment(session: Session, campaign_id: int) -> str | None:
    """The commitment the lottery published when it was first scheduled or launched (the
    earliest version that carries one), before anyone could enter: what a draw record
    must match, whatever the record itself claims."""
    for version in repo.versions_of(session, campaign_id):
        found = version.rules.get("commitment_hex")
        if found:
            return str(found).lower()
    return None


def undrawn_lotteries(session: Session) -> list[int]:
    return repo.undrawn_lottery_ids(session)


def add_lottery_draw(
    session: Session,
    *,
    campaign_id: int,
    commitment_hex: str,
    seed_hex: str,
    record: dict[str, Any],
    drawn_at: datetime,
) -> LotteryDraw:
    """Store the draw; the primary key (the campaign) makes a concurrent second draw
    fail at this flush instead of drawing twice."""
    row = LotteryDraw(
        campaign_id=campaign_id,
        commitment_hex=commitment_hex,
        seed_hex=seed_hex,
        record=record,
        drawn_at=drawn_at,
    )
    session.add(row)
    session.flush()
    return row
