"""Pure rules of the WeChat adapter: the JS-SDK signature, which pages may be signed,
the OAuth state, WeChat's error codes, and sealing an openid for later messages."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote, urlsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from huzhu.kit import signing

# WeChat error codes the adapter acts on (the public error-code table of the platform).
TOKEN_INVALID = 40001  # access_token invalid or not the latest
TOKEN_EXPIRED = 42001  # access_token expired
CODE_INVALID = 40029  # OAuth code invalid
CODE_USED = 40163  # OAuth code already used
RATE_LIMITED = 45009  # the interface's daily quota is used up
SYSTEM_BUSY = -1  # "system busy, retry later"
TOKEN_ERRORS = frozenset({TOKEN_INVALID, TOKEN_EXPIRED})
BUSY_ERRORS = frozenset({RATE_LIMITED, SYSTEM_BUSY})
OAUTH_CODE_ERRORS = frozenset({CODE_INVALID, CODE_USED})
# A subscription message that can never be delivered as sent: the user gave no (or no
# more) consent (43101), the openid or template is wrong (40003, 40037), the data does
# not fit the template (47003), the page does not exist (41030). Retrying cannot help.
MESSAGE_PERMANENT_ERRORS = frozenset({43101, 40003, 40037, 47003, 41030})


class MessageStatus(StrEnum):
    """Where a `wechat_message` (an inbox message's copy on its way to WeChat) stands."""

    PENDING = "pending"  # due at next_attempt_at (or leased by a runner until then)
    SENT = "sent"
    FAILED = "failed"  # WeChat refused it for good, or it ran out of attempts
    SKIPPED = "skipped"  # no template for its kind, or the person turned messages off


THING_MAX_CHARS = 20  # WeChat's `thing` field type holds at most 20 characters
STATE_CHARS = 32  # WeChat passes `state` back verbatim: [a-zA-Z0-9], at most 128 bytes
_NEXT_PATH = re.compile(r"^/(?![/\\])[^\s#]*$")


def jssdk_signature(*, ticket: str, noncestr: str, timestamp: int, url: str) -> str:
    """SHA-1 over the four fields as WeChat's JS-SDK documentation (appendix 1) defines
    it: keys in ASCII order, `key=value` joined by `&`, raw values (no URL escaping), the
    page URL without its `#fragment`."""
    fields = {
        "jsapi_ticket": ticket,
        "noncestr": noncestr,
        "timestamp": str(timestamp),
        "url": strip_fragment(url),
    }
    plain = "&".join(f"{key}={fields[key]}" for key in sorted(fields))
    # SHA-1 is what WeChat specifies for this signature; it is not our choice of hash.
    return hashlib.sha1(plain.encode(), usedforsecurity=False).hexdigest()


def strip_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def page_url_allowed(url: str, *, base_url: str, allowed_domains: list[str]) -> bool:
    """Sign only our own pages: a signature for any URL would let another site use our
    account's JS-SDK (WeChat checks the page's domain against the account, but the
    signature itself should not be handed out for strangers' pages)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username:
        return False
    host = parts.hostname.lower()
    base = urlsplit(base_url)
    if base.hostname and host == base.hostname.lower() and parts.port == base.port:
        return True
    return any(host == d.lower().strip() for d in allowed_domains if d.strip())


def nonce(n_bytes: int = 12) -> str:
    """A random alphanumeric string (hex), as WeChat's nonceStr and state accept."""
    return os.urandom(n_bytes).hex()


def safe_next_path(value: str | None) -> str:
    """Where to send the browser after sign-in: a path on this server only — never
    another host (`//evil`, `/\\evil`), so the login cannot become an open redirect."""
    if value and len(value) <= 500 and _NEXT_PATH.match(value):
        return value
    return "/"


# -- OAuth state ------------------------------------------------------------------------
#
# WeChat echoes `state` back verbatim but allows only [a-zA-Z0-9] up to 128 bytes, so the
# details (shop, where to go next, whether WeChat messages were asked for) ride in a
# signed, short-lived cookie, and `state` is an HMAC of that cookie. A callback is
# accepted only from the browser that started the flow (login CSRF: nobody can make a
# victim's browser finish a sign-in into the attacker's WeChat account), and only once
# the cookie's signature and expiry hold.


@dataclass(frozen=True, slots=True)
class OAuthStart:
    shop_id: int
    next_path: str
    notify: bool
    expires_epoch: int
    nonce: str


def oauth_cookie(key: bytes, start: OAuthStart) -> str:
    payload = "|".join(
        (
            "wxo",
            str(start.shop_id),
            "1" if start.notify else "0",
            str(start.expires_epoch),
            start.nonce,
            start.next_path,
        )
    )
    return signing.sign(key, payload)


def oauth_state(key: bytes, cookie: str) -> str:
    return hmac.new(key, b"wx-state\x00" + cookie.encode(), hashlib.sha256).hexdigest()[
        :STATE_CHARS
    ]


def parse_oauth_cookie(key: bytes, cookie: str, *, state: str, now_epoch: int) -> OAuthStart | None:
    """The sign-in this browser started, if the cookie is genuine, unexpired and `state`
    is the one issued with it."""
    if not hmac.compare_digest(oauth_state(key, cookie), state):
        return None
    payload = signing.verify(key, cookie)
    if payload is None:
        return None
    parts = payload.split("|", 5)
    if len(parts) != 6 or parts[0] != "wxo":
        return None
    try:
        shop_id, expires = int(parts[1]), int(parts[3])
    except ValueError:
        return None
    if expires <= now_epoch:
        return None
    return OAuthStart(
        shop_id=shop_id,
        notify=parts[2] == "1",
        expires_epoch=expires,
        nonce=parts[4],
        next_path=safe_next_path(parts[5]),
    )


def authorize_url(*, open_base_url: str, app_id: str, redirect_uri: str, state: str) -> str:
    """WeChat's web authorization page for a silent `snsapi_base` sign-in (openid only)."""
    return (
        f"{open_base_url.rstrip('/')}/connect/oauth2/authorize"
        f"?appid={quote(app_id, safe='')}&redirect_uri={quote(redirect_uri, safe='')}"
        f"&response_type=code&scope=snsapi_base&state={state}#wechat_redirect"
    )


def wechat_subject(app_id: str, openid: str) -> str:
    """An openid is unique per app, so the subject hashed into the account names both."""
    return f"{app_id}:{openid}"


# -- retries ---------------------------------------------------------------------------


def busy_backoff_seconds(errcode: int, failures: int) -> float:
    """How long every worker leaves an endpoint alone after WeChat said busy (-1: a
    moment) or quota used up (45009: longer, it will not come back within seconds)."""
    base, cap = (1.0, 60.0) if errcode == SYSTEM_BUSY else (30.0, 3600.0)
    return float(min(cap, base * 2 ** max(0, failures - 1)))


# -- sealing an openid ------------------------------------------------------------------


def _seal_key(secret_key: bytes) -> bytes:
    # Its own key, derived for this purpose only: the HMAC key of tokens and pseudonyms
    # is never used directly as an encryption key.
    return hmac.new(secret_key, b"huzhu wechat openid seal v1", hashlib.sha256).digest()


def seal(secret_key: bytes, value: str, *, context: str) -> str:
    """AES-GCM with a random nonce; `context` (the account) is authenticated, so a sealed
    openid copied onto another account's row does not open."""
    nonce_bytes = os.urandom(12)
    ct = AESGCM(_seal_key(secret_key)).encrypt(nonce_bytes, value.encode(), context.encode())
    return "v1." + signing.b64e(nonce_bytes + ct)


def unseal(secret_key: bytes, sealed: str, *, context: str) -> str | None:
    version, _, body = sealed.partition(".")
    if version != "v1" or not body:
        return None
    try:
        raw = signing.b64d(body)
        plain = AESGCM(_seal_key(secret_key)).decrypt(raw[:12], raw[12:], context.encode())
    except (InvalidTag, ValueError):
        return None
    return plain.decode()


def thing(value: str) -> str:
    text = " ".join(value.split())
    return text if len(text) <= THING_MAX_CHARS else text[: THING_MAX_CHARS - 1] + "…"


def subscribe_message(
    *,
    openid: str,
    template_id: str,
    page: str,
    title_field: str,
    body_field: str,
    title: str,
    body: str,
    miniprogram_state: str,
) -> dict[str, object]:
    """The JSON body of `cgi-bin/message/subscribe/send`."""
    message: dict[str, object] = {
        "touser": openid,
        "template_id": template_id,
        "data": {title_field: {"value": thing(title)}, body_field: {"value": thing(body)}},
        "miniprogram_state": miniprogram_state,
        "lang": "zh_CN",
    }
    if page:
        message["page"] = page
    return message
