"""Who is calling a route: `require(permission)` is the only way a route states who may
call it; the returned dependency carries the permission so tests can read the whole
route → permission map (`permission_of`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from huzhu.accounts import service as accounts
from huzhu.accounts.errors import InvalidToken, PermissionDenied
from huzhu.accounts.rules import Permission, Principal, PrincipalKind, allows, parse_bearer
from huzhu.deps import SessionDep, SettingsDep, get_settings, in_one_unit_of_work


def bearer_token(request: Request) -> str | None:
    return parse_bearer(request.headers.get("authorization", ""))


def optional_principal(
    request: Request, session: SessionDep, settings: SettingsDep
) -> Principal | None:
    token = bearer_token(request)
    if token is None:
        return None
    principal = accounts.authenticate(session, settings, token)
    if principal.kind == PrincipalKind.PARTICIPANT:
        accounts.refuse_deleted(session, principal.subject_id)
    request.state.principal = principal
    return principal


def _checked(principal: Principal | None, permission: Permission) -> Principal:
    if principal is None:
        raise InvalidToken("send Authorization: Bearer <token>")
    if not allows(principal.role, permission):
        raise PermissionDenied(f"role {principal.role.value} lacks {permission.value}")
    return principal


def require(permission: Permission) -> Callable[..., Principal]:
    def _dependency(
        principal: Annotated[Principal | None, Depends(optional_principal)],
    ) -> Principal:
        return _checked(principal, permission)

    _dependency.huzhu_permission = permission  # type: ignore[attr-defined]
    return _dependency


def require_without_session(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    """`require` for a route that runs its unit of work with in_one_unit_of_work: a
    participant token is checked by its signature in the event loop, any other bearer
    in a unit of work of its own (the same answers as `require`), so the route opens
    no SessionDep unit just to learn who calls it."""

    async def _dependency(request: Request) -> Principal:
        token = bearer_token(request)
        principal = None
        if token is not None:
            settings = get_settings(request)
            principal = accounts.participant_principal(settings, token)
            if principal is None:
                principal = await in_one_unit_of_work(
                    request, lambda session: accounts.authenticate(session, settings, token)
                )
            request.state.principal = principal
        return _checked(principal, permission)

    _dependency.huzhu_permission = permission  # type: ignore[attr-defined]
    return _dependency


def permission_of(dependency: Any) -> Permission | None:
    return getattr(dependency, "huzhu_permission", None)
