"""Spending guardrails in a real Chromium at phone size (390×844), in Simplified Chinese,
against the demo server: a person about to join a team sees one confirmation with their
real numbers, joins, lowers their own daily limit, and at the next team is refused
politely — the limit, what is used and when it resets — with no button to pay; then
reads their weekly summary, the ledger's figures, in the inbox."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx

from huzhu.accounts import service as accounts
from huzhu.assists.spending import service as spending
from huzhu.assists.spending import tasks
from huzhu.db import Database
from huzhu.kit import clock
from tests.conftest import make_settings
from tests.factories import confirmed
from tests.web.conftest import Demo, accessibility_problems, sign_in

PHONE = {"width": 390, "height": 844}


def _team_led_by(demo: Demo, leader: str, campaign_id: int) -> int:
    with httpx.Client(base_url=demo.url, timeout=30) as client:
        token = demo.participant_token(leader)
        opened = client.post(
            f"/api/v1/campaigns/{campaign_id}/teams",
            headers=confirmed(client, token, "open_team", campaign_id),
        )
    assert opened.status_code == 201, opened.text
    return int(opened.json()["team"]["team_id"])


def _send_this_weeks_summary(demo: Demo, subject: str) -> None:
    account_id = int(
        httpx.post(
            f"{demo.url}/api/v1/auth/participant",
            json={"shop": "demo", "subject": subject},
            timeout=30,
        ).json()["account_id"]
    )
    settings = make_settings(demo.db_url)
    db = Database(settings.db)
    try:
        with db.unit_of_work() as s:
            account = accounts.get_account(s, account_id)
            assert account is not None
            shop_id = account.shop_id
            since, until = spending.summary_period(
                settings, length="week", previous=False, now=clock.utcnow()
            )
            tasks.send(
                s,
                settings,
                {
                    "frequency": "weekly",
                    "since": since.isoformat(),
                    "until": until.isoformat(),
                    "shop_id": shop_id,
                    "account_id": account_id,
                },
            )
    finally:
        db.dispose()


def _fits_the_phone(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert accessibility_problems(page) == []


def test_a_person_confirms_with_real_numbers_lowers_a_limit_and_is_refused_kindly(
    demo: Demo, browser: Any, tmp_path: Path
) -> None:
    campaign_id = int(demo.instance_of("bo", "groupbuy")["campaign_id"])
    first, second = (_team_led_by(demo, f"guard-lead-{n}", campaign_id) for n in (1, 2))
    context = browser.new_context(locale="zh-CN", viewport=PHONE, device_scale_factor=2)
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        sign_in(page, demo, "guard-phone", next_path=f"/i/{first}")
        page.locator("[data-join]").click()

        # One confirmation, every number from the ledger: nothing yet for a new person.
        assert page.locator("[data-confirm]").get_attribute("data-confirm") == "join_team"
        price = int(page.locator("[data-amount]").get_attribute("data-amount") or "0")
        assert price > 0
        for number in ("today", "week", "month", "on-hold", "in-progress"):
            assert page.locator(f"[data-{number}]").get_attribute(f"data-{number}") == "0"
        assert "不邀请任何人" in page.locator("[data-alone]").inner_text()
        # A team's order is only held: the button says so, with the amount.
        assert (
            page.locator("[data-confirm-button]").inner_text() == f"确认并冻结 ¥{price / 100:.2f}"
        )
        _fits_the_phone(page)
        shot = tmp_path / "confirmation-phone-zh.png"
        page.screenshot(path=str(shot), full_page=True, scale="css")
        print(f"screenshot: {shot}")
        page.locator("[data-confirm-button]").click()
        page.wait_for_url(re.compile(rf"/i/{first}\b.*notice="))

        # The person lowers their own daily limit to ¥10; it applies at once.
        page.goto(f"{demo.url}/me/spending")
        row = page.locator("tr[data-cap=daily_spend_cents]")
        assert row.get_attribute("data-used") == str(price)
        page.fill("#cap-daily_spend_cents", "10")
        page.locator("[data-save-caps]").click()
        page.wait_for_url(re.compile(r"notice=caps_saved"))
        assert page.locator("tr[data-cap=daily_spend_cents]").get_attribute("data-limit") == "1000"
        _fits_the_phone(page)

        # At the next team: refused kindly, with the numbers, and no way to pay.
        page.goto(f"{demo.url}/i/{second}")
        page.locator("[data-join]").click()
        assert page.locator("h1").inner_text() == "暂时不能继续：有一项限制"
        refusal = page.locator("[data-refused=cap_reached]")
        text = refusal.inner_text()
        assert "¥10.00" in text
        assert f"¥{price / 100:.2f}" in text
        assert "重置" in text
        assert page.locator("[data-confirm-button]").count() == 0
        assert page.locator("tr[data-cap=daily_spend_cents].over").count() == 1
        assert page.locator("[data-today]").get_attribute("data-today") == str(price)
        assert page.locator("[data-on-hold]").get_attribute("data-on-hold") == str(price)
        assert page.locator("[data-in-progress]").get_attribute("data-in-progress") == "1"
        _fits_the_phone(page)
        shot = tmp_path / "refused-phone-zh.png"
        page.screenshot(path=str(shot), full_page=True, scale="css")
        print(f"screenshot: {shot}")

        # The person also starts a bargain (no money moves), then reads the week's
        # summary, sent by the summary job's own handler, in the inbox.
        bargain = demo.instance_of("alice", "bargain")["campaign_id"]
        started = httpx.post(
            f"{demo.url}/api/v1/campaigns/{bargain}/instances",
            headers={"Authorization": f"Bearer {demo.participant_token('guard-phone')}"},
            timeout=30,
        )
        assert started.status_code == 201, started.text
        _send_this_weeks_summary(demo, "guard-phone")
        page.goto(f"{demo.url}/me/inbox")
        assert page.title().startswith("我的消息")
        assert "<" not in page.title()  # the page's title is words, not its form
        summary = page.locator("[data-message]", has=page.locator("[data-kind=reminder]")).first
        text = summary.inner_text()
        assert "本周数字小结" in text
        assert "发起的活动：1" in text
        assert "已扣款：¥0.00" in text  # the team's order is held, not charged
        _fits_the_phone(page)
        shot = tmp_path / "summary-phone-zh.png"
        page.screenshot(path=str(shot), full_page=True, scale="css")
        print(f"screenshot: {shot}")
    finally:
        context.close()
