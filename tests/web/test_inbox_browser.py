"""The inbox in a real Chromium at phone size (390×844), in Simplified Chinese, against
the demo server: a starter whose assist an owner voided sees the notice — the reason
in it — with the unread badge in the header, and marks it read."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx

from huzhu.seed import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD
from tests.web.conftest import Demo, accessibility_problems, sign_in

PHONE = {"width": 390, "height": 844}
REASON = "来自刷单工具"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _voided_assist_for(demo: Demo, starter: str) -> int:
    """A bargain `starter` started, one assist on it, voided by the owner: the instance."""
    campaign_id = demo.instance_of("alice", "bargain")["campaign_id"]
    started = httpx.post(
        f"{demo.url}/api/v1/campaigns/{campaign_id}/instances",
        headers=_bearer(demo.participant_token(starter)),
        timeout=30,
    )
    assert started.status_code == 201, started.text
    instance_id = int(started.json()["id"])
    given = httpx.post(
        f"{demo.url}/api/v1/instances/{instance_id}/assists",
        headers=_bearer(demo.participant_token(f"{starter}-helper")),
        timeout=30,
    )
    assert given.status_code == 201, given.text
    owner = httpx.post(
        f"{demo.url}/api/v1/auth/login",
        json={"email": DEMO_OWNER_EMAIL, "password": DEMO_OWNER_PASSWORD},
        timeout=30,
    ).json()["token"]
    voided = httpx.post(
        f"{demo.url}/api/v1/assists/{given.json()['assist_id']}/void",
        headers=_bearer(owner),
        json={"reason": REASON},
        timeout=30,
    )
    assert voided.status_code == 200, voided.text
    return instance_id


def test_a_starter_reads_a_voided_assist_notice_on_a_phone_and_marks_it_read(
    demo: Demo, browser: Any, tmp_path: Path
) -> None:
    _voided_assist_for(demo, "inbox-phone")
    context = browser.new_context(locale="zh-CN", viewport=PHONE, device_scale_factor=2)
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        sign_in(page, demo, "inbox-phone", next_path="/")
        # The badge is in the header of any page, not only the inbox's.
        badge = page.locator("header [data-unread-badge]")
        assert badge.get_attribute("data-unread-badge") == "1"
        # A screen reader hears the count in words, not a bare number.
        assert badge.locator(".visually-hidden").text_content() == "1 条未读"
        page.locator("header a[href='/me/inbox']").click()
        page.wait_for_url(re.compile(r"/me/inbox$"))
        notice = page.locator("[data-message]").first
        assert notice.get_attribute("data-read") == "no"
        assert "助力被移除" in notice.inner_text()
        assert REASON in notice.inner_text()
        assert accessibility_problems(page) == []
        # Nothing sticks out sideways on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot = tmp_path / "inbox-phone-zh.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")

        page.locator("[data-mark-all-read]").click()
        page.wait_for_url(re.compile(r"notice=inbox_read"))
        assert "你的消息已全部标为已读。" in page.locator("[role=status].notice").inner_text()
        assert page.locator("[data-message]").first.get_attribute("data-read") == "yes"
        assert page.locator("header [data-unread-badge]").count() == 0
    finally:
        context.close()


def test_a_participant_reads_the_inbox_in_chinese_and_mutes_a_kind_on_a_phone(
    demo: Demo, browser: Any, tmp_path: Path
) -> None:
    """The message is stored as a kind and its facts and read in the page's language:
    the title in Chinese although nobody wrote it in Chinese; then one kind is muted
    from the form, and decisions on one's account cannot be unticked."""
    _voided_assist_for(demo, "inbox-mute")
    context = browser.new_context(locale="zh-CN", viewport=PHONE, device_scale_factor=2)
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        sign_in(page, demo, "inbox-mute", next_path="/me/inbox")
        notice = page.locator("[data-message]").first
        assert notice.locator("h2").inner_text() == "已移除的助力：1"
        assert f"原因：{REASON}" in notice.inner_text()
        form = page.locator("[data-inbox-preferences]")
        form.locator("summary").click()
        assert form.locator("[data-kind-box=enforcement]").is_disabled()
        assert form.locator("[data-kind-box=enforcement]").is_checked()
        form.locator("[data-kind-box=assist_received]").uncheck()
        form.locator("[data-summary]").select_option("daily")
        assert accessibility_problems(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot = tmp_path / "inbox-mute-zh.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")
        form.locator("[data-save-inbox-preferences]").click()
        page.wait_for_url(re.compile(r"notice=inbox_preferences_saved"))
        assert "你的收件箱设置已保存。" in page.locator("[role=status].notice").inner_text()
        form = page.locator("[data-inbox-preferences]")
        assert not form.locator("[data-kind-box=assist_received]").is_checked()
        assert form.locator("[data-kind-box=draw_result]").is_checked()
        saved = httpx.get(
            f"{demo.url}/api/v1/me/inbox/preferences",
            headers=_bearer(demo.participant_token("inbox-mute")),
            timeout=30,
        ).json()
        assert (saved["muted_kinds"], saved["summary"]) == (["assist_received"], "daily")
    finally:
        context.close()
