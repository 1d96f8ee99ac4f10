"""Use cases of the WeChat adapter.

Credentials (access_token, jsapi_ticket) are read and refreshed in their own short
transactions (`Wechat.sessions`), never inside a caller's unit of work: a refresh must be
visible to every other worker the moment it commits, and no database lock may be held
while WeChat is asked (on SQLite that would be the one write lock).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from huzhu.accounts import service as accounts
from huzhu.accounts.rules import ConsentKind
from huzhu.config import Settings, WechatTemplate
from huzhu.db import transaction
from huzhu.kit import clock
from huzhu.kit.export import fields_of
from huzhu.notify import service as notify
from huzhu.wechat import repository as repo
from huzhu.wechat import rules
from huzhu.wechat.client import Expiring, WechatClient
from huzhu.wechat.errors import (
    PageUrlNotAllowed,
    WechatApiError,
    WechatCodeInvalid,
    WechatDisabled,
    WechatStateInvalid,
    WechatTransportError,
    WechatUnavailable,
)

T = TypeVar("T")

ACCESS_TOKEN = "access_token"
JSAPI_TICKET = "jsapi_ticket"
PROVIDER = "wechat"
OAUTH_COOKIE = "huzhu_wechat_oauth"
OAUTH_TTL_SECONDS = 600
# A value with less than this left is not handed out: it could expire in flight.
USABLE_MARGIN = timedelta(seconds=30)
WAIT_STEP_SECONDS = 0.05


@dataclass
class Wechat:
    """The adapter at run time: settings, a factory of short sessions, the HTTP client
    (opened on first use, so a request served from the cache opens no connection)."""

    settings: Settings
    sessions: sessionmaker[Session]
    _client: WechatClient | None = field(default=None, init=False)

    @property
    def client(self) -> WechatClient:
        if self._client is None:
            cfg = self.settings.wechat
            self._client = WechatClient(base_url=cfg.api_base_url, timeout=cfg.timeout_seconds)
        return self._client

    @property
    def app_id(self) -> str:
        return self.settings.wechat.app_id or ""

    @property
    def app_secret(self) -> str:
        secret = self.settings.wechat.app_secret
        return secret.get_secret_value() if secret is not None else ""

    def unit(self) -> AbstractContextManager[Session]:
        return transaction(self.sessions)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


@contextmanager
def adapter(settings: Settings, sessions: sessionmaker[Session]) -> Iterator[Wechat]:
    """The adapter for one request or one poll; refuses when WeChat is not configured."""
    if not settings.wechat.enabled:
        raise WechatDisabled("set HUZHU_WECHAT__APP_ID and HUZHU_WECHAT__APP_SECRET")
    w = Wechat(settings=settings, sessions=sessions)
    try:
        yield w
    finally:
        w.close()


def _key(settings: Settings) -> bytes:
    return settings.security.secret_key.get_secret_value().encode()


# -- the shared access_token and jsapi_ticket -------------------------------------------


# Fresh values this process has read: (database, key) -> (value, refresh_before). A page
# view then costs no database transaction (on SQLite each one takes the write lock).
# Only fresh values are kept — never past the moment a refresh is due — and a value
# WeChat rejects is dropped at once (`with_access_token`).
_FRESH: dict[tuple[str, str], tuple[str, datetime]] = {}
_FRESH_LOCK = threading.Lock()


def _cache_key(w: Wechat, key: str) -> tuple[str, str]:
    return (str(w.sessions.kw.get("bind", "")), key)


def _cached(w: Wechat, key: str) -> str | None:
    with _FRESH_LOCK:
        hit = _FRESH.get(_cache_key(w, key))
    if hit is not None and clock.utcnow() < hit[1]:
        return hit[0]
    return None


def _remember(w: Wechat, key: str, value: str, expires_at: datetime) -> None:
    fresh_until = expires_at - timedelta(seconds=w.settings.wechat.refresh_ahead_seconds)
    with _FRESH_LOCK:
        _FRESH[_cache_key(w, key)] = (value, fresh_until)


def _forget(w: Wechat, key: str) -> None:
    with _FRESH_LOCK:
        _FRESH.pop(_cache_key(w, key), None)


@dataclass(frozen=True, slots=True)
class _Snapshot:
    value: str | None
    expires_at: datetime | None
    blocked_until: datetime | None
    failures: int


def _read(w: Wechat, key: str) -> _Snapshot:
    with w.unit() as s:
        row = repo.credential(s, key)
        if row is None:
            repo.ensure_credential(s, key)
            return _Snapshot(None, None, None, 0)
        return _Snapshot(row.value, row.expires_at, row.blocked_until, row.failures)


def credential(w: Wechat, kind: str, *, rejected: str | None = None) -> str:
    """The current access_token or jsapi_ticket, shared by every worker.

    Fresh (more than refresh_ahead_seconds left): returned from the row. Due: one worker
    takes the refresh lease and asks WeChat; the others keep using the old value while it
    is still usable, or wait for the new one. After WeChat said busy or rate limited
    (-1, 45009), nobody asks again until `blocked_until`. `rejected`: a value WeChat just
    refused, never returned again — another thread may have put it back in the process
    cache after it was read from the row and before it was retired.
    """
    cfg = w.settings.wechat
    key = f"{w.app_id}:{kind}"
    cached = _cached(w, key)
    if cached is not None and cached != rejected:
        return cached
    lease = timedelta(seconds=cfg.timeout_seconds * 2 + 5)
    deadline = time.monotonic() + lease.total_seconds() + cfg.timeout_seconds
    while True:
        now = clock.utcnow()
        refresh_before = now + timedelta(seconds=cfg.refresh_ahead_seconds)
        snap = _read(w, key)
        if snap.value is not None and snap.value == rejected:
            snap = replace(snap, value=None)
        if snap.value and snap.expires_at and snap.expires_at > refresh_before:
            _remember(w, key, snap.value, snap.expires_at)
            return snap.value
        usable = (
            snap.value
            if snap.value and snap.expires_at and snap.expires_at > now + USABLE_MARGIN
            else None
        )
        if snap.blocked_until is not None and snap.blocked_until > now:
            if usable:
                return usable
            wait = int((snap.blocked_until - now).total_seconds()) + 1
            raise WechatUnavailable("WeChat asked us to slow down", retry_after=wait)
        with w.unit() as s:
            took = repo.take_refresh_lease(
                s, key=key, now=now, refresh_before=refresh_before, lease_until=now + lease
            )
        if took:
            return _refresh(w, kind=kind, key=key, usable=usable, failures=snap.failures)
        if usable:
            return usable
        if time.monotonic() > deadline:
            raise WechatUnavailable("WeChat credentials are being refreshed; try again")
        time.sleep(WAIT_STEP_SECONDS)


def _refresh(w: Wechat, *, kind: str, key: str, usable: str | None, failures: int) -> str:
    """Runs holding the lease: ask WeChat, store the value (or the failure) and let go."""
    try:
        if kind == ACCESS_TOKEN:
            got: Expiring = w.client.fetch_access_token(app_id=w.app_id, app_secret=w.app_secret)
        else:
            got = with_access_token(
                w, lambda token: w.client.fetch_jsapi_ticket(access_token=token)
            )
    except WechatUnavailable:
        # The ticket waited on the access_token, whose own row holds the back-off.
        with w.unit() as s:
            repo.release_lease(s, key=key, blocked_until=None, count_failure=False)
        if usable:
            return usable
        raise
    except (WechatApiError, WechatTransportError) as exc:
        errcode = exc.errcode if isinstance(exc, WechatApiError) else rules.SYSTEM_BUSY
        wait = rules.busy_backoff_seconds(errcode, failures + 1)
        with w.unit() as s:
            repo.release_lease(
                s,
                key=key,
                blocked_until=clock.utcnow() + timedelta(seconds=wait),
                count_failure=True,
            )
        if usable:
            return usable
        raise WechatUnavailable(
            "WeChat did not issue the credentials this call needs", retry_after=int(wait)
        ) from None
    except BaseException:
        with w.unit() as s:
            repo.release_lease(s, key=key, blocked_until=None, count_failure=False)
        raise
    now = clock.utcnow()
    expires_at = now + timedelta(seconds=got.expires_in)
    with w.unit() as s:
        repo.store_refreshed(s, key=key, value=got.value, expires_at=expires_at, now=now)
    _remember(w, key, got.value, expires_at)
    return got.value


def with_access_token(w: Wechat, call: Callable[[str], T]) -> T:
    """Call WeChat with the shared token; if WeChat says it is invalid or expired (40001,
    42001), retire it, take the refreshed one and try once more."""
    token = credential(w, ACCESS_TOKEN)
    try:
        return call(token)
    except WechatApiError as exc:
        if exc.errcode not in rules.TOKEN_ERRORS:
            raise
    key = f"{w.app_id}:{ACCESS_TOKEN}"
    _forget(w, key)
    with w.unit() as s:
        repo.expire_if_current(s, key=key, value=token, now=clock.utcnow())
    return call(credential(w, ACCESS_TOKEN, rejected=token))


# -- JS-SDK ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JssdkConfig:
    app_id: str
    timestamp: int
    nonce_str: str
    signature: str


def jssdk_config(w: Wechat, *, url: str) -> JssdkConfig:
    """What a page passes to `wx.config` to set its share data."""
    cfg = w.settings.wechat
    if not rules.page_url_allowed(
        url, base_url=w.settings.base_url, allowed_domains=cfg.allowed_page_domains
    ):
        raise PageUrlNotAllowed("the url is not a page of this site", field="url")
    ticket = credential(w, JSAPI_TICKET)
    timestamp = int(clock.utcnow().timestamp())
    nonce_str = rules.nonce()
    signature = rules.jssdk_signature(
        ticket=ticket, noncestr=nonce_str, timestamp=timestamp, url=url
    )
    return JssdkConfig(
        app_id=w.app_id, timestamp=timestamp, nonce_str=nonce_str, signature=signature
    )


def page_jssdk_config(
    settings: Settings, sessions: sessionmaker[Session], *, url: str
) -> JssdkConfig | None:
    """For server-rendered share pages (web/): the page's `wx.config`, or None when
    WeChat is off, the URL is not ours, or WeChat is unavailable — a page must render
    the same without it, since sharing is only ever offered, never required."""
    if not settings.wechat.enabled:
        return None
    try:
        with adapter(settings, sessions) as w:
            return jssdk_config(w, url=url)
    except (PageUrlNotAllowed, WechatUnavailable):
        return None


# -- web OAuth (snsapi_base) ------------------------------------------------------------


def oauth_redirect_uri(settings: Settings) -> str:
    return settings.base_url.rstrip("/") + "/api/v1/wechat/oauth/callback"


def start_oauth(
    session: Session, settings: Settings, *, shop_slug: str, next_path: str | None, notify: bool
) -> tuple[str, str]:
    """(authorize URL, cookie value): the browser goes to WeChat carrying `state`, and
    keeps the signed cookie that the callback checks `state` against."""
    if not settings.wechat.enabled or not settings.wechat.app_id:
        raise WechatDisabled("set HUZHU_WECHAT__APP_ID and HUZHU_WECHAT__APP_SECRET")
    shop = accounts.get_shop_by_slug(session, shop_slug)
    start = rules.OAuthStart(
        shop_id=shop.id,
        next_path=rules.safe_next_path(next_path),
        notify=notify,
        expires_epoch=int(clock.utcnow().timestamp()) + OAUTH_TTL_SECONDS,
        nonce=rules.nonce(),
    )
    cookie = rules.oauth_cookie(_key(settings), start)
    url = rules.authorize_url(
        open_base_url=settings.wechat.open_base_url,
        app_id=settings.wechat.app_id,
        redirect_uri=oauth_redirect_uri(settings),
        state=rules.oauth_state(_key(settings), cookie),
    )
    return url, cookie


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str
    expires_at: datetime
    account_id: int
    next_path: str


def finish_oauth(
    w: Wechat, session: Session, *, cookie: str | None, state: str, code: str
) -> SignedIn:
    """Exchange the code for the openid and sign the participant in under a keyed hash
    of it. The exchange happens before `session` touches the database, so no lock is
    held while WeChat answers."""
    start = (
        rules.parse_oauth_cookie(
            _key(w.settings), cookie, state=state, now_epoch=int(clock.utcnow().timestamp())
        )
        if cookie
        else None
    )
    if start is None:
        raise WechatStateInvalid()
    try:
        openid = w.client.exchange_code(app_id=w.app_id, app_secret=w.app_secret, code=code)
    except WechatApiError as exc:
        if exc.errcode in rules.OAUTH_CODE_ERRORS:
            raise WechatCodeInvalid() from None
        raise WechatUnavailable("WeChat did not confirm the sign-in") from None
    except WechatTransportError:
        raise WechatUnavailable("WeChat did not confirm the sign-in") from None
    shop = accounts.get_shop(session, start.shop_id)
    account = accounts.get_or_create_account(
        session,
        w.settings,
        shop_id=shop.id,
        provider=PROVIDER,
        subject=rules.wechat_subject(w.app_id, openid),
    )
    if start.notify:
        enable_notifications(
            session, w.settings, shop_id=shop.id, account_id=account.id, openid=openid
        )
    token, expires = accounts.issue_participant_token(
        w.settings, shop_id=shop.id, account_id=account.id, joined_at=account.created_at
    )
    return SignedIn(
        token=token, expires_at=expires, account_id=account.id, next_path=start.next_path
    )


# -- WeChat messages -------------------------------------------------------------------


def _seal_context(account_id: int) -> str:
    return f"account:{account_id}"


def enable_notifications(
    session: Session, settings: Settings, *, shop_id: int, account_id: int, openid: str
) -> None:
    """Keep the openid, sealed, for messages: only after the person asked for them."""
    was_enabled = repo.recipient_exists(session, account_id)
    repo.upsert_recipient(
        session,
        {
            "account_id": account_id,
            "shop_id": shop_id,
            "app_id": settings.wechat.app_id or "",
            "openid_sealed": rules.seal(_key(settings), openid, context=_seal_context(account_id)),
            "consented_at": clock.utcnow(),
        },
    )
    if not was_enabled:
        _record_consent(session, shop_id=shop_id, account_id=account_id, on=True)
        notify.record_event(
            session,
            shop_id=shop_id,
            type="wechat.notifications_enabled",
            subject_type="account",
            subject_id=account_id,
        )


def notifications_enabled(session: Session, *, account_id: int) -> bool:
    return repo.recipient_exists(session, account_id)


def _record_consent(session: Session, *, shop_id: int, account_id: int, on: bool) -> None:
    accounts.record_consent(
        session,
        shop_id=shop_id,
        account_id=account_id,
        kind=ConsentKind.WECHAT_MESSAGES,
        old={"messages_on": not on},
        new={"messages_on": on},
    )


def disable_notifications(session: Session, *, shop_id: int, account_id: int) -> bool:
    """Stop WeChat messages and erase the sealed openid. True if they were on."""
    removed = repo.delete_recipient(session, account_id)
    if removed:
        _record_consent(session, shop_id=shop_id, account_id=account_id, on=False)
        notify.record_event(
            session,
            shop_id=shop_id,
            type="wechat.notifications_disabled",
            subject_type="account",
            subject_id=account_id,
        )
    session.flush()
    return removed


def recipient_openid(session: Session, settings: Settings, *, account_id: int) -> str | None:
    """The openid a message to this participant goes to, if they asked for messages (and
    for this app: a changed AppID makes old openids meaningless)."""
    row = repo.recipient(session, account_id)
    if row is None or row.app_id != (settings.wechat.app_id or ""):
        return None
    return rules.unseal(_key(settings), row.openid_sealed, context=_seal_context(account_id))


def send_subscribe_message(
    w: Wechat, *, openid: str, template: WechatTemplate, title: str, body: str
) -> None:
    """Send one subscription message; WechatApiError / WechatTransportError /
    WechatUnavailable tell the caller (the outbox channel) whether to retry."""
    message = rules.subscribe_message(
        openid=openid,
        template_id=template.template_id,
        page=template.page,
        title_field=template.title_field,
        body_field=template.body_field,
        title=title,
        body=body,
        miniprogram_state=w.settings.wechat.miniprogram_state,
    )
    with_access_token(
        w, lambda token: w.client.send_subscribe_message(access_token=token, message=message)
    )


def export_of(session: Session, *, account_id: int) -> dict[str, Any]:
    """Whether the person asked for WeChat messages and when; never the openid, sealed or
    not (it is WeChat's name for them, and the seal's key is ours)."""
    row = repo.recipient(session, account_id)
    if row is None:
        return {"messages_on": False}
    return {"messages_on": True, **fields_of(row, ("app_id", "consented_at"))}
