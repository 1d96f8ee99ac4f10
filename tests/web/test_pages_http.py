"""Page behaviour that needs no browser, in-process over ASGI on a migrated database with
the demo seed: security headers and cookie flags, no open redirects, the closed sign-in,
and link previews that carry the honest numbers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from huzhu.app import create_app
from huzhu.db import Database
from huzhu.seed import seed_demo
from tests.conftest import make_settings


def _client(url: str, **overrides: Any) -> Iterator[TestClient]:
    settings = make_settings(url, jobs={"run_in_process": False}, **overrides)
    db = Database(settings.db)
    try:
        seed_demo(db, settings)
    finally:
        db.dispose()
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        yield client


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    yield from _client(sqlite_url)


def _csrf(client: TestClient, path: str) -> str:
    page = client.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def test_pages_send_security_headers_and_a_strict_csrf_cookie(client: TestClient) -> None:
    page = client.get("/i/1", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("huzhu_csrf=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie


def test_sign_in_never_redirects_off_site(client: TestClient) -> None:
    token = _csrf(client, "/signin")
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        answer = client.post(
            "/signin",
            data={"csrf_token": token, "name": "redirect-check", "shop": "demo", "next": target},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/?"), target
    switched = client.get("/lang/en?next=https://evil.example/", follow_redirects=False)
    assert switched.headers["location"] == "/"


def test_the_instance_page_previews_its_honest_numbers(client: TestClient) -> None:
    api = client.get("/api/v1/instances/1").json()
    page = client.get("/i/1", headers={"Accept-Language": "en"}).text
    preview = re.search(r'<meta property="og:description" content="([^"]+)"', page)
    assert preview is not None
    cents = api["cents_remaining"]
    assert f"¥{cents // 100:,}.{cents % 100:02d} still to cut" in preview.group(1)
    assert f"at most {api['helpers_still_needed']} more helpers" in preview.group(1)


def test_the_demo_sign_in_is_refused_when_the_local_login_is_closed(sqlite_url: str) -> None:
    for client in _client(sqlite_url, accounts={"local_login_open": False}):
        form = client.get("/signin", headers={"Accept-Language": "en"})
        assert form.status_code == 403
        assert "turned off" in form.text
        assert 'name="name"' not in form.text
        # A valid CSRF token (from any form of the site) does not open it either.
        token = _csrf(client, "/console/login")
        answer = client.post(
            "/signin",
            data={"csrf_token": token, "name": "x", "shop": "demo", "next": "/"},
            follow_redirects=False,
        )
        assert answer.status_code == 403
        assert "huzhu_p=" not in answer.headers.get("set-cookie", "")


@pytest.mark.parametrize("path", ["/i/abc", "/i/99999999999999999999", "/i/424242", "/s/x.y"])
def test_a_page_that_names_nothing_is_an_html_404(client: TestClient, path: str) -> None:
    answer = client.get(path, headers={"Accept-Language": "en"})
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "<h1>" in answer.text


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize("path", ["/no-such-page", "/me/nothing/here", "/static/web/gone.js"])
def test_a_browser_asking_for_an_unknown_path_gets_the_html_404_page(
    client: TestClient, path: str
) -> None:
    answer = client.get(path, headers={"Accept": BROWSER_ACCEPT, "Accept-Language": "zh-CN"})
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["cache-control"] == "no-store"
    assert '<html lang="zh-CN">' in answer.text
    assert "<h1>未找到</h1>" in answer.text
    assert "<code data-code>not_found</code>" in answer.text


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/api/v1/no-such-thing", BROWSER_ACCEPT),  # the API answers in JSON even to a browser
        ("/api", BROWSER_ACCEPT),
        ("/no-such-page", "application/json"),
        ("/no-such-page", "*/*"),  # curl, scripts
        ("/no-such-page", ""),
    ],
)
def test_api_paths_and_non_html_clients_keep_problem_json_for_unknown_paths(
    client: TestClient, path: str, accept: str
) -> None:
    answer = client.get(path, headers={"Accept": accept} if accept else {})
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["code"] == "not_found"
    assert body["instance"] == path


def test_a_wrong_method_stays_problem_json_with_its_allow_header(client: TestClient) -> None:
    answer = client.delete("/healthz", headers={"Accept": BROWSER_ACCEPT})
    assert answer.status_code == 405
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["allow"] == "GET"


def test_pages_show_times_in_the_site_zone_and_say_which_once(client: TestClient) -> None:
    api = client.get("/api/v1/instances/1").json()
    page = client.get("/i/1", headers={"Accept-Language": "en"}).text
    local = datetime.fromisoformat(api["expires_at"]).astimezone(ZoneInfo("Asia/Shanghai"))
    assert f"{local:%Y-%m-%d %H:%M}" in page
    # The zone is named beside the first time, not appended to every one.
    assert page.count("(Asia/Shanghai)") == 1
