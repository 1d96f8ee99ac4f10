"""Who is looking at a page, from the session cookies (see security.py).

A participant cookie is a signed participant token, checked by its HMAC (and, once per
page, by `without_deleted_account`: a deleted account's cookie counts as signed out); an
operator cookie is an operator session token, looked up (and revocable) through the
accounts service. Anything invalid is simply "not signed in".
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session

from huzhu.accounts import service as accounts
from huzhu.accounts.errors import InvalidToken
from huzhu.accounts.rules import Permission, Principal, PrincipalKind, allows
from huzhu.config import Settings
from huzhu.deps import in_one_unit_of_work
from huzhu.notify import service as notify
from huzhu.web import security
from huzhu.web.templating import Viewer


def participant(request: Request, settings: Settings) -> tuple[int, int] | None:
    """(shop_id, account_id) of the signed-in participant, or None."""
    token = request.cookies.get(security.PARTICIPANT_COOKIE)
    if not token:
        return None
    return accounts.verify_participant_token(settings, token)


async def without_deleted_account(request: Request) -> Request | None:
    """The same request without its participant cookie when that cookie names an
    account deleted since it was signed (the signature alone cannot know), else None.
    The API refuses such a token with 410 (accounts.refuse_deleted); a page treats it
    as signed out."""
    settings: Settings = request.app.state.settings
    found = participant(request, settings)
    if found is None:
        return None
    account_id = found[1]
    if not await in_one_unit_of_work(
        request, lambda session: accounts.is_deleted(session, account_id)
    ):
        return None
    kept = "; ".join(
        f"{name}={value}"
        for name, value in request.cookies.items()
        if name != security.PARTICIPANT_COOKIE
    )
    headers = [(k, v) for k, v in request.scope["headers"] if k != b"cookie"]
    if kept:
        headers.append((b"cookie", kept.encode("latin-1")))
    scope = {**request.scope, "headers": headers, security.SIGNED_OUT_DELETED: True}
    return Request(scope, request.receive)


def operator(request: Request, session: Session, settings: Settings) -> Principal | None:
    token = request.cookies.get(security.OPERATOR_COOKIE)
    if not token:
        return None
    try:
        principal = accounts.authenticate(session, settings, token)
    except InvalidToken:
        return None
    return principal if principal.kind == PrincipalKind.OPERATOR else None


def may(principal: Principal | None, permission: Permission) -> bool:
    return principal is not None and allows(principal.role, permission)


async def viewer(
    request: Request, settings: Settings, *, principal: Principal | None = None
) -> Viewer:
    """Who is looking, and for a signed-in participant how many of their inbox messages
    are unread (the header's badge): one COUNT over the account's index entries, in a
    unit of work of its own so that every page shows it whatever it loads itself."""
    found = participant(request, settings)
    unread = 0
    if found is not None:
        account_id = found[1]
        unread = await in_one_unit_of_work(
            request, lambda session: notify.unread_count(session, account_id=account_id)
        )
    return Viewer(
        participant_id=found[1] if found else None,
        participant_shop_id=found[0] if found else None,
        operator_role=principal.role.value if principal else None,
        inbox_unread=unread,
    )
