"""WeChat share data of the pages people share (the instance page and the share landing).

With WeChat configured and the official JS-SDK vendored (huzhu.web.vendor), the page
carries its signed `wx.config` and the links to share; static/wechat-share.js hands them
to the SDK, which sets what WeChat's own share menu sends. Nothing else changes: the
page shows the same content whether or not anything is shared (WeChat forbids induced
sharing, and so do we), and without WeChat — or without the SDK file — the page simply
has no script for it.

The starter shares their own signed share links, one per channel (friend chat,
timeline), so opens are recorded and attributed; anyone else shares the instance page
itself — a visitor passing a page on is not the link's sender, and their shares must
not count as opens of someone else's link.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from huzhu.config import Settings
from huzhu.db import Database
from huzhu.deps import in_one_unit_of_work
from huzhu.errors import HuzhuError
from huzhu.invites import service as invites
from huzhu.web.vendor import WEIXIN_JS_SDK
from huzhu.wechat import service as wechat

# friend chat -> wx.updateAppMessageShareData, timeline -> wx.updateTimelineShareData
CHANNELS = ("friend", "timeline")


def page_url(request: Request) -> str:
    """The page's URL as the browser holds it (WeChat signs `location.href` without its
    `#fragment`): the path as sent, not decoded. Behind a proxy, run uvicorn with
    --proxy-headers so the scheme and host are the public ones; the page script asks
    /api/v1/wechat/jssdk-config again should the browser's URL still differ."""
    url = request.url
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) and raw else url.path
    return f"{url.scheme}://{url.netloc}{path}" + (f"?{url.query}" if url.query else "")


async def share_config(
    request: Request,
    *,
    instance_id: int,
    shop_id: int | None,
    starter_id: int | None,
    page_link: str,
) -> dict[str, Any] | None:
    """What the page passes to `wx.config` and the share calls, or None (WeChat off,
    the SDK not installed, WeChat unavailable, or not a page of this site).
    `starter_id` is the viewer when they started this instance."""
    settings: Settings = request.app.state.settings
    if not settings.wechat.enabled or not WEIXIN_JS_SDK.present():
        return None
    url = page_url(request)
    db: Database = request.app.state.db
    # Its own short transactions, and maybe a call to WeChat: never inside a page's unit.
    signed = await run_in_threadpool(wechat.page_jssdk_config, settings, db.sessionmaker, url=url)
    if signed is None:
        return None
    links = dict.fromkeys(CHANNELS, page_link)
    if starter_id is not None and shop_id is not None:
        links = await _starter_links(request, settings, instance_id, shop_id, starter_id) or links
    return {
        "url": url,
        "appId": signed.app_id,
        "timestamp": signed.timestamp,
        "nonceStr": signed.nonce_str,
        "signature": signed.signature,
        "links": links,
        "sdk": WEIXIN_JS_SDK.url,
    }


async def _starter_links(
    request: Request, settings: Settings, instance_id: int, shop_id: int, starter_id: int
) -> dict[str, str] | None:
    """The starter's signed link per channel, or None when they may not share one now
    (the activity ended, or an invite restriction): then the page's own link is set."""

    def _tokens(session: Session) -> dict[str, str]:
        return {
            channel: invites.page_share_token(
                session,
                settings,
                shop_id=shop_id,
                account_id=starter_id,
                instance_id=instance_id,
                channel=channel,
            )
            for channel in CHANNELS
        }

    try:
        tokens = await in_one_unit_of_work(request, _tokens)
    except HuzhuError:
        return None
    return {
        channel: str(request.url_for("share_landing", token=token))
        for channel, token in tokens.items()
    }
