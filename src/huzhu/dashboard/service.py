"""The dashboard's figures, read once for the console page and its polled JSON."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from huzhu.assists import service as assists
from huzhu.assists.growth import service as growth
from huzhu.campaigns import service as campaigns
from huzhu.dashboard import rules
from huzhu.dashboard.schemas import LiveFigures, Series
from huzhu.invites import service as invites
from huzhu.kit import clock
from huzhu.pagination import PageParams

# The instances the dashboard lists under its figures.
LATEST = 50


def live_figures(
    session: Session, *, shop_id: int, campaign_id: int, zone: ZoneInfo, latest: int = LATEST
) -> LiveFigures:
    """Times for people are written in `zone`, the shop's. The newest `latest` instances
    come with the counts, in the same transaction, so a row never lags its count. Raises
    CampaignNotFound for a campaign of another shop."""
    campaign = campaigns.describe_campaign(session, shop_id=shop_id, campaign_id=campaign_id)
    activity = assists.campaign_activity(session, shop_id=shop_id, campaign_id=campaign_id)
    newest, _more = assists.list_campaign_instances(
        session, PageParams(limit=latest), shop_id=shop_id, campaign_id=campaign_id
    )
    now = clock.utcnow()
    since = clock.as_utc(campaign.launched_at or campaign.created_at)
    edges = rules.edges(since=since, now=now)
    grown = growth.growth_upto(session, campaign_id=campaign_id, edges=edges)
    said = invites.complaints_upto(
        session, instance_ids=assists.instance_ids_of(campaign_id), edges=edges
    )
    given = [c + h + v for c, h, v in zip(grown.counted, grown.held, grown.voided, strict=True)]
    complaints = [m + b + r for m, b, r in zip(said.mutes, said.blocks, said.reports, strict=True)]
    series = Series(
        at=edges,
        at_text=[rules.label(e, zone) for e in edges],
        counted=grown.counted,
        members=grown.members,
        held_share=rules.shares(grown.held, given),
        voided_share=rules.shares(grown.voided, given),
        complaints_per_1000=rules.rates_per_thousand(complaints, said.delivered),
        k_factor=rules.shares(grown.newcomers_net, grown.starters),
        k_factor_gross=rules.shares(grown.newcomers_gross, grown.starters),
    )
    return LiveFigures(
        kind=campaign.kind,
        status=campaign.status,
        as_of=now,
        as_of_text=rules.stamp(now, zone),
        instances=sum(activity.instances.values()),
        instances_by_status=activity.instances,
        counted=grown.counted[-1],
        held=grown.held[-1],
        voided=grown.voided[-1],
        members=grown.members[-1],
        held_share=series.held_share[-1],
        voided_share=series.voided_share[-1],
        invites_delivered=said.delivered[-1],
        complaints=complaints[-1],
        mutes=said.mutes[-1],
        blocks=said.blocks[-1],
        reports=said.reports[-1],
        complaints_per_1000=series.complaints_per_1000[-1],
        starters=grown.starters[-1],
        newcomers=grown.newcomers_net[-1],
        newcomers_gross=grown.newcomers_gross[-1],
        k_factor=series.k_factor[-1],
        k_factor_gross=series.k_factor_gross[-1],
        budget_cents=campaign.budget_cents,
        budget_used_cents=campaign.budget_reserved_cents + campaign.budget_spent_cents,
        budget_reserved_cents=campaign.budget_reserved_cents,
        budget_spent_cents=campaign.budget_spent_cents,
        inventory_total=campaign.inventory_total,
        inventory_used=campaign.inventory_reserved + campaign.inventory_used,
        inventory_reserved=campaign.inventory_reserved,
        inventory_consumed=campaign.inventory_used,
        series=series,
        latest=[assists.describe(i) for i in newest],
    )
