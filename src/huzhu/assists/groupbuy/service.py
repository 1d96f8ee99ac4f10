"""Use cases of the group buy: read a team, open one and join one by ordering, capture a
full team, refund an expired one — through the payment provider, with a key per order and
movement. The invariants they keep, and what holds each, are in the package's docstring
(`huzhu.assists.groupbuy`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from huzhu.assists import service as assists
from huzhu.assists.errors import (
    BudgetExhausted,
    CampaignNotFound,
    OutOfStock,
)
from huzhu.assists.groupbuy import repository as repo
from huzhu.assists.models import Instance, Purchase
from huzhu.assists.rules import InstanceStatus, PurchaseStatus
from huzhu.campaigns import service as campaigns
from huzhu.campaigns.rules import groupbuy as rules
from huzhu.campaigns.rules.lifecycle import CampaignStatus
from huzhu.config import Settings
from huzhu.errors import Conflict, NotFound
from huzhu.guardrails import service as guardrails
from huzhu.guardrails.rules import Step, StepKind
from huzhu.jobs import service as jobs
from huzhu.kit import clock
from huzhu.notify import service as notify
from huzhu.payments.service import PaymentProvider

CAPTURE_JOB = "groupbuy.capture_team"
REFUND_JOB = "groupbuy.refund_team"


class TeamNotFound(NotFound):
    code = "team_not_found"
    title = "No such team"


class NotAGroupBuy(Conflict):
    code = "not_a_groupbuy"
    title = "This campaign is not a group buy"


class TeamFull(Conflict):
    code = "team_full"
    title = "The team already has all its members"


class TeamClosed(Conflict):
    code = "team_closed"
    title = "The team is no longer taking members"


class AlreadyInTeam(Conflict):
    code = "already_in_team"
    title = "You are already a member of this team"


# -- reading ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TeamView:
    """What anyone may see of a team: counts and terms, never who the members are."""

    team_id: int
    campaign_id: int
    status: str
    members: int
    team_size: int
    places_left: int
    price_cents: int
    group_price_cents: int
    expires_at: datetime
    refund_rule: str


def _team(session: Session, team_id: int, *, shop_id: int | None = None) -> Instance:
    team = session.get(Instance, team_id)
    if team is None or team.kind != "groupbuy" or (shop_id is not None and team.shop_id != shop_id):
        raise TeamNotFound(f"team {team_id} not found")
    return team


def _terms(session: Session, settings: Settings, version_id: int) -> rules.GroupTerms:
    snapshot = campaigns.get_version(session, version_id).rules
    return rules.terms_from_rules(
        snapshot, default_ttl_seconds=settings.campaigns.default_instance_ttl_seconds
    )


def team_view(session: Session, settings: Settings, team_id: int) -> TeamView:
    team = _team(session, team_id)
    terms = _terms(session, settings, team.campaign_version_id)
    expires_at = clock.as_utc(team.expires_at)
    return TeamView(
        team_id=team.id,
        campaign_id=team.campaign_id,
        status=team.status,
        members=rules.members(places_taken=team.slots_used),
        team_size=terms.team_size,
        places_left=team.slots_total - team.slots_used,
        price_cents=terms.price_cents,
        group_price_cents=terms.group_price_cents,
        expires_at=expires_at,
        refund_rule=rules.refund_rule_text(
            team_size=terms.team_size,
            group_price_cents=terms.group_price_cents,
            expires_at=expires_at,
        ),
    )


@dataclass(frozen=True, slots=True)
class TeamJoined:
    """A team the person joined (not opened): the team as anyone sees it, and their own
    order's money state (authorized, captured, refunded)."""

    team: TeamView
    order_status: str
    amount_cents: int


def teams_joined(
    session: Session, settings: Settings, *, shop_id: int, account_id: int, limit: int = 50
) -> list[TeamJoined]:
    """The teams the person joined by ordering, newest first (their own page)."""
    return [
        TeamJoined(
            team=team_view(session, settings, order.instance_id),
            order_status=order.status,
            amount_cents=order.amount_cents,
        )
        for order in repo.orders_in_teams_led_by_others(
            session, shop_id=shop_id, account_id=account_id, limit=limit
        )
    ]


