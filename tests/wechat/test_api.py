"""The WeChat routes through the app, WeChat played by the stand-in over real HTTP:
the JS-SDK config, the snsapi_base sign-in (openid kept only as a keyed hash), the
participant's switch for WeChat messages, and the problems each failure becomes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from huzhu.app import create_app
from huzhu.wechat import rules, service
from tests.conftest import make_settings
from tests.factories import auth
from tests.wechat.conftest import WechatEnv

PAGE = "http://testserver/s/abc?from=timeline"


@pytest.fixture
def client(wx: WechatEnv) -> Iterator[TestClient]:
    with TestClient(create_app(wx.settings), raise_server_exceptions=False) as c:
        yield c


def test_jssdk_config_signs_the_page_with_the_shared_ticket(
    wx: WechatEnv, client: TestClient
) -> None:
    resp = client.get("/api/v1/wechat/jssdk-config", params={"url": PAGE + "#share"})
    assert resp.status_code == 200, resp.text
    cfg = resp.json()
    assert set(cfg) == {"appId", "timestamp", "nonceStr", "signature"}
    assert cfg["appId"] == wx.standin.app_id
    (ticket,) = wx.standin.tickets
    assert cfg["signature"] == rules.jssdk_signature(
        ticket=ticket, noncestr=cfg["nonceStr"], timestamp=cfg["timestamp"], url=PAGE
    )
    for _ in range(5):
        assert client.get("/api/v1/wechat/jssdk-config", params={"url": PAGE}).status_code == 200
    assert wx.standin.counters["cgi-bin/token"] == 1
    assert wx.standin.counters["cgi-bin/ticket/getticket"] == 1


def test_jssdk_config_is_refused_for_other_sites_pages(wx: WechatEnv, client: TestClient) -> None:
    resp = client.get("/api/v1/wechat/jssdk-config", params={"url": "https://evil.example/x"})
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["code"] == "page_url_not_allowed"
    assert wx.standin.counters["cgi-bin/ticket/getticket"] == 0


def test_wechat_failures_are_a_502_problem_without_secrets(
    wx: WechatEnv, client: TestClient
) -> None:
    wx.standin.fail("cgi-bin/token", 45009)
    resp = client.get("/api/v1/wechat/jssdk-config", params={"url": PAGE})
    assert resp.status_code == 502
    body = resp.json()
    assert body["code"] == "wechat_unavailable"
    assert wx.standin.app_secret not in resp.text
    assert "access_token" not in resp.text
    assert int(resp.headers["Retry-After"]) >= 30


def test_wechat_routes_say_so_when_wechat_is_not_configured(sqlite_url: str) -> None:
    with TestClient(create_app(make_settings(sqlite_url))) as c:
        resp = c.get("/api/v1/wechat/jssdk-config", params={"url": "http://testserver/"})
        assert resp.status_code == 404
        assert resp.json()["code"] == "wechat_disabled"
        resp = c.get("/api/v1/wechat/oauth/authorize", params={"shop": "x"})
        assert resp.status_code == 404
        assert resp.json()["code"] == "wechat_disabled"


def _sign_in(
    wx: WechatEnv, client: TestClient, *, notify: bool = False, next: str = "/s/abc"
) -> tuple[str, str]:
    """Run the browser's side of the flow; returns (Location of the last redirect, code)."""
    resp = client.get(
        "/api/v1/wechat/oauth/authorize",
        params={"shop": wx.shop_slug, "next": next, "notify": str(notify).lower()},
        follow_redirects=False,
    )
    assert resp.status_code == 302, resp.text
    authorize = resp.headers["location"]
    assert authorize.startswith(wx.standin.url + "/connect/oauth2/authorize?")
    assert authorize.endswith("#wechat_redirect")
    query = parse_qs(urlsplit(authorize).query)
    assert query["scope"] == ["snsapi_base"]
    assert query["state"][0].isalnum()
    assert len(query["state"][0]) <= 128
    # WeChat's side, over a real connection to the stand-in.
    back = httpx.get(authorize.split("#")[0], follow_redirects=False)
    assert back.status_code == 302
    callback = back.headers["location"]
    assert callback.startswith("http://testserver/api/v1/wechat/oauth/callback?")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    done = client.get(callback, follow_redirects=False)
    assert done.status_code == 303, done.text
    return done.headers["location"], code


def _token_from(location: str) -> tuple[str, int]:
    _path, _, fragment = location.partition("#")
    values = parse_qs(fragment)
    return values["huzhu_token"][0], int(values["account_id"][0])


