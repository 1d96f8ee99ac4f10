"""WeChat share data on the shared pages (web/wechat_share.py, static/wechat-share.js).

In-process: the page carries a `wx.config` signed by WeChat's documented algorithm over
its exact URL (recomputed here from the stand-in's jsapi_ticket, not by our code); the
starter's share links are their own signed links per channel, reused across views;
without WeChat, or without the SDK file, there is no script at all.

The same in Chromium with the real SDK: test_wechat_share_browser.py.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from huzhu.config import Settings
from huzhu.invites import service as invites
from huzhu.kit import clock
from huzhu.web import vendor, wechat_share
from tests.support.services import services_required
from tests.support.wechat_standin import WechatStandin, settings_for, wechat_standin
from tests.web.test_pages_http import _client as seeded_client

SHARE_APIS = ["updateAppMessageShareData", "updateTimelineShareData"]


def require_sdk() -> None:
    if not vendor.WEIXIN_JS_SDK.present():
        message = f"{vendor.WEIXIN_JS_SDK.path} is missing: run `make install` (fetch_vendor)"
        if services_required():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def documented_signature(*, ticket: str, noncestr: str, timestamp: int, url: str) -> str:
    """WeChat JS-SDK documentation, appendix 1, written out again: the four fields sorted
    by name, key=value joined by &, the URL without its #fragment, SHA-1 in hex."""
    plain = (
        f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={url.split('#')[0]}"
    )
    return hashlib.sha1(plain.encode(), usedforsecurity=False).hexdigest()


def _share_data(text: str) -> dict[str, Any] | None:
    found = re.search(r'<script type="application/json" id="wechat-share">(.*?)</script>', text)
    return json.loads(found.group(1)) if found else None


def _csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def _start_bargain(client: TestClient, name: str) -> int:
    """Sign in through the form and start the demo bargain from the home page."""
    token = _csrf(client, "/signin")
    client.post("/signin", data={"csrf_token": token, "name": name, "shop": "demo", "next": "/"})
    home = client.get("/", headers={"Accept-Language": "en"}).text
    campaign = re.search(
        r'<span class="badge">Bargain</span>.*?action="/c/(\d+)/start"', home, re.S
    )
    assert campaign is not None
    started = client.post(
        f"/c/{campaign.group(1)}/start",
        data={"csrf_token": _csrf(client, "/")},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    found = re.match(r"/i/(\d+)\?", started.headers["location"])
    assert found is not None, started.headers["location"]
    return int(found.group(1))


@dataclass
class InProcess:
    client: TestClient
    settings: Settings
    standin: WechatStandin


@pytest.fixture
def wechat_app(sqlite_url: str) -> Iterator[InProcess]:
    """The demo, in process, with WeChat pointed at the stand-in."""
    with wechat_standin() as standin:
        for client in seeded_client(
            sqlite_url, base_url="http://testserver", wechat=settings_for(standin)
        ):
            yield InProcess(client, client.app.state.settings, standin)


def test_the_page_signs_wx_config_over_its_exact_url_by_the_documented_algorithm(
    wechat_app: InProcess,
) -> None:
    require_sdk()
    client = wechat_app.client
    path = "/i/1?from=chat&x=%E4%BA%92"
    page = client.get(path + "#ignored", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    data = _share_data(page.text)
    assert data is not None
    url = "http://testserver" + path
    assert data["url"] == url
    assert data["appId"] == wechat_app.standin.app_id
    assert abs(data["timestamp"] - clock.utcnow().timestamp()) < 60
    assert re.fullmatch(r"[0-9a-f]{16,32}", data["nonceStr"])
    ticket = wechat_app.standin.tickets[-1]
    assert data["signature"] == documented_signature(
        ticket=ticket, noncestr=data["nonceStr"], timestamp=data["timestamp"], url=url
    )
    # Signed over this URL, not another: the same ticket and nonce over /i/2 differ.
    assert data["signature"] != documented_signature(
        ticket=ticket,
        noncestr=data["nonceStr"],
        timestamp=data["timestamp"],
        url="http://testserver/i/1",
    )
    # The SDK from our own static path, our script before it (it lends `module`).
    scripts = re.findall(r'<script src="([^"]+)"', page.text)
    sdk = vendor.WEIXIN_JS_SDK.url
    assert scripts.index("/static/web/wechat-share.js") < scripts.index(sdk)
    assert client.get(sdk).content == vendor.WEIXIN_JS_SDK.path.read_bytes()
    # Anyone but the starter shares the page itself, its honest preview as text.
    assert data["links"] == {
        "friend": "http://testserver/i/1",
        "timeline": "http://testserver/i/1",
    }
    preview = re.search(r'<meta property="og:description" content="([^"]+)"', page.text)
    assert preview is not None
    assert data["desc"] == html.unescape(preview.group(1))
    assert "still to cut" in data["desc"]


def test_the_starter_shares_a_signed_link_per_channel_reused_across_views(
    wechat_app: InProcess,
) -> None:
    require_sdk()
    client = wechat_app.client
    instance_id = _start_bargain(client, "wx-starter")
    first = _share_data(client.get(f"/i/{instance_id}").text)
    again = _share_data(client.get(f"/i/{instance_id}?notice=started").text)
    assert first is not None
    assert again is not None
    assert first["links"] == again["links"]  # no new link per view
    for channel in ("friend", "timeline"):
        link = urlsplit(first["links"][channel])
        assert (link.scheme, link.netloc) == ("http", "testserver")
        token = link.path.removeprefix("/s/")
        claims = invites.verify_share_token(wechat_app.settings, token, now=clock.utcnow())
        assert (claims.instance_id, claims.channel) == (instance_id, channel)
    assert first["links"]["friend"] != first["links"]["timeline"]


def test_without_wechat_the_page_has_no_jssdk(sqlite_url: str) -> None:
    for off in seeded_client(sqlite_url):
        page = off.get("/i/1").text
        assert "wechat-share" not in page
        assert vendor.STATIC_URL not in page
        assert "<h1>" in page  # the page itself is all there


def test_without_the_sdk_file_the_page_has_no_jssdk_and_asks_wechat_nothing(
    wechat_app: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = dataclasses.replace(vendor.WEIXIN_JS_SDK, name="absent.js")
    monkeypatch.setattr(wechat_share, "WEIXIN_JS_SDK", missing)
    page = wechat_app.client.get("/i/1").text
    assert "wechat-share" not in page
    assert vendor.STATIC_URL not in page
    assert wechat_app.standin.counters["cgi-bin/ticket/getticket"] == 0