def joinable(
    session: Session, settings: Settings, *, shop_id: int, team_id: int, account_id: int
) -> TeamView:
    """The team, when this person could join it now; otherwise the refusal `join_team`
    would give (their own team, already in it, full, closed)."""
    team = _team(session, team_id, shop_id=shop_id)
    if team.initiator_id == account_id:
        raise AlreadyInTeam("you lead this team; share it with friends instead")
    if assists.part_taken(session, instance_id=team_id, account_id=account_id) == "ordered":
        raise AlreadyInTeam(f"you already ordered in team {team_id}")
    if team.slots_used >= team.slots_total:
        raise TeamFull(f"team {team_id} already has all its members")
    if team.status != InstanceStatus.ACTIVE:
        raise TeamClosed(f"team {team_id} is no longer taking members ({team.status})")
    return team_view(session, settings, team_id)


# -- ordering: open and join -----------------------------------------------------------


def _place_order(
    session: Session,
    settings: Settings,
    provider: PaymentProvider,
    *,
    team: Instance,
    account_id: int,
    role: str,
    confirmation: str | None,
) -> Purchase:
    """One member's order under the team's frozen terms: confirmed by the person for this
    price, admitted by their guardrails, a purchase row (UNIQUE per team and person), its
    worst case reserved, and the group price authorized — all in the caller's
    transaction."""
    snapshot = campaigns.get_version(session, team.campaign_version_id).rules
    terms = rules.terms_from_rules(
        snapshot, default_ttl_seconds=settings.campaigns.default_instance_ttl_seconds
    )
    leader = role == "leader"
    step = Step(
        StepKind.OPEN_TEAM if leader else StepKind.JOIN_TEAM, amount_cents=terms.group_price_cents
    )
    guardrails.check_confirmation(
        settings,
        confirmation,
        shop_id=team.shop_id,
        account_id=account_id,
        step=step,
        target_id=team.campaign_id if leader else team.id,
        now=clock.utcnow(),
    )
    now = assists.admit_step(
        session, settings, shop_id=team.shop_id, account_id=account_id, step=step
    )
    purchase = Purchase(
        shop_id=team.shop_id,
        campaign_id=team.campaign_id,
        instance_id=team.id,
        account_id=account_id,
        kind="groupbuy",
        amount_cents=terms.group_price_cents,
        subsidy_cents=0,
        status=PurchaseStatus.AUTHORIZED,
        payment_ref=None,
        details={"role": role},
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(purchase)
            session.flush()
    except IntegrityError as exc:
        raise AlreadyInTeam(f"you already ordered in team {team.id}") from exc
    # The leader's order reserves stock for the whole team: a team that opens can fill
    # (a team stuck at k-1 of k because the stock ran out would show a place that no
    # join can take). Members' orders take their places from that, reserving none.
    units = terms.team_size if role == "leader" else 0
    cents = _reserve_order(session, campaign_id=team.campaign_id, snapshot=snapshot, units=units)
    payment = provider.authorize(
        session,
        key=rules.authorize_key(purchase.id),
        amount_cents=terms.group_price_cents,
        account_id=account_id,
    )
    # What this order reserved, so capture consumes and refund releases exactly that.
    purchase.subsidy_cents = cents
    purchase.details = {"role": role, "reserved_units": units}
    purchase.payment_ref = payment.ref
    session.flush()
    notify.record_event(
        session,
        shop_id=team.shop_id,
        type="purchase.authorized",
        subject_type="purchase",
        subject_id=purchase.id,
        payload={
            "instance_id": team.id,
            "kind": "groupbuy",
            "role": role,
            "amount_cents": terms.group_price_cents,
        },
    )
    return purchase


def _reserve_order(
    session: Session, *, campaign_id: int, snapshot: dict[str, Any], units: int
) -> int:
    """One order's subsidy and `units` of stock, or a clear refusal; the cents reserved."""
    cents, _ = campaigns.worst_case_reservation(snapshot)
    if campaigns.reserve(session, campaign_id=campaign_id, cents=cents, units=units):
        return cents
    campaign = campaigns.get_campaign(session, campaign_id)
    if campaign.status != CampaignStatus.LIVE:
        # Paused or ended while this order was being placed (a join's team is running).
        assists.check_open(session, campaign, now=clock.utcnow())
    left = campaign.budget_cents - campaign.budget_reserved_cents - campaign.budget_spent_cents
    if left < cents:
        raise BudgetExhausted(
            "the campaign's budget cannot cover another order", needed_cents=cents
        )
    raise OutOfStock(
        f"the campaign has no stock left for another {'team' if units else 'order'}",
        needed_units=units,
    )


def open_team(
    session: Session,
    settings: Settings,
    provider: PaymentProvider,
    *,
    shop_id: int,
    campaign_id: int,
    leader_id: int,
    confirmation: str | None,
) -> tuple[Instance, Purchase]:
    """A leader opens a team by ordering (confirmed for the campaign's group price, see
    `_place_order`). The team's K − 1 free places are its slots; its refund at expiry is
    scheduled now, so a team can never be left hanging."""
    campaign = campaigns.get_campaign(session, campaign_id)
    if campaign.shop_id != shop_id:
        raise CampaignNotFound(f"campaign {campaign_id} not found")
    if campaign.kind != "groupbuy":
        raise NotAGroupBuy(f"campaign {campaign_id} is a {campaign.kind}")
    team = assists.open_instance(
        session, settings, shop_id=shop_id, campaign_id=campaign_id, initiator_id=leader_id
    )
    purchase = _place_order(
        session,
        settings,
        provider,
        team=team,
        account_id=leader_id,
        role="leader",
        confirmation=confirmation,
    )
    jobs.enqueue(
        session,
        kind=REFUND_JOB,
        payload={"instance_id": team.id},
        run_at=clock.as_utc(team.expires_at),
        dedupe_key=f"{REFUND_JOB}:{team.id}",
    )
    return team, purchase


def join_team(
    session: Session,
    settings: Settings,
    provider: PaymentProvider,
    *,
    shop_id: int,
    team_id: int,
    account_id: int,
    confirmation: str | None,
) -> tuple[TeamView, Purchase]:
    """A member joins by ordering. The place is taken first, so on PostgreSQL joiners
    queue on the team row rather than on the campaign's budget row."""
    team = _team(session, team_id, shop_id=shop_id)
    if team.initiator_id == account_id:
        raise AlreadyInTeam("you lead this team; share it with friends instead")
    now = clock.utcnow()
    assists.check_may_take_part(session, account_id=account_id, now=now)
    taken = repo.claim_place(session, team_id=team_id, now=now)
    if taken is None:
        session.refresh(team)
        if team.slots_used >= team.slots_total:
            raise TeamFull(f"team {team_id} already has all its members")
        raise TeamClosed(f"team {team_id} is no longer taking members ({team.status})")
    purchase = _place_order(
        session,
        settings,
        provider,
        team=team,
        account_id=account_id,
        role="member",
        confirmation=confirmation,
    )
    repo.mark_place(session, team_id=team_id, purchase_id=purchase.id)
    if taken >= team.slots_total:
        _succeed(session, team=team, now=now)
    session.refresh(team)
    return team_view(session, settings, team_id), purchase


def _succeed(session: Session, *, team: Instance, now: datetime) -> None:
    repo.move_team(
        session,
        team_id=team.id,
        from_status=InstanceStatus.ACTIVE,
        values={"status": InstanceStatus.SUCCEEDED, "succeeded_at": now},
    )
    notify.record_event(
        session,
        shop_id=team.shop_id,
        type="instance.succeeded",
        subject_type="instance",
        subject_id=team.id,
        payload={"kind": "groupbuy", "members": team.slots_total + 1},
    )
    jobs.enqueue(
        session,
        kind=CAPTURE_JOB,
        payload={"instance_id": team.id},
        dedupe_key=f"{CAPTURE_JOB}:{team.id}",
    )
    for order in repo.orders_in(session, team.id, status=PurchaseStatus.AUTHORIZED):
        _tell_member(
            session,
            team=team,
            account_id=order.account_id,
            kind=notify.Kind.INSTANCE_SUCCEEDED,
            params={},
        )


# -- settling: capture a full team, refund an expired one ------------------------------


def _reserved_units(order: Purchase) -> int:
    return int(order.details.get("reserved_units", 1))


def _settle_order(session: Session, *, team: Instance, order: Purchase, captured: bool) -> None:
    """One order's reservation becomes spending (captured) or goes back (refunded), with
    its event, in the unit of work that moved the order."""
    units = _reserved_units(order)
    if captured:
        campaigns.consume(
            session, campaign_id=team.campaign_id, cents=order.subsidy_cents, units=units
        )
    else:
        campaigns.release(
            session, campaign_id=team.campaign_id, cents=order.subsidy_cents, units=units
        )
    notify.record_event(
        session,
        shop_id=team.shop_id,
        type="purchase.captured" if captured else "purchase.refunded",
        subject_type="purchase",
        subject_id=order.id,
        payload={"instance_id": team.id, "kind": "groupbuy", "amount_cents": order.amount_cents},
    )


def capture_team(session: Session, provider: PaymentProvider, *, team_id: int) -> int:
    """Charge every order of a full team; how many orders were captured by this call."""
    team = _team(session, team_id)
    if team.status not in (InstanceStatus.SUCCEEDED, InstanceStatus.COMPLETED):
        return 0
    captured = 0
    for order in repo.orders_in(session, team_id, status=PurchaseStatus.AUTHORIZED):
        assert order.payment_ref is not None
        provider.capture(
            session, key=rules.capture_key(order.id), authorization_ref=order.payment_ref
        )
        if not repo.move_order(
            session,
            purchase_id=order.id,
            from_status=PurchaseStatus.AUTHORIZED,
            to_status=PurchaseStatus.CAPTURED,
        ):
            continue
        _settle_order(session, team=team, order=order, captured=True)
        captured += 1
    repo.move_team(
        session,
        team_id=team_id,
        from_status=InstanceStatus.SUCCEEDED,
        values={"status": InstanceStatus.COMPLETED, "closed_at": clock.utcnow()},
    )
    return captured


def refund_team(session: Session, provider: PaymentProvider, *, team_id: int) -> int:
    """Release every order of a team that did not fill in time; how many were released
    by this call. Money was only authorized (a team is charged only when full), so each
    authorization is voided and its reservation released. Safe to run again at any
    point: the void is keyed per order, the purchase moves to `refunded` once."""
    team = _team(session, team_id)
    now = clock.utcnow()
    if repo.expire_team(session, team_id=team_id, now=now):
        notify.record_event(
            session,
            shop_id=team.shop_id,
            type="instance.expired",
            subject_type="instance",
            subject_id=team_id,
            payload={"kind": "groupbuy", "members": rules.members(places_taken=team.slots_used)},
        )
    session.refresh(team)
    if team.status != InstanceStatus.EXPIRED:
        return 0
    refunded = 0
    for order in repo.orders_in(session, team_id, status=PurchaseStatus.AUTHORIZED):
        assert order.payment_ref is not None
        provider.void(session, key=rules.void_key(order.id), authorization_ref=order.payment_ref)
        if not repo.move_order(
            session,
            purchase_id=order.id,
            from_status=PurchaseStatus.AUTHORIZED,
            to_status=PurchaseStatus.REFUNDED,
        ):
            continue
        _settle_order(session, team=team, order=order, captured=False)
        _tell_member(
            session,
            team=team,
            account_id=order.account_id,
            kind=notify.Kind.EXPIRED_REFUNDED,
            params={"refunded_cents": order.amount_cents},
        )
        refunded += 1
    return refunded


def _tell_member(
    session: Session,
    *,
    team: Instance,
    account_id: int | None,
    kind: notify.Kind,
    params: dict[str, Any],
) -> None:
    """One member's message about the team (once per member per kind: a rerun of the
    job finds it already sent). An order past the legal period names no one to tell."""
    topic = f"instance:{team.id}"
    if account_id is None or notify.latest_on_topic(
        session, account_id=account_id, kind=kind, topic=topic
    ):
        return
    campaign = campaigns.get_campaign(session, team.campaign_id)
    notify.send_inbox_message(
        session,
        account_id=account_id,
        kind=kind,
        params={
            "instance_id": team.id,
            "instance_kind": "groupbuy",
            "campaign": campaign.name,
            **params,
        },
        topic=topic,
    )
