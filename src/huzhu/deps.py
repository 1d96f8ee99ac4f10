"""FastAPI dependencies shared by every router: settings, the unit of work, the caller.

`require(permission)` is the only way a route states who may call it; the returned
dependency carries the permission so tests can read the whole route → permission map.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any

import anyio
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


async def admit_unit_of_work(request: Request) -> AsyncIterator[None]:
    """SQLite's admission gate, held from before the session opens until after it commits.

    A sync route's unit of work hops between thread-pool threads (dependency, route,
    commit) while it holds SQLite's single write lock. Without a gate a crowd of requests
    fills the pool with threads blocked on that lock while the holder waits for a free
    thread to commit — a deadlock the busy timeout ends as "database is locked". Waiting
    here, in the event loop, costs no thread. PostgreSQL has no gate (row locks, MVCC).
    """
    gate: anyio.Semaphore | None = getattr(request.app.state, "db_gate", None)
    if gate is None:
        yield
        return
    async with gate:
        yield


def get_session(
    request: Request, _admitted: Annotated[None, Depends(admit_unit_of_work, scope="function")]
) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent."""
    with get_database(request).unit_of_work() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": the commit happens when the route returns, before the response goes
# out, so a client never sees 2xx for a change that then failed to commit.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def bearer_token(request: Request) -> str | None:
    return parse_bearer(request.headers.get("authorization", ""))


def parse_bearer(header: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value."""
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
