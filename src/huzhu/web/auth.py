"""Who is looking at a page, from the session cookies (see security.py).

A participant cookie is a signed participant token, checked by its HMAC alone; an
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
from huzhu.web import security
from huzhu.web.templating import Viewer


def participant(request: Request, settings: Settings) -> tuple[int, int] | None:
    """(shop_id, account_id) of the signed-in participant, or None."""
    token = request.cookies.get(security.PARTICIPANT_COOKIE)
    if not token:
        return None
    return accounts.verify_participant_token(settings, token)


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


def viewer(request: Request, settings: Settings, *, principal: Principal | None = None) -> Viewer:
    found = participant(request, settings)
    return Viewer(
        participant_id=found[1] if found else None,
        participant_shop_id=found[0] if found else None,
        operator_role=principal.role.value if principal else None,
    )
