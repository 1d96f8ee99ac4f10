"""Honest steps in a real Chromium at phone size (390×844), in Simplified Chinese and in
English, against the demo server: opening a team says its price on the button and, before
anything is held, what happens next; a block and a report ask first and say what follows,
and "Not now" changes nothing; a block lands on the person's mutes-and-blocks page, where
it is undone in one tap — and the assist it stopped goes through again."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from tests.factories import auth
from tests.web.conftest import Demo, accessibility_problems, sign_in

PHONE = {"width": 390, "height": 844}
WORDS = {
    "zh-CN": {
        "open": "开团：冻结 ¥{price}",
        "hold": "确认并冻结 ¥{price}",
        "blocked": "已屏蔽。",
        "unblocked": "已取消屏蔽。",
        "refused": "屏蔽",
        "not_told": "对方不会收到通知。",
        "no_take_back": "举报提交后无法撤回。",
    },
    "en-US": {
        "open": "Open a team: hold ¥{price}",
        "hold": "Confirm and hold ¥{price}",
        "blocked": "Blocked.",
        "unblocked": "Unblocked.",
        "refused": "blocked",
        "not_told": "They are not told.",
        "no_take_back": "A report cannot be taken back.",
    },
}


@pytest.fixture
def phone(browser: Any) -> Any:
    contexts: list[Any] = []

    def _make(locale: str) -> Any:
        context = browser.new_context(locale=locale, viewport=PHONE)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        return page

    yield _make
    for context in contexts:
        context.close()


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert accessibility_problems(page) == []


def _relations(demo: Demo, subject: str) -> dict[str, Any]:
    answer = httpx.get(
        f"{demo.url}/api/v1/me/relations", headers=auth(demo.participant_token(subject)), timeout=30
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_opening_a_team_says_its_price_and_what_happens_next_before_holding_it(
    demo: Demo, phone: Any, locale: str
) -> None:
    words = WORDS[locale]
    campaign_id = int(demo.instance_of("bo", "groupbuy")["campaign_id"])
    public = httpx.get(f"{demo.url}/api/v1/campaigns/{campaign_id}/public", timeout=30).json()
    price = f"{public['groupbuy']['group_price_cents'] / 100:.2f}"
    person = f"opener-{uuid.uuid4().hex[:6]}"
    page = phone(locale)
    sign_in(page, demo, person)
    button = page.locator(f"form[action='/c/{campaign_id}/start'] button")
    assert button.inner_text() == words["open"].format(price=price)
    button.click()
    assert page.locator("[data-confirm]").get_attribute("data-confirm") == "open_team"
    steps = page.locator("[data-next=open_team] li")
    assert steps.count() == 4
    assert f"¥{price}" in steps.first.inner_text()
    assert page.locator("[data-confirm-button]").inner_text() == words["hold"].format(price=price)
    _fits(page)
    # "Not now" holds nothing.
    page.locator("[data-cancel]").click()
    assert demo.instances_of(person) == []
    button.click()
    page.locator("[data-confirm-button]").click()
    page.wait_for_url(re.compile(r"/i/\d+\?notice=started"))
    (team,) = demo.instances_of(person)
    assert team["kind"] == "groupbuy"


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_a_block_asks_first_lands_on_my_page_and_is_undone_in_one_tap(
    demo: Demo, phone: Any, locale: str
) -> None:
    words = WORDS[locale]
    tag = uuid.uuid4().hex[:6]
    sender, friend = f"block-sender-{tag}", f"block-friend-{tag}"
    bearer = demo.participant_token(sender)
    campaign_id = int(demo.instance_of("alice", "bargain")["campaign_id"])
    instance = httpx.post(
        f"{demo.url}/api/v1/campaigns/{campaign_id}/instances", headers=auth(bearer), timeout=30
    ).json()
    link = httpx.post(
        f"{demo.url}/api/v1/instances/{instance['id']}/share-links",
        headers=auth(bearer),
        json={"channel": "friend"},
        timeout=30,
    ).json()
    share = f"/s/{link['token']}"
    page = phone(locale)
    sign_in(page, demo, friend, next_path=share)

    # A report and a block ask first, saying what follows (a report cannot be taken
    # back; the sender is not told of a block); "Not now" does neither.
    for action, said in (("report", words["no_take_back"]), ("block", words["not_told"])):
        page.locator(f"[data-sender-action={action}]").click()
        assert page.locator("[data-confirm]").get_attribute("data-confirm") == action
        assert said in page.locator(f"[data-next={action}]").inner_text()
        _fits(page)
        page.locator("[data-cancel]").click()
        page.wait_for_url(re.compile(re.escape(share) + "$"))
    assert _relations(demo, friend)["blocked"] == []

    page.locator("[data-sender-action=block]").click()
    page.locator("[data-confirm-button]").click()
    page.wait_for_url(re.compile(r"/me/relations\?notice=blocked"))
    assert page.locator(".notice").inner_text().startswith(words["blocked"])
    row = page.locator("[data-relation=block]")
    assert row.count() == 1
    assert row.locator("time").count() == 1
    sender_id = int(row.get_attribute("data-other") or "0")
    assert _relations(demo, friend)["blocked"] == [sender_id]
    _fits(page)

    # Blocked: the friend's assist on the sender's bargain is refused.
    page.locator("[data-back]").click()
    page.wait_for_url(re.compile(rf"/i/{instance['id']}$"))
    page.locator("[data-assist]").click()
    page.wait_for_url(re.compile(r"error=blocked"))
    assert words["refused"] in page.locator(".error-box").inner_text()

    # Undone from My activities → Mutes and blocks, in one tap.
    page.goto(f"{demo.url}/me")
    page.locator("[data-relations-link]").click()
    page.locator("[data-undo=block]").click()
    page.wait_for_url(re.compile(r"/me/relations\?notice=unblocked"))
    assert page.locator(".notice").inner_text().startswith(words["unblocked"])
    assert page.locator("[data-relation]").count() == 0
    assert page.locator("[data-none=block]").count() == 1
    assert _relations(demo, friend)["blocked"] == []
    page.goto(f"{demo.url}/i/{instance['id']}")
    page.locator("[data-assist]").click()
    page.wait_for_url(re.compile(r"notice=(counted|held)"))
