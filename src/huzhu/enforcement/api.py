"""Routes of the enforcement domain: actions, lifts, appeals and standing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from huzhu.accounts.deps import require
from huzhu.accounts.rules import Permission, Principal
from huzhu.deps import SessionDep, SettingsDep
from huzhu.enforcement import service
from huzhu.enforcement.rules import AppealStatus
from huzhu.enforcement.schemas import (
    ActionIn,
    ActionOut,
    AppealDecisionIn,
    AppealIn,
    AppealOut,
    Decision,
    LiftIn,
    MyEnforcement,
    OwnActionOut,
    Standing,
)
from huzhu.pagination import Page, PageParams, page_params

# Ids are positive 64-bit integers; saying so in the schema keeps out-of-range ids
# schema-invalid instead of "valid ids the server refuses".
IdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]

router = APIRouter(tags=["enforcement"])

Paging = Annotated[PageParams, Depends(page_params)]
Reviewer = Annotated[Principal, Depends(require(Permission.REVIEW_READ))]
Actor = Annotated[Principal, Depends(require(Permission.ENFORCEMENT_ACT))]
AppealJudge = Annotated[Principal, Depends(require(Permission.APPEAL_DECIDE))]
Appellant = Annotated[Principal, Depends(require(Permission.APPEAL_FILE))]
Self = Annotated[Principal, Depends(require(Permission.ENFORCEMENT_READ_OWN))]
AccountFilter = Annotated[int | None, Query(ge=1, description="only this account's")]


@router.post("/enforcement/actions", response_model=ActionOut, status_code=status.HTTP_201_CREATED)
def apply_action(
    body: ActionIn, session: SessionDep, settings: SettingsDep, principal: Actor
) -> ActionOut:
    """An analyst applies an action explicitly: `next` (one rung up) or a kind. 404
    `account_not_found`, `review_case_not_found`."""
    service.get_account_in_shop(session, shop_id=principal.shop_id, account_id=body.account_id)
    if body.case_id is not None:
        service.check_case(session, shop_id=principal.shop_id, case_id=body.case_id)
    action = service.enforce(
        session,
        account_id=body.account_id,
        rung_or_kind=body.kind.value,
        reason=body.reason,
        evidence=body.evidence,
        actor=service.actor_of(session, principal),
        case_id=body.case_id,
        settings=settings.enforcement,
    )
    return ActionOut.model_validate(action)


@router.get("/enforcement/actions", response_model=Page[ActionOut])
def list_actions(
    session: SessionDep,
    principal: Reviewer,
    params: Paging,
    account_id: AccountFilter = None,
    case_id: Annotated[int | None, Query(ge=1, description="only this case's")] = None,
) -> Page[ActionOut]:
    rows, cursor = service.list_actions(
        session, params, shop_id=principal.shop_id, account_id=account_id, case_id=case_id
    )
    return Page[ActionOut](items=[ActionOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/enforcement/actions/{action_id}", response_model=ActionOut)
def get_action(action_id: IdPath, session: SessionDep, principal: Reviewer) -> ActionOut:
    """404 `enforcement_action_not_found`."""
    return ActionOut.model_validate(
        service.get_action(session, shop_id=principal.shop_id, action_id=action_id)
    )


@router.post("/enforcement/actions/{action_id}/lift", response_model=ActionOut)
def lift_action(
    action_id: IdPath, body: LiftIn, session: SessionDep, principal: Actor
) -> ActionOut:
    """Undo an action: it stops binding and counting; the account's status is
    recomputed. 404 `enforcement_action_not_found`; 409 `action_already_lifted`."""
    action = service.lift(
        session,
        shop_id=principal.shop_id,
        action_id=action_id,
        actor=service.actor_of(session, principal),
        reason=body.reason,
    )
    return ActionOut.model_validate(action)


@router.get("/enforcement/accounts/{account_id}", response_model=Standing)
def account_standing(
    account_id: IdPath, session: SessionDep, settings: SettingsDep, principal: Reviewer
) -> Standing:
    """An account's rung, what binds it now and the reports against it; each read is in
    the audit log. 404 `account_not_found`."""
    data = service.read_standing(
        session, principal, account_id=account_id, settings=settings.enforcement
    )
    return Standing.model_validate(data, from_attributes=True)


@router.get("/me/enforcement", response_model=MyEnforcement)
def my_enforcement(session: SessionDep, settings: SettingsDep, principal: Self) -> MyEnforcement:
    """My standing, every action on my account (why, until when) and my appeals."""
    data = service.standing(
        session,
        shop_id=principal.shop_id,
        account_id=principal.subject_id,
        settings=settings.enforcement,
    )
    return MyEnforcement(
        standing=Standing.model_validate(data, from_attributes=True),
        actions=[
            OwnActionOut.model_validate(a)
            for a in service.actions_on(session, principal.subject_id)
        ],
        appeals=[
            AppealOut.model_validate(a)
            for a in service.appeals_by(
                session, shop_id=principal.shop_id, account_id=principal.subject_id
            )
        ],
    )


@router.post(
    "/enforcement/actions/{action_id}/appeal",
    response_model=AppealOut,
    status_code=status.HTTP_201_CREATED,
)
def appeal_action(
    action_id: IdPath, body: AppealIn, session: SessionDep, principal: Appellant
) -> AppealOut:
    """Appeal an action on my account, once. 404 `enforcement_action_not_found` (also
    for someone else's action); 409 `already_appealed`, `action_already_lifted`."""
    appeal = service.file_appeal(
        session,
        shop_id=principal.shop_id,
        account_id=principal.subject_id,
        action_id=action_id,
        text=body.text,
    )
    return AppealOut.model_validate(appeal)


@router.get("/appeals", response_model=Page[AppealOut])
def list_appeals(
    session: SessionDep,
    principal: Reviewer,
    params: Paging,
    status: Annotated[AppealStatus | None, Query(description="only this status")] = None,
    account_id: AccountFilter = None,
) -> Page[AppealOut]:
    rows, cursor = service.list_appeals(
        session,
        params,
        shop_id=principal.shop_id,
        status=status.value if status else None,
        account_id=account_id,
    )
    return Page[AppealOut](items=[AppealOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/appeals/{appeal_id}", response_model=AppealOut)
def get_appeal(appeal_id: IdPath, session: SessionDep, principal: Reviewer) -> AppealOut:
    """404 `appeal_not_found`."""
    return AppealOut.model_validate(
        service.get_appeal(session, shop_id=principal.shop_id, appeal_id=appeal_id)
    )


@router.post("/appeals/{appeal_id}/decide", response_model=AppealOut)
def decide_appeal(
    appeal_id: IdPath, body: AppealDecisionIn, session: SessionDep, principal: AppealJudge
) -> AppealOut:
    """Uphold the action or lift it (undoing its effects). 404 `appeal_not_found`; 409
    `appeal_already_decided`."""
    appeal = service.decide_appeal(
        session,
        shop_id=principal.shop_id,
        appeal_id=appeal_id,
        lift_action=body.decision is Decision.LIFT,
        reason=body.reason,
        actor=service.actor_of(session, principal),
    )
    return AppealOut.model_validate(appeal)
