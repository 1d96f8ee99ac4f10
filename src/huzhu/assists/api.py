"""Routes of the assists domain: starting instances, the honest instance view, voiding
and buying (the assist itself: hotpath/api.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from sqlalchemy.orm import Session

from huzhu.accounts.deps import require, require_without_session
from huzhu.accounts.rules import Permission, Principal
from huzhu.assists import service
from huzhu.assists.hotpath.service import participant_of
from huzhu.assists.purchases import service as purchases
from huzhu.assists.schemas import (
    AssistIdPath,
    AssistOut,
    CampaignIdPath,
    CutRecord,
    InstanceDetail,
    InstanceIdPath,
    InstanceView,
    PurchaseOut,
    VoidIn,
)
from huzhu.assists.voiding import service as voiding
from huzhu.config import Settings
from huzhu.deps import SessionDep, SettingsDep, in_one_unit_of_work
from huzhu.guardrails.deps import Confirmation
from huzhu.pagination import Page, PageParams, page_params

router = APIRouter(tags=["assists"])


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
    shop_id, account_id = await participant_of(request, settings, Permission.INSTANCE_START)

    def _start(session: Session) -> InstanceView:
        instance = service.start_instance(
            session, settings, shop_id=shop_id, campaign_id=campaign_id, account_id=account_id
        )
        return service.describe(instance)

    # The whole unit of work in one call (on SQLite on its writer thread, queued in the
    # event loop): a crowd of starts never holds SQLite's write lock across thread hops.
    return await in_one_unit_of_work(request, _start)


@router.get("/instances/{instance_id}", response_model=InstanceDetail)
def read_instance(instance_id: InstanceIdPath, session: SessionDep) -> InstanceDetail:
    """Public: what a helper sees before assisting — progress, cents remaining, the most
    helpers still needed, how many assists are being checked or were removed, and the
    campaign version (with its description) the instance started under. Counts only,
    never who helped."""
    return service.instance_detail(session, instance_id)


@router.get("/instances/{instance_id}/cuts", response_model=CutRecord)
def read_cut_record(instance_id: InstanceIdPath, session: SessionDep) -> CutRecord:
    """Public: a bargain's cut record — the commitment to its seed (SHA-256) from the
    start, the seed and every cut once it no longer runs, so anyone can re-derive each
    cut (`huzhu verify-cuts`). 404 `instance_not_found` for another kind."""
    return service.cut_record(session, instance_id)


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
    pseudonymous account ids. Each read is in the audit log."""
    rows, cursor = service.read_assists(
        session, params, principal=principal, instance_id=instance_id
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
    the initiator told how many assists were removed and why; audited."""
    assist = voiding.void_assist(
        session,
        shop_id=principal.shop_id,
        assist_id=assist_id,
        reason=body.reason,
        actor=service.actor_of(session, principal),
    )
    return AssistOut.model_validate(assist)


@router.post(
    "/instances/{instance_id}/purchase",
    response_model=PurchaseOut,
    status_code=status.HTTP_201_CREATED,
)
async def purchase(
    instance_id: InstanceIdPath,
    request: Request,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(require_without_session(Permission.PURCHASE_MAKE))],
    confirmation: Confirmation = None,
) -> PurchaseOut:
    """Buy a succeeded bargain at its floor price, within the purchase window. Needs the
    confirmation of `buy_bargain` for this instance when the floor is above zero."""

    def _buy(session: Session) -> PurchaseOut:
        bought = purchases.purchase_bargain(
            session,
            settings,
            shop_id=principal.shop_id,
            account_id=principal.subject_id,
            instance_id=instance_id,
            confirmation=confirmation,
        )
        return PurchaseOut.model_validate(bought)

    # One thread call up to the commit, as for starts (the guardrails lock is held).
    return await in_one_unit_of_work(request, _buy)
