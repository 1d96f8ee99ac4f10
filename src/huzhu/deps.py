"""FastAPI dependencies shared by every router: settings, the unit of work, the caller.

`require(permission)` is the only way a route states who may call it; the returned
dependency carries the permission so tests can read the whole route → permission map.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from huzhu.accounts import service as accounts
from huzhu.accounts.errors import InvalidToken, PermissionDenied
from huzhu.accounts.rules import Permission, Principal, allows
from huzhu.config import Settings
from huzhu.db import Database


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent."""
    with get_database(request).unit_of_work() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": the commit happens when the route returns, before the response goes
# out, so a client never sees 2xx for a change that then failed to commit.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def optional_principal(
    request: Request, session: SessionDep, settings: SettingsDep
) -> Principal | None:
    token = bearer_token(request)
    if token is None:
        return None
    principal = accounts.authenticate(session, settings, token)
    request.state.principal = principal
    return principal


def require(permission: Permission) -> Callable[..., Principal]:
    def _dependency(
        principal: Annotated[Principal | None, Depends(optional_principal)],
    ) -> Principal:
        if principal is None:
            raise InvalidToken("send Authorization: Bearer <token>")
        if not allows(principal.role, permission):
            raise PermissionDenied(f"role {principal.role.value} lacks {permission.value}")
        return principal

    _dependency.huzhu_permission = permission  # type: ignore[attr-defined]
    return _dependency


def permission_of(dependency: Any) -> Permission | None:
    return getattr(dependency, "huzhu_permission", None)
