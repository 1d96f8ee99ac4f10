"""The campaign lifecycle: draft → scheduled → live ⇄ paused → ended.

Every move is one conditional UPDATE on the status (repository.transition), so two
operators — or an operator and the activate job — racing on one campaign cannot both
win, and each move records its event in the same unit of work. Launching a lottery
publishes the commitment of its secret seed and reserves its whole prize pool.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from huzhu.campaigns import pricing, service
from huzhu.campaigns import repository as repo
from huzhu.campaigns.errors import BudgetExhausted, InvalidTransition, NotNow
from huzhu.campaigns.models import Campaign, CampaignVersion, LotterySecret
from huzhu.campaigns.rules import budget as budget_rules
from huzhu.campaigns.rules.lifecycle import VERSIONED_STATUSES, CampaignStatus
from huzhu.campaigns.rules.lottery import commitment_for
from huzhu.campaigns.schemas import CampaignOut
from huzhu.errors import InvalidInput
from huzhu.kit import clock, ids


def _move(
    session: Session,
    campaign: Campaign,
    *,
    from_statuses: tuple[CampaignStatus, ...],
    to_status: CampaignStatus,
    now: datetime,
    **values: Any,
) -> None:
    if not repo.transition(
        session,
        campaign_id=campaign.id,
        from_statuses=from_statuses,
        to_status=to_status,
        now=now,
        **values,
    ):
        session.refresh(campaign)
        raise InvalidTransition(
            f"a {campaign.status} campaign cannot become {to_status}",
            campaign_status=campaign.status,
            allowed_from=list(from_statuses),
        )
    session.refresh(campaign)


def _ensure_commitment(session: Session, campaign: Campaign) -> CampaignVersion:
    """Draw the lottery's secret seed once and publish its commitment in the rules.

    Done before the lottery can be entered (at schedule or launch), so the commitment
    is public before any entry exists: the operator cannot pick a seed after seeing who
    entered. Writing it into the current version is no edit of anyone's terms — nobody
    could take part before this moment — and every later version carries it along."""
    version = service.current_version(session, campaign.id)
    secret = repo.lottery_secret(session, campaign.id)
    if secret is None:
        seed_hex = ids.random_seed_hex()
        secret = LotterySecret(
            campaign_id=campaign.id,
            seed_hex=seed_hex,
            commitment_hex=commitment_for(seed_hex),
            created_at=clock.utcnow(),
        )
        session.add(secret)
        session.flush()
    if version.rules.get("commitment_hex") != secret.commitment_hex:
        version.rules = {**version.rules, "commitment_hex": secret.commitment_hex}
        session.flush()
    return version


def _check_launchable(campaign: Campaign, version: CampaignVersion, *, now: datetime) -> None:
    if campaign.ends_at is not None and clock.as_utc(campaign.ends_at) <= now:
        raise NotNow("the campaign's ends_at has passed", field="ends_at")
    if campaign.starts_at is not None and clock.as_utc(campaign.starts_at) > now:
        raise NotNow("starts_at is in the future: schedule the campaign instead", field="starts_at")
    draw_at = version.rules.get("draw_at")
    if draw_at is not None and clock.as_utc(datetime.fromisoformat(str(draw_at))) <= now:
        raise NotNow("the draw time has passed", field="draw_at")


def _go_live(
    session: Session,
    campaign: Campaign,
    *,
    from_statuses: tuple[CampaignStatus, ...],
    actor: str,
) -> None:
    now = clock.utcnow()
    if campaign.status not in from_statuses:
        raise InvalidTransition(
            f"a {campaign.status} campaign cannot be launched", campaign_status=campaign.status
        )
    version = service.current_version(session, campaign.id)
    _check_launchable(campaign, version, now=now)
    # The reference price holds over the window before this very launch (for a scheduled
    # campaign, the activate job's: a claim the history no longer backs stays scheduled).
    pricing.check_reference_price(
        session,
        shop_id=campaign.shop_id,
        campaign_id=campaign.id,
        rules=version.rules,
        until=campaign.launched_at or now,
    )
    if campaign.kind == "lottery":
        version = _ensure_commitment(session, campaign)
    _move(
        session,
        campaign,
        from_statuses=from_statuses,
        to_status=CampaignStatus.LIVE,
        now=now,
        launched_at=campaign.launched_at or now,
    )
    cents, units = budget_rules.launch_reservation(version.rules)
    if (cents or units) and not service.reserve(
        session, campaign_id=campaign.id, cents=cents, units=units
    ):
        # The unit of work rolls back: the campaign stays as it was.
        raise BudgetExhausted(
            "the budget or stock cannot cover the whole prize pool",
            needed_cents=cents,
            needed_units=units,
        )
    service.schedule_jobs(session, campaign)
    pricing.record_price(session, campaign, rules=version.rules)
    service.record_campaign_event(
        session,
        campaign,
        "campaign.launched",
        actor=actor,
        version=version.version,
        version_id=version.id,
        commitment_hex=version.rules.get("commitment_hex"),
        reserved_cents=cents,
        reserved_units=units,
    )


def launch(
    session: Session, *, shop_id: int, campaign_id: int, actor: str = service.SYSTEM_ACTOR
) -> CampaignOut:
    """Go live now (from draft or scheduled). A lottery publishes its seed's commitment
    and reserves its whole prize pool, or the launch is refused (BudgetExhausted)."""
    campaign = service.campaign_in_shop(
        session, shop_id=shop_id, campaign_id=campaign_id, lock=True
    )
    _go_live(
        session,
        campaign,
        from_statuses=(CampaignStatus.DRAFT, CampaignStatus.SCHEDULED),
        actor=actor,
    )
    return service.describe(campaign, service.current_version(session, campaign.id))


def schedule(
    session: Session,
    *,
    shop_id: int,
    campaign_id: int,
    starts_at: datetime | None,
    actor: str = service.SYSTEM_ACTOR,
) -> CampaignOut:
    """Go live automatically at starts_at (a `campaign.activate` job)."""
    campaign = service.campaign_in_shop(
        session, shop_id=shop_id, campaign_id=campaign_id, lock=True
    )
    now = clock.utcnow()
    start = service.utc(starts_at) or service.utc(campaign.starts_at)
    if start is None or start <= now:
        raise InvalidInput("starts_at must be in the future to schedule", field="starts_at")
    ends_at = service.utc(campaign.ends_at)
    if ends_at is not None and ends_at <= start:
        raise InvalidInput("starts_at must be before ends_at", field="starts_at")
    version = service.current_version(session, campaign.id)
    draw_at = version.rules.get("draw_at")
    if draw_at is not None and clock.as_utc(datetime.fromisoformat(str(draw_at))) <= start:
        raise InvalidInput("the draw must come after the campaign starts", field="starts_at")
    # Checked again when it goes live; refused now, the operator hears it at once.
    pricing.check_reference_price(
        session, shop_id=campaign.shop_id, campaign_id=campaign.id, rules=version.rules, until=now
    )
    if campaign.kind == "lottery":
        _ensure_commitment(session, campaign)
    _move(
        session,
        campaign,
        from_statuses=(CampaignStatus.DRAFT, CampaignStatus.SCHEDULED),
        to_status=CampaignStatus.SCHEDULED,
        now=now,
        starts_at=start,
    )
    service.schedule_jobs(session, campaign)
    service.record_campaign_event(
        session, campaign, "campaign.scheduled", actor=actor, starts_at=start.isoformat()
    )
    return service.describe(campaign, service.current_version(session, campaign.id))


def pause(
    session: Session, *, shop_id: int, campaign_id: int, actor: str = service.SYSTEM_ACTOR
) -> CampaignOut:
    """Stop new instances and reservations; running instances keep their terms."""
    return _simple_move(
        session,
        shop_id=shop_id,
        campaign_id=campaign_id,
        from_statuses=(CampaignStatus.LIVE,),
        to_status=CampaignStatus.PAUSED,
        event="campaign.paused",
        actor=actor,
    )


def resume(
    session: Session, *, shop_id: int, campaign_id: int, actor: str = service.SYSTEM_ACTOR
) -> CampaignOut:
    campaign = service.campaign_in_shop(session, shop_id=shop_id, campaign_id=campaign_id)
    if campaign.ends_at is not None and clock.as_utc(campaign.ends_at) <= clock.utcnow():
        raise NotNow("the campaign's ends_at has passed", field="ends_at")
    return _simple_move(
        session,
        shop_id=shop_id,
        campaign_id=campaign_id,
        from_statuses=(CampaignStatus.PAUSED,),
        to_status=CampaignStatus.LIVE,
        event="campaign.resumed",
        actor=actor,
    )


def end(
    session: Session, *, shop_id: int, campaign_id: int, actor: str = service.SYSTEM_ACTOR
) -> CampaignOut:
    """End for good: no new instances. Running instances finish under their terms and
    release or consume their own reservations; a launched lottery is still drawn."""
    return _simple_move(
        session,
        shop_id=shop_id,
        campaign_id=campaign_id,
        from_statuses=(CampaignStatus.DRAFT, *VERSIONED_STATUSES),
        to_status=CampaignStatus.ENDED,
        event="campaign.ended",
        actor=actor,
    )


def _simple_move(
    session: Session,
    *,
    shop_id: int,
    campaign_id: int,
    from_statuses: tuple[CampaignStatus, ...],
    to_status: CampaignStatus,
    event: str,
    actor: str,
) -> CampaignOut:
    campaign = service.campaign_in_shop(session, shop_id=shop_id, campaign_id=campaign_id)
    _move(session, campaign, from_statuses=from_statuses, to_status=to_status, now=clock.utcnow())
    service.record_campaign_event(session, campaign, event, actor=actor, status=to_status)
    return service.describe(campaign, service.current_version(session, campaign.id))


def activate_if_due(session: Session, campaign_id: int) -> None:
    """campaign.activate: a scheduled campaign whose starts_at has come goes live. A
    stale job (rescheduled later, already launched, ended) does nothing."""
    campaign = repo.campaign_for_update(session, campaign_id)
    if (
        campaign is None
        or campaign.status != CampaignStatus.SCHEDULED
        or campaign.starts_at is None
    ):
        return
    if clock.as_utc(campaign.starts_at) > clock.utcnow():
        return
    _go_live(
        session,
        campaign,
        from_statuses=(CampaignStatus.SCHEDULED,),
        actor=service.SYSTEM_ACTOR,
    )


def end_if_due(session: Session, campaign_id: int) -> None:
    """campaign.end: a campaign whose ends_at has come ends; a stale job does nothing."""
    campaign = repo.campaign_for_update(session, campaign_id)
    if campaign is None or campaign.status not in VERSIONED_STATUSES:
        return
    if campaign.ends_at is None or clock.as_utc(campaign.ends_at) > clock.utcnow():
        return
    _move(
        session,
        campaign,
        from_statuses=VERSIONED_STATUSES,
        to_status=CampaignStatus.ENDED,
        now=clock.utcnow(),
    )
    service.record_campaign_event(
        session,
        campaign,
        "campaign.ended",
        actor=service.SYSTEM_ACTOR,
        status=CampaignStatus.ENDED,
        reason="ends_at",
    )