def test_sign_in_makes_a_pseudonymous_participant_and_keeps_no_openid(
    wx: WechatEnv, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    location, _ = _sign_in(wx, client)
    assert location.startswith("/s/abc#huzhu_token=hzp.")
    token, account_id = _token_from(location)
    me = client.get("/api/v1/wechat/notifications", headers=auth(token))
    assert me.status_code == 200
    assert me.json() == {"enabled": False}
    # The same WeChat user signing in again is the same participant.
    again, _ = _sign_in(wx, client)
    assert _token_from(again)[1] == account_id
    # The openid is nowhere: not in any table, not in any log line.
    openid = wx.standin.user_openid
    with wx.db.unit_of_work() as s:
        dump = [str(row) for row in s.execute(text("SELECT * FROM account")).all()]
        dump += [str(row) for row in s.execute(text("SELECT * FROM wechat_recipient")).all()]
    assert dump
    assert not any(openid in row for row in dump)
    assert openid not in caplog.text
    assert wx.standin.app_secret not in caplog.text


def test_sign_in_with_notify_keeps_a_sealed_openid_until_turned_off(
    wx: WechatEnv, client: TestClient
) -> None:
    location, _ = _sign_in(wx, client, notify=True)
    token, account_id = _token_from(location)
    assert client.get("/api/v1/wechat/notifications", headers=auth(token)).json() == {
        "enabled": True
    }
    with wx.db.unit_of_work() as s:
        sealed = s.execute(
            text("SELECT openid_sealed FROM wechat_recipient WHERE account_id = :a"),
            {"a": account_id},
        ).scalar_one()
        events = s.execute(text("SELECT type FROM event ORDER BY id")).scalars().all()
    assert wx.standin.user_openid not in sealed
    assert "wechat.notifications_enabled" in events
    off = client.delete("/api/v1/wechat/notifications", headers=auth(token))
    assert off.status_code == 200
    assert off.json() == {"enabled": False}
    with wx.db.unit_of_work() as s:
        left = s.execute(text("SELECT count(*) FROM wechat_recipient")).scalar_one()
        events = s.execute(text("SELECT type FROM event ORDER BY id")).scalars().all()
    assert left == 0
    assert events[-1] == "wechat.notifications_disabled"


def test_next_cannot_send_the_browser_to_another_site(wx: WechatEnv, client: TestClient) -> None:
    location, _ = _sign_in(wx, client, next="//evil.example/steal")
    assert location.startswith("/#huzhu_token=")


def test_a_callback_not_started_by_this_browser_is_refused(
    wx: WechatEnv, client: TestClient
) -> None:
    resp = client.get(
        "/api/v1/wechat/oauth/authorize", params={"shop": wx.shop_slug}, follow_redirects=False
    )
    state = parse_qs(urlsplit(resp.headers["location"]).query)["state"][0]
    code = wx.standin.issue_code()
    # Another browser (no cookie) with a genuine state and code: login CSRF.
    with TestClient(client.app, raise_server_exceptions=False) as stranger:
        other = stranger.get(
            "/api/v1/wechat/oauth/callback",
            params={"code": code, "state": state},
            follow_redirects=False,
        )
    assert other.status_code == 400
    assert other.json()["code"] == "wechat_state_invalid"
    # This browser with a state that is not the one issued.
    forged = client.get(
        "/api/v1/wechat/oauth/callback",
        params={"code": code, "state": "0" * 32},
        follow_redirects=False,
    )
    assert forged.status_code == 400
    assert forged.json()["code"] == "wechat_state_invalid"
    assert wx.standin.counters["sns/oauth2/access_token"] == 0  # WeChat never asked


def test_a_bad_or_used_code_is_a_400_problem(wx: WechatEnv, client: TestClient) -> None:
    _, used_code = _sign_in(wx, client)
    for code in (used_code, "made-up-code"):
        resp = client.get(
            "/api/v1/wechat/oauth/authorize", params={"shop": wx.shop_slug}, follow_redirects=False
        )
        state = parse_qs(urlsplit(resp.headers["location"]).query)["state"][0]
        bad = client.get(
            "/api/v1/wechat/oauth/callback",
            params={"code": code, "state": state},
            follow_redirects=False,
        )
        assert bad.status_code == 400, bad.text
        assert bad.json()["code"] == "wechat_code_invalid"
        assert code not in bad.text


def test_unknown_shop_is_a_404(wx: WechatEnv, client: TestClient) -> None:
    resp = client.get("/api/v1/wechat/oauth/authorize", params={"shop": "nope"})
    assert resp.status_code == 404
    assert resp.json()["code"] == "shop_not_found"


def test_share_pages_get_a_config_or_none_never_an_error(wx: WechatEnv) -> None:
    cfg = service.page_jssdk_config(wx.settings, wx.db.sessionmaker, url=PAGE)
    assert cfg is not None
    assert cfg.signature == rules.jssdk_signature(
        ticket=wx.standin.tickets[0], noncestr=cfg.nonce_str, timestamp=cfg.timestamp, url=PAGE
    )
    foreign = service.page_jssdk_config(wx.settings, wx.db.sessionmaker, url="https://x.example/")
    assert foreign is None
    off = wx.settings.model_copy(
        update={"wechat": wx.settings.wechat.model_copy(update={"app_id": None})}
    )
    assert service.page_jssdk_config(off, wx.db.sessionmaker, url=PAGE) is None
