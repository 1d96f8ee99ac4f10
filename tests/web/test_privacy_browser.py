"""A person's own data in a real Chromium at phone size (390×844), in Simplified
Chinese, against the demo server: from "my activities" to the export page, which shows
the assist they gave to a friend's activity and their invite preferences, and downloads
the same JSON document the API gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.web.conftest import Demo, accessibility_problems, sign_in

PHONE = {"width": 390, "height": 844}


def _fits_the_phone(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert accessibility_problems(page) == []


def test_a_person_reads_and_downloads_their_data_on_a_phone(
    demo: Demo, browser: Any, tmp_path: Path
) -> None:
    name = "privacy-export-phone"
    token = demo.participant_token(name)
    friend = {"Authorization": f"Bearer {demo.participant_token('privacy-export-friend')}"}
    bargain = demo.instance_of("alice", "bargain")["campaign_id"]
    with httpx.Client(base_url=demo.url, timeout=30) as client:
        started = client.post(f"/api/v1/campaigns/{bargain}/instances", headers=friend)
        assert started.status_code == 201, started.text
        target = started.json()["id"]
        given = client.post(
            f"/api/v1/instances/{target}/assists", headers={"Authorization": f"Bearer {token}"}
        )
        assert given.status_code in (201, 202), given.text
    context = browser.new_context(locale="zh-CN", viewport=PHONE, device_scale_factor=2)
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        sign_in(page, demo, name, next_path="/me")
        page.locator("[data-export-link]").click()
        page.wait_for_url(f"{demo.url}/me/export")
        assert page.locator("h1").inner_text() == "我的数据"
        assert page.locator("#given-h + .table-wrap td").first.inner_text() == f"#{target}"
        account_id = page.locator("[data-export-account]").inner_text()
        # The considerate default: only people they helped or who helped them.
        assert "只有我帮助过或帮助过我的人" in page.locator("#prefs-h ~ dl").inner_text()
        _fits_the_phone(page)
        shot = tmp_path / "export-phone-zh.png"
        page.screenshot(path=str(shot), full_page=True, scale="css")
        print(f"screenshot: {shot}")

        with page.expect_download() as download:
            page.locator("[data-export-json]").click()
        saved = tmp_path / "my-data.json"
        download.value.save_as(saved)
        document = json.loads(saved.read_text(encoding="utf-8"))
        assert document["account"]["id"] == int(account_id)
        assert document["format"] == "huzhu.export.v1"
        assert [a["instance_id"] for a in document["assists_given"]] == [target]
    finally:
        context.close()


def test_a_person_deletes_their_account_after_ticking_the_box(
    demo: Demo, browser: Any, tmp_path: Path
) -> None:
    name = "privacy-delete-phone"
    context = browser.new_context(locale="zh-CN", viewport=PHONE, device_scale_factor=2)
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        sign_in(page, demo, name, next_path="/me/export")
        page.locator("[data-delete-link]").click()
        page.wait_for_url(f"{demo.url}/me/delete")
        assert page.locator("h1").inner_text() == "删除我的账号"
        assert "仍为好友计数" in page.locator("#stays-h + ul").inner_text()
        _fits_the_phone(page)
        shot = tmp_path / "delete-phone-zh.png"
        page.screenshot(path=str(shot), full_page=True, scale="css")
        print(f"screenshot: {shot}")

        # The button alone deletes nothing.
        page.locator("[data-delete-account]").click()
        page.wait_for_url(f"{demo.url}/me/delete?error=delete_not_confirmed")
        assert page.locator(".error-box").inner_text() == "请先勾选确认，再按按钮。"

        page.check("#f-confirm")
        page.locator("[data-delete-account]").click()
        page.wait_for_url(f"{demo.url}/?notice=account_deleted")
        assert "你的账号已删除" in page.locator(".notice").inner_text()
        _fits_the_phone(page)
        shot = tmp_path / "deleted-phone-zh.png"
        page.screenshot(path=str(shot), full_page=True, scale="css")
        print(f"screenshot: {shot}")
        # Signed out: my pages ask to sign in again.
        page.goto(f"{demo.url}/me")
        assert page.url.startswith(f"{demo.url}/signin")
    finally:
        context.close()


def test_a_helper_ticks_the_box_and_the_starter_sees_their_name(
    demo: Demo, browser: Any, tmp_path: Path
) -> None:
    """On a phone, in Chinese: assist a friend's activity, then tick "let the starter
    see my name" and save; the starter's list of who helped names the helper."""
    starter = {"Authorization": f"Bearer {demo.participant_token('consent-starter-phone')}"}
    bargain = demo.instance_of("alice", "bargain")["campaign_id"]
    with httpx.Client(base_url=demo.url, timeout=30) as client:
        started = client.post(f"/api/v1/campaigns/{bargain}/instances", headers=starter)
        assert started.status_code == 201, started.text
        target = started.json()["id"]
        # The helper's account with a display name (the demo's page sign-in keeps none).
        signed = client.post(
            "/api/v1/auth/participant",
            json={"shop": "demo", "subject": "consent-helper-phone", "display_name": "小林"},
        )
        assert signed.status_code == 200, signed.text
    context = browser.new_context(locale="zh-CN", viewport=PHONE, device_scale_factor=2)
    context.add_cookies([{"name": "huzhu_p", "value": signed.json()["token"], "url": demo.url}])
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{demo.url}/i/{target}")
        page.locator("[data-assist]").click()
        page.wait_for_url(f"{demo.url}/i/{target}?notice=*")
        box = page.locator("[data-name-consent] input[type=checkbox]")
        assert not box.is_checked()
        box.check()
        page.locator("[data-name-consent] button[type=submit]").click()
        page.wait_for_url(f"{demo.url}/i/{target}?notice=name_shown")
        assert page.locator("[data-name-consent] input[type=checkbox]").is_checked()
        assert "发起人可以看到你" in page.locator(".notice").inner_text()
        _fits_the_phone(page)
        shot = tmp_path / "name-consent-phone-zh.png"
        page.screenshot(path=str(shot), full_page=True, scale="css")
        print(f"screenshot: {shot}")
    finally:
        context.close()
    with httpx.Client(base_url=demo.url, timeout=30) as client:
        helpers = client.get(f"/api/v1/me/instances/{target}/helpers", headers=starter)
    assert helpers.status_code == 200, helpers.text
    assert [(h["name"], h["named"]) for h in helpers.json()] == [("小林", True)]
