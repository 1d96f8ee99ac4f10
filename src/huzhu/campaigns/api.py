"""Routes of the campaigns domain: operators define and run their shop's campaigns;
anyone may read a campaign's honest public disclosures."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, status

from huzhu.accounts.deps import require
from huzhu.accounts.rules import Permission, Principal
from huzhu.campaigns import flows, service
from huzhu.campaigns.schemas import (
    CampaignCreate,
    CampaignOut,
    CampaignUpdate,
    Kind,
    PublicCampaignView,
    ScheduleRequest,
    Status,
    VersionOut,
)
from huzhu.deps import SessionDep, SettingsDep
from huzhu.pagination import Page, PageParams, page_params

router = APIRouter(tags=["campaigns"])

Reader = Annotated[Principal, Depends(require(Permission.CAMPAIGN_READ))]
Writer = Annotated[Principal, Depends(require(Permission.CAMPAIGN_WRITE))]


@router.post("/campaigns", response_model=CampaignOut, status_code=status.HTTP_201_CREATED)
def create_campaign(
    body: Annotated[CampaignCreate, Body()],
    session: SessionDep,
    settings: SettingsDep,
    who: Writer,
) -> CampaignOut:
    """A draft campaign of one kind. Deceptive or impossible configs are refused (422,
    `errors` names each field): an unreachable bargain, a fake countdown, robot members,
    a reward for sharing, assist mechanics on WeChat web links, an unfunded campaign."""
    return service.create_campaign(
        session, settings, shop_id=who.shop_id, body=body, actor=service.actor_of(session, who)
    )


@router.get("/campaigns", response_model=Page[CampaignOut])
def list_campaigns(
    session: SessionDep,
    who: Reader,
    params: Annotated[PageParams, Depends(page_params)],
    status: Annotated[Status | None, Query()] = None,
    kind: Annotated[Kind | None, Query()] = None,
) -> Page[CampaignOut]:
    return service.list_campaigns(session, params, shop_id=who.shop_id, status=status, kind=kind)


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut)
def get_campaign(campaign_id: int, session: SessionDep, who: Reader) -> CampaignOut:
    return service.describe_campaign(session, shop_id=who.shop_id, campaign_id=campaign_id)


@router.patch("/campaigns/{campaign_id}", response_model=CampaignOut)
def update_campaign(
    campaign_id: int,
    body: CampaignUpdate,
    session: SessionDep,
    settings: SettingsDep,
    who: Writer,
) -> CampaignOut:
    """Edit a draft in place; a scheduled, live or paused campaign's rule change makes a
    new version that applies only to instances started after it."""
    return service.update_campaign(
        session,
        settings,
        shop_id=who.shop_id,
        campaign_id=campaign_id,
        patch=body,
        actor=service.actor_of(session, who),
    )


@router.get("/campaigns/{campaign_id}/versions", response_model=list[VersionOut])
def list_versions(campaign_id: int, session: SessionDep, who: Reader) -> list[VersionOut]:
    return service.list_versions(session, shop_id=who.shop_id, campaign_id=campaign_id)


@router.post("/campaigns/{campaign_id}/launch", response_model=CampaignOut)
def launch(campaign_id: int, session: SessionDep, who: Writer) -> CampaignOut:
    """Go live now. A lottery publishes its seed's commitment and reserves its prizes."""
    return flows.launch(
        session, shop_id=who.shop_id, campaign_id=campaign_id, actor=service.actor_of(session, who)
    )


@router.post("/campaigns/{campaign_id}/schedule", response_model=CampaignOut)
def schedule(
    campaign_id: int,
    session: SessionDep,
    who: Writer,
    body: Annotated[ScheduleRequest | None, Body()] = None,
) -> CampaignOut:
    """Go live automatically at starts_at (the body's, or the campaign's)."""
    starts_at = body.starts_at if body is not None else None
    return flows.schedule(
        session,
        shop_id=who.shop_id,
        campaign_id=campaign_id,
        starts_at=starts_at,
        actor=service.actor_of(session, who),
    )


@router.post("/campaigns/{campaign_id}/pause", response_model=CampaignOut)
def pause(campaign_id: int, session: SessionDep, who: Writer) -> CampaignOut:
    return flows.pause(
        session, shop_id=who.shop_id, campaign_id=campaign_id, actor=service.actor_of(session, who)
    )


@router.post("/campaigns/{campaign_id}/resume", response_model=CampaignOut)
def resume(campaign_id: int, session: SessionDep, who: Writer) -> CampaignOut:
    return flows.resume(
        session, shop_id=who.shop_id, campaign_id=campaign_id, actor=service.actor_of(session, who)
    )


@router.post("/campaigns/{campaign_id}/end", response_model=CampaignOut)
def end(campaign_id: int, session: SessionDep, who: Writer) -> CampaignOut:
    return flows.end(
        session, shop_id=who.shop_id, campaign_id=campaign_id, actor=service.actor_of(session, who)
    )


@router.get("/campaigns/{campaign_id}/public", response_model=PublicCampaignView)
def public_view(campaign_id: int, session: SessionDep) -> PublicCampaignView:
    """Public on purpose: the rules a participant or helper needs before taking part,
    and what stock is left — never a secret (the lottery seed stays sealed)."""
    return service.public_view(session, campaign_id)
