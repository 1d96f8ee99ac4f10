"""Use cases of a participant's own money view: spending since a time, caps with their
use, changing caps, and the confirmation quote. Invariants in the package's docstring
(`huzhu.assists.spending`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from huzhu.assists import service as assists
from huzhu.assists.errors import InstanceNotFound, NotInitiator, PurchaseNotOpen
from huzhu.assists.groupbuy import service as groupbuy
from huzhu.assists.lottery import service as lottery
from huzhu.assists.rules import InstanceStatus, PurchaseStatus
from huzhu.assists.schemas import SpendingLine, SpendingSummary
from huzhu.assists.spending import repository as repo
from huzhu.assists.spending.schemas import (
    ActivitySummary,
    CapUse,
    CoolingOffOut,
    GuardrailsOut,
    QuoteOut,
    SummaryLength,
)
from huzhu.campaigns import service as campaigns
from huzhu.campaigns.rules import groupbuy as group_rules
from huzhu.config import Settings
from huzhu.guardrails import rules as guard_rules
from huzhu.guardrails import service as guardrails
from huzhu.guardrails.errors import CapReached, CoolingOff
from huzhu.guardrails.rules import Cap, Step, StepKind, Usage
from huzhu.guardrails.schemas import CapChangeOut
from huzhu.kit import clock
from huzhu.payments import service as payments


def periods_now(settings: Settings) -> guard_rules.Periods:
    """Today, this week and this month in the shop's calendar."""
    return guardrails.periods(settings, clock.utcnow())


def spending_of(
    session: Session, settings: Settings, *, shop_id: int, account_id: int, since: datetime
) -> SpendingSummary:
    """What the participant bought through campaigns since `since`: charged, on hold
    (a team's authorized order), refunded, rewards received, and the lottery prizes won
    in draws held since (things of a value, not money: counted apart)."""
    rows = repo.purchases_of_account_since(
        session, shop_id=shop_id, account_id=account_id, since=since
    )
    spent = sum(p.amount_cents for p in rows if p.status == PurchaseStatus.CAPTURED)
    held = sum(p.amount_cents for p in rows if p.status == PurchaseStatus.AUTHORIZED)
    refunded = sum(p.amount_cents for p in rows if p.status == PurchaseStatus.REFUNDED)
    received = sum(
        p.amount_cents for p in rows if p.kind == "reward" and p.status == PurchaseStatus.PAID
    )
    prizes = lottery.prizes_won(
        session, settings, shop_id=shop_id, account_id=account_id, since=since
    )
    return SpendingSummary(
        since=since,
        spent_cents=spent,
        on_hold_cents=held,
        refunded_cents=refunded,
        received_cents=received,
        prizes_won_cents=sum(p.value_cents for p in prizes),
        lines=[SpendingLine.model_validate(p) for p in rows],
        prizes=prizes,
    )


# -- caps with their use ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Standing:
    usage: Usage
    states: dict[Cap, guardrails.CapState]
    span: guard_rules.Periods
    now: datetime


def _standing(session: Session, settings: Settings, *, shop_id: int, account_id: int) -> _Standing:
    now = clock.utcnow()
    span = guardrails.periods(settings, now)
    usage = assists.usage_of(session, shop_id=shop_id, account_id=account_id, span=span, now=now)
    states = guardrails.caps_of(session, settings, shop_id=shop_id, account_id=account_id, now=now)
    return _Standing(usage=usage, states=states, span=span, now=now)


def _cap_uses(standing: _Standing) -> list[CapUse]:
    uses = []
    for cap, state in standing.states.items():
        used = standing.usage.of(cap)
        uses.append(
            CapUse(
                cap=cap,
                limit=state.limit,
                used=used,
                remaining=max(0, state.limit - used),
                resets_at=standing.span.resets_at(cap),
                default=state.default,
                ceiling=state.ceiling,
                chosen=state.chosen,
                waiting_value=state.waiting_value,
                waiting_from=state.waiting_from,
            )
        )
    return uses


def _cooling_until(settings: Settings, standing: _Standing) -> datetime | None:
    return guard_rules.cooling_off_until(
        standing.usage.recent_money_steps,
        now=standing.now,
        steps=settings.guardrails.cooling_off_steps,
        wait=timedelta(minutes=settings.guardrails.cooling_off_minutes),
    )


def guardrails_of(
    session: Session, settings: Settings, *, shop_id: int, account_id: int
) -> GuardrailsOut:
    """The person's caps in force, what is used of each and when it resets, a raise
    still waiting, and whether the next money step must wait."""
    standing = _standing(session, settings, shop_id=shop_id, account_id=account_id)
    return GuardrailsOut(
        caps=_cap_uses(standing),
        cooling_off=CoolingOffOut(
            steps=settings.guardrails.cooling_off_steps,
            minutes=settings.guardrails.cooling_off_minutes,
            steps_in_last_hour=len(standing.usage.recent_money_steps),
            until=_cooling_until(settings, standing),
        ),
        raise_wait_seconds=settings.guardrails.raise_wait_seconds,
        confirm_above_cents=settings.guardrails.confirm_above_cents,
    )


def set_guardrails(
    session: Session,
    settings: Settings,
    *,
    shop_id: int,
    account_id: int,
    requested: dict[Cap, int],
) -> GuardrailsOut:
    guardrails.set_caps(
        session, settings, shop_id=shop_id, account_id=account_id, requested=requested
    )
    return guardrails_of(session, settings, shop_id=shop_id, account_id=account_id)


