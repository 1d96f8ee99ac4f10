"""Participant pages in a real Chromium against a real server holding the demo seed."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.web.conftest import Demo, accessibility_problems, sign_in


def _number(page: Any, selector: str, attribute: str) -> int:
    return int(page.locator(selector).get_attribute(attribute))


def test_helper_assists_on_the_instance_page_and_the_count_changes(
    demo: Demo, page_for: Any
) -> None:
    bargain = demo.instance_of("alice", "bargain")
    page = page_for("en-US")
    sign_in(page, demo, "web-helper-1", next_path=f"/i/{bargain['id']}")
    assert page.url.endswith(f"/i/{bargain['id']}?notice=signed_in")
    counted = _number(page, "[data-counted]", "data-counted")
    remaining = _number(page, "[data-cents-remaining]", "data-cents-remaining")
    needed = _number(page, "[data-helpers-needed]", "data-helpers-needed")
    assert counted == bargain["counted_count"]
    assert remaining == bargain["cents_remaining"]
    # A second tab of the same person, opened before the assist (a stale form).
    stale = page.context.new_page()
    stale.goto(f"{demo.url}/i/{bargain['id']}")

    page.locator("[data-assist]").click()
    page.wait_for_url(re.compile(r"notice=counted"))
    assert "your assist counted" in page.locator("[role=status].notice").inner_text()
    assert _number(page, "[data-counted]", "data-counted") == counted + 1
    assert _number(page, "[data-cents-remaining]", "data-cents-remaining") < remaining
    assert _number(page, "[data-helpers-needed]", "data-helpers-needed") == needed - 1
    # The page and the API agree: progress is the sum of counted assists.
    after = httpx.get(f"{demo.url}/api/v1/instances/{bargain['id']}", timeout=30).json()
    assert after["counted_count"] == counted + 1
    assert after["cents_remaining"] == _number(
        page, "[data-cents-remaining]", "data-cents-remaining"
    )

    # The page now says so instead of offering the button again.
    assert page.locator("[data-assist]").count() == 0
    assert page.locator("[data-taken]").get_attribute("data-taken") == "counted"
    # A second assist from the stale tab is refused with a clear message, nothing counted.
    stale.locator("[data-assist]").click()
    stale.wait_for_url(re.compile(r"error=already_assisted"))
    assert "one assist per person" in stale.locator("[role=alert]").inner_text()
    assert _number(stale, "[data-counted]", "data-counted") == counted + 1


def test_the_starter_sees_no_assist_button_and_is_never_asked_to_share(
    demo: Demo, page_for: Any
) -> None:
    unlock = demo.instance_of("gao", "unlock")
    page = page_for("en-US")
    sign_in(page, demo, "gao", next_path=f"/i/{unlock['id']}")
    assert page.locator("[data-assist]").count() == 0
    assert "This is your activity" in page.content()
    assert "Nothing on this page depends on sharing" in page.content()
    # Anonymous visitors see everything too, and are offered to sign in to assist.
    anonymous = page_for("en-US")
    anonymous.goto(f"{demo.url}/i/{unlock['id']}")
    assert (
        anonymous.locator("[data-assists]")
        .inner_text()
        .startswith(f"{unlock['progress_value']} / {unlock['target_value']}")
    )
    assert anonymous.get_by_role("link", name="Sign in to assist").is_visible()


def test_each_kind_shows_its_honest_disclosure_without_helper_names(
    demo: Demo, page_for: Any
) -> None:
    page = page_for("en-US")
    lottery = demo.instance_of("dan", "lottery")
    public = httpx.get(
        f"{demo.url}/api/v1/campaigns/{lottery['campaign_id']}/public", timeout=30
    ).json()
    page.goto(f"{demo.url}/i/{lottery['id']}")
    commitment = page.locator("[data-commitment]").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", commitment)
    assert commitment == public["lottery"]["commitment_hex"]
    assert _number(page, "[data-entries]", "data-entries") == lottery["progress_value"]
    assert "This changes as more people enter." in page.locator("[data-odds]").inner_text()

    team = demo.instance_of("bo", "groupbuy")
    members = httpx.get(f"{demo.url}/api/v1/teams/{team['id']}", timeout=30).json()["members"]
    assert 1 < members < 5  # the demo's team is partly filled
    page.goto(f"{demo.url}/i/{team['id']}")
    assert page.locator("[data-members]").inner_text().startswith(f"{members} / 5")
    assert "refunded in full" in page.locator("[data-refund-promise]").inner_text()

    unlock = demo.instance_of("gao", "unlock")
    page.goto(f"{demo.url}/i/{unlock['id']}")
    assert (
        page.locator("[data-assists]")
        .inner_text()
        .startswith(f"{unlock['progress_value']} / {unlock['target_value']}")
    )
    # The demo participants' display names exist in the database; no page shows them.
    for instance in (lottery, team, unlock):
        page.goto(f"{demo.url}/i/{instance['id']}")
        for name in ("Alice", "Bo 小波", "Chen", "Erin", "Fang", "Hui"):
            assert name not in page.content()


def test_pages_render_in_chinese_and_english_and_the_switch_sticks(
    demo: Demo, page_for: Any
) -> None:
    bargain = demo.instance_of("alice", "bargain")
    zh = page_for("zh-CN")
    zh.goto(f"{demo.url}/i/{bargain['id']}")
    assert zh.locator("html").get_attribute("lang") == "zh-CN"
    assert zh.get_by_text("最多还需助力人数").is_visible()
    en = page_for("en-US")
    en.goto(f"{demo.url}/i/{bargain['id']}")
    assert en.locator("html").get_attribute("lang") == "en"
    assert en.get_by_text("Most helpers still needed").is_visible()
    # The switch in the header overrides the browser's preference, on every page after.
    zh.get_by_role("link", name="English").click()
    zh.wait_for_url(re.compile(rf"/i/{bargain['id']}$"))
    assert zh.locator("html").get_attribute("lang") == "en"
    zh.goto(f"{demo.url}/signin")
    assert zh.get_by_label("Your name").is_visible()


def test_my_activities_and_spending_show_my_own_numbers(demo: Demo, page_for: Any) -> None:
    page = page_for("en-US")
    sign_in(page, demo, "chen", next_path="/me")
    started = page.locator("table[aria-labelledby=started-h] tbody tr")
    given = page.locator("table[aria-labelledby=given-h] tbody tr")
    assert started.count() == len(demo.instances_of("chen"))
    assert given.count() >= 1  # chen assisted alice's bargain
    page.goto(f"{demo.url}/me/spending")
    # chen's group-buy order is authorized (on hold), not charged: the team is not full.
    month = page.locator("[aria-labelledby=sp-month]")
    assert "¥49.00" in month.inner_text()
    assert page.locator("[data-spent-month]").get_attribute("data-spent-month") == "0"


def test_a_form_without_its_csrf_token_is_refused(demo: Demo, page_for: Any) -> None:
    page = page_for("en-US")
    bargain = demo.instance_of("fang", "bargain")
    sign_in(page, demo, "web-helper-csrf", next_path=f"/i/{bargain['id']}")
    page.eval_on_selector(
        "form[action$='/assist'] input[name=csrf_token]", "el => el.value = 'forged'"
    )
    page.locator("[data-assist]").click()
    page.wait_for_load_state()
    assert page.locator("[data-code]").inner_text() == "csrf_failed"
    after = httpx.get(f"{demo.url}/api/v1/instances/{bargain['id']}", timeout=30).json()
    assert after["counted_count"] == bargain["counted_count"]


def test_participant_pages_pass_the_accessibility_sanity_check(demo: Demo, page_for: Any) -> None:
    page = page_for("zh-CN")
    paths = ["/", "/signin"]
    paths += [f"/i/{i['id']}" for i in demo.instances_of("alice") + demo.instances_of("bo")]
    paths += [f"/i/{demo.instance_of('dan', 'lottery')['id']}"]
    sign_in(page, demo, "a11y-visitor")
    for path in [*paths, "/", "/me", "/me/spending"]:
        page.goto(f"{demo.url}{path}")
        assert accessibility_problems(page) == [], path


def test_invite_preferences_start_considerate_and_save_through_the_form(
    demo: Demo, page_for: Any
) -> None:
    page = page_for("en-US")
    sign_in(page, demo, "prefs-person", next_path="/me/preferences")
    assert page.locator("[data-default]").is_visible()
    assert page.get_by_label("Only people I have helped or who helped me").is_checked()
    assert accessibility_problems(page) == []

    # Out-of-range values are refused next to their field, nothing saved.
    page.get_by_label("At most this many invites a day").fill("500")
    page.get_by_label("Time zone").fill("Mars/Olympus")
    page.get_by_role("button", name="Save").click()
    assert page.locator("#f-daily_max").get_attribute("aria-invalid") == "true"
    assert page.locator("#e-daily_max").inner_text()
    assert accessibility_problems(page) == []
    page.get_by_label("At most this many invites a day").fill("2")
    page.get_by_role("button", name="Save").click()
    assert page.locator("#f-time_zone").get_attribute("aria-invalid") == "true"
    assert "time zone" in page.locator("#e-time_zone").inner_text()

    page.get_by_label("Nobody").check()
    page.get_by_label("Assist lottery").uncheck()
    page.get_by_label("From").fill("23:00")
    page.get_by_label("Until").fill("07:30")
    page.get_by_label("Time zone").fill("Asia/Shanghai")
    page.get_by_label("At most this many invites a day").fill("2")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"notice=preferences_saved"))
    assert page.get_by_label("Nobody").is_checked()
    assert not page.get_by_label("Assist lottery").is_checked()
    # The API reads back what the page saved.
    saved = httpx.get(
        f"{demo.url}/api/v1/me/invite-preferences",
        headers={"Authorization": f"Bearer {demo.participant_token('prefs-person')}"},
        timeout=30,
    ).json()
    assert saved["accept_from"] == "nobody"
    assert sorted(saved["kinds"]) == ["bargain", "groupbuy", "unlock"]
    assert (saved["quiet_start"], saved["quiet_end"], saved["daily_max"]) == ("23:00", "07:30", 2)
    assert saved["is_default"] is False


def test_the_starter_buys_a_bargain_at_its_floor_and_sees_it_in_spending(
    demo: Demo, page_for: Any
) -> None:
    bargain_campaign = demo.instance_of("alice", "bargain")["campaign_id"]
    starter = demo.participant_token("buyer-starter")
    started = httpx.post(
        f"{demo.url}/api/v1/campaigns/{bargain_campaign}/instances",
        headers={"Authorization": f"Bearer {starter}"},
        timeout=30,
    )
    assert started.status_code == 201, started.text
    instance = started.json()
    for n in range(instance["helpers_still_needed"]):
        path = f"/api/v1/instances/{instance['id']}/assists"
        given = demo.api(f"buyer-helper-{n}", "POST", path)
        assert given.status_code == 201, given.text
    page = page_for("en-US")
    sign_in(page, demo, "buyer-starter", next_path=f"/i/{instance['id']}")
    assert page.locator("[data-status]").get_attribute("data-status") == "succeeded"
    assert (
        "nothing is charged unless you buy" in page.locator("[data-purchase-window]").inner_text()
    )
    page.locator("[data-buy]").click()
    # One confirmation with the real numbers before any money moves.
    assert page.locator("[data-confirm]").get_attribute("data-confirm") == "buy_bargain"
    assert page.locator("[data-amount]").get_attribute("data-amount") == "9900"
    # …and what happens next: charged once, now; the activity is then complete.
    assert page.locator("[data-next=buy_bargain] li").first.inner_text() == (
        "You are charged ¥99.00 once, now."
    )
    assert page.locator("[data-confirm-button]").inner_text() == "Confirm and pay ¥99.00"
    page.locator("[data-confirm-button]").click()
    page.wait_for_url(re.compile(r"notice=bought"))
    assert page.locator("[data-status]").get_attribute("data-status") == "purchased"
    assert page.locator("[data-buy]").count() == 0
    page.goto(f"{demo.url}/me/spending")
    assert page.locator("[data-spent-week]").get_attribute("data-spent-week") == "9900"
    assert "¥99.00" in page.locator("[aria-labelledby=sp-week]").inner_text()


def test_a_friend_joins_a_team_by_ordering_and_the_page_says_so(demo: Demo, page_for: Any) -> None:
    team = demo.instance_of("bo", "groupbuy")
    page = page_for("en-US")
    sign_in(page, demo, "team-joiner", next_path=f"/i/{team['id']}")
    members = int(page.locator("[data-members]").get_attribute("data-members") or "0")
    page.locator("[data-join]").click()
    assert page.locator("[data-confirm]").get_attribute("data-confirm") == "join_team"
    assert page.locator("[data-amount]").get_attribute("data-amount") == "4900"
    # …and what happens next: held, charged when full, released if not.
    steps = page.locator("[data-next=join_team] li").all_inner_texts()
    assert steps[0].startswith("¥49.00 is held on your payment, not charged")
    assert "released in full" in steps[-1]
    page.locator("[data-confirm-button]").click()
    page.wait_for_url(re.compile(r"notice=joined"))
    assert int(page.locator("[data-members]").get_attribute("data-members") or "0") == members + 1
    assert page.locator("[data-join]").count() == 0
    assert page.locator("[data-taken]").get_attribute("data-taken") == "ordered"
    after = httpx.get(f"{demo.url}/api/v1/teams/{team['id']}", timeout=30).json()
    assert after["members"] == members + 1
    # The order is authorized, not charged, until the team is full.
    page.goto(f"{demo.url}/me/spending")
    assert page.locator("[data-spent-week]").get_attribute("data-spent-week") == "0"
    assert "¥49.00" in page.locator("[aria-labelledby=sp-week]").inner_text()
