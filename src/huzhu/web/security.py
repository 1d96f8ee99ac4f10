"""Cookies and CSRF for the web pages.

- Sessions are cookies holding the same bearer secrets the API uses: an operator's
  session token (`accounts.login`, revocable server-side) or a participant's signed
  token. They are HttpOnly (no script can read them), SameSite=Lax (not sent on
  cross-site POSTs) and Secure whenever the request came over https or
  `HUZHU_WEB__SECURE_COOKIES` is on.
- CSRF: the signed double-submit pattern. A random `huzhu_csrf` cookie is set on the
  first page; every form carries HMAC(secret key, cookie) in a hidden field, checked
  in constant time on POST. A cross-site page can neither read the cookie nor compute
  the field, and SameSite=Lax is a second line.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request
from starlette.responses import Response

from huzhu.config import Settings
from huzhu.errors import Forbidden
from huzhu.kit import signing

OPERATOR_COOKIE = "huzhu_op"
PARTICIPANT_COOKIE = "huzhu_p"
CSRF_COOKIE = "huzhu_csrf"
CSRF_FIELD = "csrf_token"
# Set in a page request's scope when its participant cookie named a deleted account
# (auth.without_deleted_account): the page is served as to someone signed out and says why.
SIGNED_OUT_DELETED = "huzhu.signed_out_deleted"


class CsrfFailed(Forbidden):
    code = "csrf_failed"
    title = "The form expired or did not come from this site"


def _key(settings: Settings) -> bytes:
    return settings.security.secret_key.get_secret_value().encode()


def secure(request: Request, settings: Settings) -> bool:
    return settings.web.secure_cookies or request.url.scheme == "https"


def set_cookie(
    response: Response,
    request: Request,
    settings: Settings,
    *,
    name: str,
    value: str,
    max_age: int | None,
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=secure(request, settings),
        path="/",
    )


def clear_cookie(response: Response, request: Request, settings: Settings, *, name: str) -> None:
    response.delete_cookie(
        name, path="/", httponly=True, samesite="lax", secure=secure(request, settings)
    )


def csrf_seed(request: Request) -> tuple[str, bool]:
    """The browser's CSRF cookie value, or a new one (True: it must be set)."""
    found = request.cookies.get(CSRF_COOKIE, "")
    if 20 <= len(found) <= 100:
        return found, False
    return secrets.token_urlsafe(24), True


def csrf_token(settings: Settings, seed: str) -> str:
    return signing.b64e(signing.hmac_sha256(_key(settings), f"csrf\x00{seed}".encode()))


def check_csrf(request: Request, settings: Settings, submitted: str | None) -> None:
    seed = request.cookies.get(CSRF_COOKIE, "")
    expected = csrf_token(settings, seed)
    if not seed or not submitted or not hmac.compare_digest(expected, submitted):
        raise CsrfFailed("reload the page and try again")
