"""Routes of the WeChat adapter: the JS-SDK config for share pages, the web OAuth
sign-in, and a participant's switch for WeChat messages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import RedirectResponse

from huzhu.accounts.deps import require
from huzhu.accounts.rules import Permission, Principal
from huzhu.db import Database
from huzhu.deps import SessionDep, SettingsDep, get_database
from huzhu.errors import problem_doc
from huzhu.wechat import service
from huzhu.wechat.schemas import JssdkConfigOut, WechatNotificationsOut

router = APIRouter(prefix="/wechat", tags=["wechat"])

DatabaseDep = Annotated[Database, Depends(get_database)]

_UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    502: problem_doc(502, "WeChat did not answer or refused (`wechat_unavailable`)")
}


@router.get("/jssdk-config", response_model=JssdkConfigOut, responses=_UNAVAILABLE)
def jssdk_config(
    settings: SettingsDep,
    db: DatabaseDep,
    url: Annotated[str, Query(min_length=1, max_length=2000, description="the page's URL")],
) -> JssdkConfigOut:
    """Sign `wx.config` for one of this site's pages (the `#fragment` is ignored), so
    the page can set its share title and link. Sharing stays the visitor's choice: no
    page of Huzhu withholds content until something is shared."""
    with service.adapter(settings, db.sessionmaker) as w:
        cfg = service.jssdk_config(w, url=url)
    return JssdkConfigOut(
        appId=cfg.app_id, timestamp=cfg.timestamp, nonceStr=cfg.nonce_str, signature=cfg.signature
    )


@router.get(
    "/oauth/authorize",
    response_class=RedirectResponse,
    status_code=status.HTTP_302_FOUND,
    responses={302: {"description": "to WeChat's authorization page"}},
)
def oauth_authorize(
    session: SessionDep,
    settings: SettingsDep,
    shop: Annotated[str, Query(min_length=1, max_length=64, description="shop slug")],
    next: Annotated[
        str | None, Query(max_length=500, description="path on this site to return to")
    ] = None,
    notify: Annotated[
        bool, Query(description="the person asked to get results as WeChat messages")
    ] = False,
) -> RedirectResponse:
    """Start a silent `snsapi_base` sign-in: WeChat sends the browser back to
    /wechat/oauth/callback with a code."""
    url, cookie = service.start_oauth(
        session, settings, shop_slug=shop, next_path=next, notify=notify
    )
    response = RedirectResponse(url, status_code=status.HTTP_302_FOUND)
    response.set_cookie(
        service.OAUTH_COOKIE,
        cookie,
        max_age=service.OAUTH_TTL_SECONDS,
        path="/api/v1/wechat/oauth",
        httponly=True,
        secure=settings.base_url.startswith("https://"),
        samesite="lax",
    )
    return response


@router.get(
    "/oauth/callback",
    response_class=RedirectResponse,
    status_code=status.HTTP_303_SEE_OTHER,
    responses={
        303: {"description": "to the `next` path, the participant token in the #fragment"},
        **_UNAVAILABLE,
    },
)
def oauth_callback(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    db: DatabaseDep,
    code: Annotated[str, Query(min_length=1, max_length=512)],
    state: Annotated[str, Query(min_length=1, max_length=128)],
) -> RedirectResponse:
    """WeChat's redirect: the code becomes an openid, the openid a pseudonymous
    participant (stored only as a keyed hash). The token goes in the URL fragment, which
    browsers never send to a server or put in a Referer."""
    with service.adapter(settings, db.sessionmaker) as w:
        signed = service.finish_oauth(
            w, session, cookie=request.cookies.get(service.OAUTH_COOKIE), state=state, code=code
        )
    fragment = (
        f"huzhu_token={signed.token}&account_id={signed.account_id}"
        f"&expires_at={int(signed.expires_at.timestamp())}"
    )
    response = RedirectResponse(
        f"{signed.next_path}#{fragment}", status_code=status.HTTP_303_SEE_OTHER
    )
    response.delete_cookie(service.OAUTH_COOKIE, path="/api/v1/wechat/oauth")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/notifications", response_model=WechatNotificationsOut)
def get_notifications(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.WECHAT_MESSAGES))],
) -> WechatNotificationsOut:
    return WechatNotificationsOut(
        enabled=service.notifications_enabled(session, account_id=principal.subject_id)
    )


@router.delete("/notifications", response_model=WechatNotificationsOut)
def disable_notifications(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.WECHAT_MESSAGES))],
) -> WechatNotificationsOut:
    """Stop WeChat messages and erase the sealed openid (the inbox keeps every message).
    Turning them on again is a sign-in with `notify=true`."""
    service.disable_notifications(
        session, shop_id=principal.shop_id, account_id=principal.subject_id
    )
    return WechatNotificationsOut(enabled=False)