def cap_history(session: Session, *, shop_id: int, account_id: int) -> list[CapChangeOut]:
    return guardrails.cap_history(session, shop_id=shop_id, account_id=account_id)


# -- the confirmation before a money step -------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Target:
    campaign_id: int
    amount_cents: int
    regular_price_cents: int | None


def _target(
    session: Session,
    settings: Settings,
    *,
    shop_id: int,
    account_id: int,
    action: StepKind,
    target_id: int,
) -> _Target:
    """The price the step would commit now, read as the step itself reads it; a step
    the person cannot take at all (their own team, a bargain not theirs) is refused here
    as the step would refuse it, before any confirmation is shown."""
    if action == StepKind.OPEN_TEAM:
        campaign = campaigns.campaign_in_shop(session, shop_id=shop_id, campaign_id=target_id)
        if campaign.kind != "groupbuy":
            raise groupbuy.NotAGroupBuy(f"campaign {target_id} is a {campaign.kind}")
        terms = group_rules.terms_from_rules(
            campaigns.current_version(session, campaign.id).rules,
            default_ttl_seconds=settings.campaigns.default_instance_ttl_seconds,
        )
        return _Target(campaign.id, terms.group_price_cents, terms.price_cents)
    if action == StepKind.JOIN_TEAM:
        view = groupbuy.joinable(
            session, settings, shop_id=shop_id, team_id=target_id, account_id=account_id
        )
        return _Target(view.campaign_id, view.group_price_cents, view.price_cents)
    instance = assists.get_instance(session, target_id, shop_id=shop_id)
    if instance.kind != "bargain":
        raise InstanceNotFound(f"instance {target_id} is not a bargain")
    if instance.initiator_id != account_id:
        raise NotInitiator("only the participant who started this bargain may buy it")
    if instance.status != InstanceStatus.SUCCEEDED:
        raise PurchaseNotOpen(f"the instance is {instance.status}", instance_status=instance.status)
    frozen = campaigns.get_version(session, instance.campaign_version_id).rules
    return _Target(instance.campaign_id, int(frozen["floor_cents"]), int(frozen["price_cents"]))


def quote(
    session: Session,
    settings: Settings,
    *,
    shop_id: int,
    account_id: int,
    action: StepKind,
    target_id: int,
) -> QuoteOut:
    """The one confirmation before a money step: the price now, what the person
    committed today, this week and this month, their activities in progress and money on
    hold, their caps, and a token for exactly this step — or why it would be refused."""
    target = _target(
        session,
        settings,
        shop_id=shop_id,
        account_id=account_id,
        action=action,
        target_id=target_id,
    )
    step = Step(action, amount_cents=target.amount_cents)
    standing = _standing(session, settings, shop_id=shop_id, account_id=account_id)
    refused: str | None = None
    refused_cap: Cap | None = None
    try:
        guardrails.admit(
            session,
            settings,
            shop_id=shop_id,
            account_id=account_id,
            step=step,
            usage=standing.usage,
            now=standing.now,
        )
    except CoolingOff:
        refused = "cooling_off"
    except CapReached as exc:
        refused, refused_cap = "cap_reached", Cap(exc.extra["cap"])
    token, expires = (None, None)
    if refused is None and guardrails.needs_confirmation(settings, step):
        token, expires = guardrails.issue_confirmation(
            settings,
            shop_id=shop_id,
            account_id=account_id,
            step=step,
            target_id=target_id,
            now=standing.now,
        )
    return QuoteOut(
        action=action,
        target_id=target_id,
        campaign_id=target.campaign_id,
        amount_cents=target.amount_cents,
        regular_price_cents=target.regular_price_cents,
        committed_today_cents=standing.usage.spent_today_cents,
        committed_week_cents=assists.committed_since(
            session, shop_id=shop_id, account_id=account_id, since=standing.span.week_start
        ),
        committed_month_cents=standing.usage.spent_month_cents,
        on_hold_cents=assists.on_hold_cents(session, shop_id=shop_id, account_id=account_id),
        in_progress=assists.in_progress(session, shop_id=shop_id, account_id=account_id),
        caps=_cap_uses(standing),
        cooling_off_until=_cooling_until(settings, standing),
        refused=refused,
        refused_cap=refused_cap,
        token=token,
        expires_at=expires,
    )


# -- the activity summary -----------------------------------------------------------------


def summary_of(
    session: Session, *, shop_id: int, account_id: int, since: datetime, until: datetime
) -> ActivitySummary:
    """What the person did and what moved in [since, until), from the ledger."""
    who = {"shop_id": shop_id, "account_id": account_id}
    given, received = repo.assists_between(session, **who, since=since, until=until)
    money = payments.movements_of(session, account_id=account_id, since=since, until=until)
    return ActivitySummary(
        since=since,
        until=until,
        started=repo.started_between(session, **who, since=since, until=until),
        assists_given=given,
        assists_received=received,
        charged_cents=money.charged_cents,
        refunded_cents=money.refunded_cents,
        received_cents=money.paid_out_cents,
        expired=repo.expired_between(session, **who, since=since, until=until),
    )


def summary_period(
    settings: Settings, *, length: SummaryLength, previous: bool, now: datetime
) -> tuple[datetime, datetime]:
    """The shop calendar's current day or week up to `now`, or the whole one before."""
    span = guardrails.periods(settings, now)
    start = span.day_start if length == "day" else span.week_start
    if not previous:
        return start, now
    before = guardrails.periods(settings, start - timedelta(microseconds=1))
    return (before.day_start if length == "day" else before.week_start), start
