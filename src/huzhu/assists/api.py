"""Routes of the assists domain: starting instances, the honest instance view, the assist
hot path, voiding and buying."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from sqlalchemy.orm import Session
from starlette.responses import Response

from huzhu.accounts.rules import Permission, Principal
from huzhu.assists import hotpath, service
from huzhu.assists.schemas import (
    MAX_ID,
    AssistGiven,
    AssistIdPath,
    AssistOut,
    CampaignIdPath,
    InstanceIdPath,
    InstanceView,
    PurchaseOut,
    VoidIn,
)
from huzhu.config import Settings
from huzhu.deps import SessionDep, SettingsDep, in_one_unit_of_work, require
from huzhu.pagination import Page, PageParams, page_params

router = APIRouter(tags=["assists"])
# The hot path has a router of its own, included first by the app so that matching it
# does not walk every other route; its endpoint takes the bare Request (no dependency
# solving) and documents its parameters by hand.
hot_router = APIRouter(tags=["assists"])
HOT_PATH = "/instances/{instance_id}/assists"  # the app also serves it as a bare route

_HOT_PARAMETERS = [
    {
        "name": "instance_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    },
    {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "a retry with the same key gets the first answer",
        "schema": {"type": "string", "maxLength": 200},
    },
    {
        "name": "share",
        "in": "query",
        "required": False,
        "description": "the token of the share link the helper came through (recorded on "
        "the assist; a bad link is refused like opening it)",
        "schema": {"type": "string", "maxLength": 600},
    },
    {
        "name": "share_open",
        "in": "query",
        "required": False,
        "description": "the `open_id` returned by opening that link",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    },
]


@hot_router.post(
    HOT_PATH,
    response_model=AssistGiven,
    status_code=status.HTTP_201_CREATED,
    responses={202: {"model": AssistGiven, "description": "held for a check, not counted yet"}},
    openapi_extra={
        "x-huzhu-permission": Permission.ASSIST_GIVE.value,
        "parameters": _HOT_PARAMETERS,
    },
)
async def give_assist(request: Request) -> Response:
    """Assist a friend's instance (participant token). 201 counted, 202 held for a check;
    409 `already_assisted`, `instance_full`, `instance_closed`; 403 `self_assist`,
    `blocked`, `assist_refused`, `account_restricted`; 429 `daily_assist_limit`. With
    `share`: 404 `link_tampered` / `link_unknown_key`, 410 `link_expired` /
    `link_revoked` / `link_retired_key`, 422 `link_mismatch`."""
    return await hotpath.give_assist(request)


Paging = Annotated[PageParams, Depends(page_params)]


@router.post(
    "/campaigns/{campaign_id}/instances",
    response_model=InstanceView,
    status_code=status.HTTP_201_CREATED,
    openapi_extra={"x-huzhu-permission": Permission.INSTANCE_START.value},
)
async def start_instance(campaign_id: CampaignIdPath, request: Request) -> InstanceView:
    """Start a bargain, unlock or lottery instance under the campaign's current rules.
    Refused with 409 `budget_exhausted` / `out_of_stock` when the campaign cannot cover
    its worst case, `instance_already_active` when you have one running."""
    settings: Settings = request.app.state.settings
    shop_id, account_id = await hotpath.participant_of(request, settings, Permission.INSTANCE_START)

    def _start(session: Session) -> InstanceView:
        instance = service.start_instance(
            session, settings, shop_id=shop_id, campaign_id=campaign_id, account_id=account_id
        )
        return service.describe(instance)

    # The whole unit of work in one call (on SQLite on its writer thread, queued in the
    # event loop): a crowd of starts never holds SQLite's write lock across thread hops.
    return await in_one_unit_of_work(request, _start)


@router.get("/instances/{instance_id}", response_model=InstanceView)
def read_instance(instance_id: InstanceIdPath, session: SessionDep) -> InstanceView:
    """Public: what a helper sees before assisting — progress, cents remaining, the most
    helpers still needed, how many assists are being checked or were removed. Counts
    only, never who helped."""
    return service.describe(service.get_instance(session, instance_id))


@router.get("/me/instances", response_model=Page[InstanceView])
def list_my_instances(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.INSTANCE_READ_OWN))],
    params: Paging,
) -> Page[InstanceView]:
    """Your own instances, newest first."""
    rows, cursor = service.list_my_instances(
        session, params, shop_id=principal.shop_id, account_id=principal.subject_id
    )
    return Page[InstanceView](items=[service.describe(r) for r in rows], next_cursor=cursor)


@router.get("/instances/{instance_id}/assists", response_model=Page[AssistOut])
def list_assists(
    instance_id: InstanceIdPath,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.INSTANCE_READ_ANY))],
    params: Paging,
) -> Page[AssistOut]:
    """An instance's assists for the shop's operators, newest first; helpers appear as
    pseudonymous account ids."""
    rows, cursor = service.list_assists(
        session, params, shop_id=principal.shop_id, instance_id=instance_id
    )
    return Page[AssistOut](items=[AssistOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.post("/assists/{assist_id}/void", response_model=AssistOut)
def void_assist(
    assist_id: AssistIdPath,
    body: VoidIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.ASSIST_VOID))],
) -> AssistOut:
    """Void an assist judged fake: it is kept, its slot freed, progress recomputed, and
    the initiator told how many assists were removed and why."""
    assist = service.void_assist(
        session, shop_id=principal.shop_id, assist_id=assist_id, reason=body.reason
    )
    return AssistOut.model_validate(assist)


@router.post(
    "/instances/{instance_id}/purchase",
    response_model=PurchaseOut,
    status_code=status.HTTP_201_CREATED,
)
def purchase(
    instance_id: InstanceIdPath,
    session: SessionDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(require(Permission.PURCHASE_MAKE))],
) -> PurchaseOut:
    """Buy a succeeded bargain at its floor price, within the purchase window."""
    bought = service.purchase_bargain(
        session,
        settings,
        shop_id=principal.shop_id,
        account_id=principal.subject_id,
        instance_id=instance_id,
    )
    return PurchaseOut.model_validate(bought)
