"""WeChat share data in Chromium, with the real SDK (web/wechat_share.py,
static/wechat-share.js): the SDK fetched from the npm registry by `make install`,
served from our static path, receives the server's values in `wx.config` and registers
the share data. WeChat's app is stood in for by a `WeixinJSBridge` in an init script
(the native side the SDK talks to) that records what the SDK sends it and answers
":ok"; the test checks it against the stand-in's jsapi_ticket.

A module of its own: Playwright's sync API keeps an event loop running while the
browser lives, and seeding a database calls asyncio.run.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from huzhu.db import Database
from huzhu.invites import service as invites
from huzhu.kit import clock
from huzhu.seed import seed_demo
from tests.conftest import make_settings
from tests.support.browser import chromium_browser
from tests.support.servers import LiveServer, start_server
from tests.support.wechat_standin import WechatStandin, env_for, wechat_standin
from tests.web.conftest import Demo, sign_in
from tests.web.test_wechat_share import SHARE_APIS, documented_signature, require_sdk

WECHAT_UA = (
    "Mozilla/5.0 (Linux; x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36 MicroMessenger/8.0.47.2560 NetType/WIFI Language/zh_CN"
)

# The WeChat app's side of the SDK (WeixinJSBridge) answering every call with ":ok", and
# the real `wx` wrapped as the page script publishes it, so every call is recorded.
BRIDGE_AND_SPY = """(() => {
  const bridge = [];
  const calls = [];
  window.__bridge = bridge;
  window.__wx = calls;
  const copy = (value) =>
    typeof value === 'function' ? 'function' : JSON.parse(JSON.stringify(value));
  window.WeixinJSBridge = {
    invoke(name, args, callback) {
      bridge.push({ name, args: copy(args) });
      const api = name === 'preVerifyJSAPI' ? 'config' : name;
      setTimeout(() => callback({ err_msg: api + ':ok' }), 0);
    },
    on() {},
  };
  let real;
  Object.defineProperty(window, 'wx', {
    configurable: true,
    get() { return real; },
    set(sdk) {
      const spied = ['config', 'ready', 'updateAppMessageShareData', 'updateTimelineShareData'];
      for (const name of spied) {
        const original = sdk[name];
        sdk[name] = function (arg) {
          calls.push({ name, arg: copy(arg) });
          return original.apply(this, arguments);
        };
      }
      real = sdk;
    },
  });
})();"""


@dataclass
class WechatServer:
    demo: Demo
    standin: WechatStandin


@pytest.fixture(scope="module")
def wechat_server(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WechatServer]:
    require_sdk()
    folder = tmp_path_factory.mktemp("wechat-web")
    path = folder / "demo.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    db = Database(make_settings(url).db)
    try:
        seed_demo(db, make_settings(url, jobs={"run_in_process": False}))
    finally:
        db.dispose()
    with wechat_standin() as standin:
        env = {
            **env_for(standin),
            # The server's port is chosen when it starts: allow the host, any port.
            "HUZHU_WECHAT__ALLOWED_PAGE_DOMAINS": '["127.0.0.1"]',
        }
        server: LiveServer = start_server(db_url=url, log_dir=folder, extra_env=env)
        try:
            yield WechatServer(Demo(server, url), standin)
        finally:
            server.stop()


@pytest.fixture(scope="module")
def browser(wechat_server: WechatServer) -> Iterator[Any]:
    """After the server (seeding runs asyncio.run, which the browser's loop forbids)."""
    with chromium_browser() as found:
        yield found


def _wechat_page(browser: Any, server: WechatServer, outside: list[str]) -> Any:
    context = browser.new_context(user_agent=WECHAT_UA, locale="zh-CN")
    context.add_init_script(BRIDGE_AND_SPY)
    page = context.new_page()
    page.set_default_timeout(20_000)
    base = server.demo.url
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
    return page


def _registered(page: Any) -> tuple[dict[str, Any], dict[str, list[Any]], dict[str, Any]]:
    """Once the share data is registered: the page's data, the calls on `wx` by name,
    and what the SDK sent the WeChat app by name."""
    page.wait_for_function(
        "() => window.__bridge.some((c) => c.name === 'updateTimelineShareData')"
    )
    data = json.loads(page.locator("#wechat-share").text_content())
    calls: dict[str, list[Any]] = {}
    for call in page.evaluate("window.__wx"):
        calls.setdefault(call["name"], []).append(call["arg"])
    bridge = {call["name"]: call["args"] for call in page.evaluate("window.__bridge")}
    return data, calls, bridge


def _check_config(page: Any, server: WechatServer, calls: dict[str, Any], bridge: Any) -> None:
    """wx.config got an appId, timestamp, nonce and signature the WeChat app accepts:
    the documented signature over the browser's own URL, with the stand-in's ticket."""
    (config,) = calls["config"]
    assert config["jsApiList"] == SHARE_APIS
    here = page.evaluate("location.href.split('#')[0]")
    assert config["appId"] == server.standin.app_id
    assert config["signature"] == documented_signature(
        ticket=server.standin.tickets[-1],
        noncestr=config["nonceStr"],
        timestamp=config["timestamp"],
        url=here,
    )
    verify = bridge["preVerifyJSAPI"]
    assert verify["verifyJsApiList"] == SHARE_APIS
    assert (verify["verifyAppId"], verify["verifySignature"]) == (
        config["appId"],
        config["signature"],
    )
    assert verify["verifyNonceStr"] == config["nonceStr"]
    assert verify["verifyTimestamp"] == str(config["timestamp"])


def test_in_chromium_the_real_sdk_gets_the_servers_config_and_the_starters_links(
    browser: Any, wechat_server: WechatServer
) -> None:
    outside: list[str] = []
    page = _wechat_page(browser, wechat_server, outside)
    demo = wechat_server.demo
    sign_in(page, demo, "wx-browser-starter")
    page.locator("form[action^='/c/'] button").first.click()
    page.wait_for_url(re.compile(r"/i/\d+\?notice=started"))
    instance_id = int(re.search(r"/i/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    data, calls, bridge = _registered(page)

    (config,) = calls["config"]
    assert {k: config[k] for k in ("appId", "timestamp", "nonceStr", "signature")} == {
        k: data[k] for k in ("appId", "timestamp", "nonceStr", "signature")
    }
    _check_config(page, wechat_server, calls, bridge)
    assert calls["ready"] == ["function"]
    (friend,) = calls["updateAppMessageShareData"]
    (timeline,) = calls["updateTimelineShareData"]
    assert friend == {
        "title": data["title"],
        "desc": data["desc"],
        "link": data["links"]["friend"],
        "imgUrl": "",
    }
    assert timeline == {"title": data["title"], "link": data["links"]["timeline"], "imgUrl": ""}
    title = page.locator("h1").inner_text()
    assert data["title"] == title
    # What reached the WeChat app: the starter's own signed links, one per channel.
    settings = make_settings(demo.db_url)
    for name, channel in (
        ("updateAppMessageShareData", "friend"),
        ("updateTimelineShareData", "timeline"),
    ):
        sent = bridge[name]
        assert sent["title"] == title
        assert sent["verifySignature"] == config["signature"]
        link = urlsplit(sent["link"])
        assert f"{link.scheme}://{link.netloc}" == demo.url
        claims = invites.verify_share_token(
            settings, link.path.removeprefix("/s/"), now=clock.utcnow()
        )
        assert (claims.instance_id, claims.channel) == (instance_id, channel)
    assert bridge["updateAppMessageShareData"]["desc"] == data["desc"]
    assert outside == []


def test_in_chromium_a_friend_in_wechat_shares_the_page_and_needs_no_share_to_help(
    browser: Any, wechat_server: WechatServer
) -> None:
    demo = wechat_server.demo
    outside: list[str] = []
    page = _wechat_page(browser, wechat_server, outside)
    # The seeded bargain, seen by a signed-in friend; an empty "?" makes the browser's
    # URL differ from the one the server signed, so the page asks the API for its own.
    sign_in(page, demo, "wx-browser-friend")
    instance_id = demo.instance_of("alice", "bargain")["id"]
    page.goto(f"{demo.url}/i/{instance_id}?")
    data, calls, bridge = _registered(page)
    assert data["url"] == f"{demo.url}/i/{instance_id}"
    assert page.evaluate("location.href") == f"{demo.url}/i/{instance_id}?"
    _check_config(page, wechat_server, calls, bridge)
    assert calls["config"][0]["signature"] != data["signature"]  # signed again, for "…?"
    page_link = f"{demo.url}/i/{instance_id}"
    assert bridge["updateAppMessageShareData"]["link"] == page_link
    assert bridge["updateTimelineShareData"]["link"] == page_link
    # Helping never waits for a share: the assist button is there and enabled.
    assist = page.locator("[data-assist]")
    assert assist.is_visible()
    assert assist.is_enabled()
    assert outside == []
