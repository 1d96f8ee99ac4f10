"""Routes of the accounts domain: sign-in, operators, integrator tokens, participants."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from huzhu.accounts import service
from huzhu.accounts.deps import require
from huzhu.accounts.rules import Permission, Principal, Role
from huzhu.accounts.schemas import (
    DisplayNameIn,
    DisplayNameOut,
    IntegratorTokenCreated,
    IntegratorTokenIn,
    IntegratorTokenOut,
    LoginIn,
    MeOut,
    OperatorIn,
    OperatorOut,
    ParticipantLoginIn,
    ParticipantTokenOut,
    TokenOut,
)
from huzhu.deps import SessionDep, SettingsDep
from huzhu.errors import Forbidden, problem_doc

router = APIRouter(tags=["accounts"])


@router.post("/auth/login", response_model=TokenOut)
def login(body: LoginIn, session: SessionDep, settings: SettingsDep) -> TokenOut:
    secret, token = service.login(session, settings, email=body.email, password=body.password)
    return TokenOut(token=secret, expires_at=token.expires_at, role=Role(token.role))


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(
    session: SessionDep, principal: Annotated[Principal, Depends(require(Permission.SHOP_READ))]
) -> None:
    service.logout(session, principal)


@router.post("/auth/participant", response_model=ParticipantTokenOut)
def participant_login(
    body: ParticipantLoginIn, session: SessionDep, settings: SettingsDep
) -> ParticipantTokenOut:
    """Local identity provider (demo and tests). Off unless HUZHU_ACCOUNTS__LOCAL_LOGIN_OPEN."""
    if not settings.accounts.local_login_open:
        raise Forbidden("the open local login is disabled; integrators use /participants/token")
    token, expires, account = service.participant_login(
        session, settings, shop_slug=body.shop, subject=body.subject, display_name=body.display_name
    )
    return ParticipantTokenOut(token=token, account_id=account.id, expires_at=expires)


@router.post("/participants/token", response_model=ParticipantTokenOut)
def issue_participant_token(
    body: ParticipantLoginIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(require(Permission.PARTICIPANT_ISSUE))],
) -> ParticipantTokenOut:
    """An integrator signs its own user in: the shop's user id becomes a pseudonymous account."""
    shop = service.get_shop(session, principal.shop_id)
    if shop.slug != body.shop:
        raise Forbidden("a token may issue participants of its own shop only")
    token, expires, account = service.participant_login(
        session,
        settings,
        shop_slug=body.shop,
        subject=body.subject,
        display_name=body.display_name,
        provider="shop",
    )
    return ParticipantTokenOut(token=token, account_id=account.id, expires_at=expires)


@router.get("/me", response_model=MeOut)
def me(principal: Annotated[Principal, Depends(require(Permission.SHOP_READ))]) -> MeOut:
    return MeOut(
        kind=principal.kind,
        role=principal.role,
        shop_id=principal.shop_id,
        subject_id=principal.subject_id,
    )


OwnData = Annotated[Principal, Depends(require(Permission.DATA_OWN))]


@router.get("/me/display-name", response_model=DisplayNameOut)
def my_display_name(session: SessionDep, principal: OwnData) -> DisplayNameOut:
    """The name a starter sees beside your assist if you let them (else a pseudonym)."""
    return DisplayNameOut(display_name=service.display_name_of(session, principal.subject_id))


@router.put(
    "/me/display-name",
    response_model=DisplayNameOut,
    responses={
        410: problem_doc(410, "`account_deleted`"),
        422: problem_doc(422, "`invalid_display_name`: too long, or control characters"),
    },
)
def set_my_display_name(
    body: DisplayNameIn, session: SessionDep, principal: OwnData
) -> DisplayNameOut:
    """Set or clear your display name. Starters see it only beside the assists you chose
    to show it for (`PUT /assists/{id}/name-consent`); it is in your export and goes
    when you delete your account."""
    name = service.set_display_name(
        session, account_id=principal.subject_id, display_name=body.display_name
    )
    return DisplayNameOut(display_name=name)


@router.get("/operators", response_model=list[OperatorOut])
def list_operators(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.OPERATOR_MANAGE))],
) -> list[OperatorOut]:
    return [
        OperatorOut.model_validate(o) for o in service.list_operators(session, principal.shop_id)
    ]


@router.post("/operators", response_model=OperatorOut, status_code=status.HTTP_201_CREATED)
def create_operator(
    body: OperatorIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.OPERATOR_MANAGE))],
) -> OperatorOut:
    op = service.create_operator(
        session,
        shop_id=principal.shop_id,
        email=body.email,
        display_name=body.display_name,
        password=body.password,
        role=Role(body.role.value),
    )
    return OperatorOut.model_validate(op)


@router.get("/tokens", response_model=list[IntegratorTokenOut])
def list_tokens(
    session: SessionDep, principal: Annotated[Principal, Depends(require(Permission.TOKEN_MANAGE))]
) -> list[IntegratorTokenOut]:
    return [
        IntegratorTokenOut.model_validate(t)
        for t in service.list_integrator_tokens(session, principal.shop_id)
    ]


@router.post("/tokens", response_model=IntegratorTokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(
    body: IntegratorTokenIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TOKEN_MANAGE))],
) -> IntegratorTokenCreated:
    secret, token = service.create_integrator_token(
        session, shop_id=principal.shop_id, name=body.name
    )
    return IntegratorTokenCreated(
        id=token.id, name=token.name, created_at=token.created_at, revoked_at=None, token=secret
    )


@router.delete("/tokens/{token_id}", response_model=IntegratorTokenOut)
def revoke_token(
    token_id: int,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TOKEN_MANAGE))],
) -> IntegratorTokenOut:
    token = service.revoke_integrator_token(session, shop_id=principal.shop_id, token_id=token_id)
    return IntegratorTokenOut.model_validate(token)
