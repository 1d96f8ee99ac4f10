"""The operator console in a real Chromium against a real server holding the demo seed."""

from __future__ import annotations

import re
from typing import Any

import httpx

from huzhu.seed import (
    DEMO_ANALYST_EMAIL,
    DEMO_ANALYST_PASSWORD,
    DEMO_OWNER_EMAIL,
    DEMO_OWNER_PASSWORD,
)
from tests.web.conftest import Demo, accessibility_problems, operator_sign_in


def _stat(page: Any, key: str) -> int:
    return int(page.locator(f"[data-live] .stat[data-key={key}]").inner_text())


def test_operator_creates_a_campaign_and_watches_its_live_dashboard(
    demo: Demo, page_for: Any
) -> None:
    page = page_for("en-US")
    errors: list[str] = []
    # The browser's own favicon.ico request is no page's doing.
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.location.get("url", "").endswith("/favicon.ico")
            else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    operator_sign_in(page, demo, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    assert page.url.endswith("/console")
    assert page.get_by_role("link", name=re.compile("Assist lottery: weekend gift box")).count()

    page.goto(f"{demo.url}/console/campaigns/new?kind=unlock")
    page.get_by_label("Name").fill("Playwright unlock")
    page.get_by_label("Where it is shared").select_option("web")
    page.get_by_label("Subsidy budget (¥)").fill("100.00")
    page.get_by_label("Inventory (units)").fill("10")
    page.get_by_label("Assists needed").fill("2")
    page.get_by_label("Reward value (¥)").fill("5")
    page.get_by_label("Launch now").check()
    page.get_by_role("button", name="Create campaign").click()
    page.wait_for_url(re.compile(r"/console/campaigns/\d+\?notice=launched"))
    campaign_id = int(re.search(r"/campaigns/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    assert _stat(page, "instances") == 0
    assert _stat(page, "counted") == 0

    # A participant starts an instance and a friend assists, over the API; the open
    # dashboard polls and shows it without a reload.
    starter = demo.participant_token("dash-starter")
    helper = demo.participant_token("dash-helper")
    started = httpx.post(
        f"{demo.url}/api/v1/campaigns/{campaign_id}/instances",
        headers={"Authorization": f"Bearer {starter}"},
        timeout=30,
    )
    assert started.status_code == 201, started.text
    assisted = httpx.post(
        f"{demo.url}/api/v1/instances/{started.json()['id']}/assists",
        headers={"Authorization": f"Bearer {helper}"},
        timeout=30,
    )
    assert assisted.status_code == 201, assisted.text
    live = page.locator("[data-live]")
    live.locator(".stat[data-key=counted]").filter(has_text="1").wait_for(timeout=20_000)
    assert _stat(page, "instances") == 1
    # The reward (¥5.00) is reserved from the budget the moment the instance starts.
    assert live.locator("span[data-key=budget_used_cents]").inner_text() == "¥5.00"
    # Growth beside abuse, drawn by the vendored Chart.js and redrawn by the poll: one
    # starter, one new participant. The stamp stays in the shop's zone after a poll.
    assert live.locator(".stat[data-key=k_factor]").inner_text() == "1.00"
    assert live.locator("[data-key=held_share]").inner_text() == "0.0%"
    drawn = page.evaluate(
        """() => [...document.querySelectorAll('canvas[data-chart]')].map(c => {
             const chart = Chart.getChart(c);
             return [c.dataset.chart, chart ? chart.data.datasets[0].data.at(-1) : null];
           })"""
    )
    assert drawn == [["growth", 1], ["assists", 0], ["complaints", None]]
    assert live.locator("[data-as-of]").inner_text().endswith("(Asia/Shanghai)")
    assert errors == []

    # Pause and end through the forms.
    page.locator("[data-action=pause]").click()
    page.wait_for_url(re.compile(r"notice=paused"))
    assert "Campaign paused." in page.content()
    # Ending is for good: it asks first, saying what happens to the one running.
    page.locator("[data-action=end]").click()
    assert page.locator("[data-confirm]").get_attribute("data-confirm") == "end"
    assert page.locator("[data-next=end]").get_attribute("data-running") == "1"
    assert "cannot be undone" in page.locator("[data-next=end]").inner_text()
    page.locator("[data-cancel]").click()
    assert page.locator("[data-action=end]").count() == 1  # nothing ended on the way back
    page.locator("[data-action=end]").click()
    page.locator("[data-confirm-button]").click()
    page.wait_for_url(re.compile(r"notice=ended"))
    assert page.locator("[data-action]").count() == 0


def test_bad_input_is_shown_next_to_its_field_and_kept(demo: Demo, page_for: Any) -> None:
    page = page_for("en-US")
    operator_sign_in(page, demo, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    page.goto(f"{demo.url}/console/campaigns/new?kind=bargain")
    page.get_by_label("Name").fill("Impossible bargain")
    page.get_by_label("Subsidy budget (¥)").fill("1000")
    page.get_by_label("Inventory (units)").fill("5")
    page.get_by_label("Price (¥)", exact=True).fill("99.999")  # not a whole cent
    page.get_by_label("Floor price (¥)").fill("50")
    page.get_by_label("Most helpers needed").fill("3")
    page.get_by_role("button", name="Create campaign").click()
    price = page.locator("#f-price_cents")
    assert price.get_attribute("aria-invalid") == "true"
    assert "two decimals" in page.locator("#e-price_cents").inner_text()
    assert page.get_by_label("Name").input_value() == "Impossible bargain"

    # Readable but refused by the engine's honesty rules: the floor must be below the
    # price — the same refusal the API gives, next to the floor field.
    page.get_by_label("Price (¥)", exact=True).fill("40")
    page.get_by_role("button", name="Create campaign").click()
    floor = page.locator("#f-floor_cents")
    assert floor.get_attribute("aria-invalid") == "true"
    assert "floor must be below the price" in page.locator("#e-floor_cents").inner_text()
    assert floor.get_attribute("aria-describedby") is not None
    assert "e-floor_cents" in (floor.get_attribute("aria-describedby") or "")
    assert accessibility_problems(page) == []

    # Nothing was created by either attempt.
    page.goto(f"{demo.url}/console")
    assert page.get_by_text("Impossible bargain").count() == 0


def test_sign_in_errors_cookie_flags_and_roles(demo: Demo, page_for: Any, browser: Any) -> None:
    page = page_for("en-US")
    operator_sign_in(page, demo, DEMO_OWNER_EMAIL, "wrong-password")
    assert page.locator("#f-password").get_attribute("aria-invalid") == "true"
    assert "not right" in page.locator("#e-password").inner_text()

    analyst = page_for("en-US")
    operator_sign_in(analyst, demo, DEMO_ANALYST_EMAIL, DEMO_ANALYST_PASSWORD)
    assert analyst.url.endswith("/console")
    cookie = next(c for c in analyst.context.cookies() if c["name"] == "huzhu_op")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    # An analyst reads campaigns but cannot create one.
    assert analyst.get_by_role("link", name="New campaign").count() == 0
    analyst.goto(f"{demo.url}/console/campaigns/new?kind=bargain")
    assert analyst.locator("[data-code]").inner_text() == "forbidden"
    # Signing out kills the session server-side: the old cookie no longer works.
    analyst.goto(f"{demo.url}/console")
    analyst.get_by_role("button", name="Sign out").click()
    analyst.wait_for_url(re.compile(r"/console/login"))
    stale = httpx.get(
        f"{demo.url}/console", cookies={"huzhu_op": cookie["value"]}, follow_redirects=False
    )
    assert stale.status_code == 303
    assert stale.headers["location"].startswith("/console/login")


def test_console_renders_in_chinese_and_passes_the_accessibility_check(
    demo: Demo, page_for: Any
) -> None:
    page = page_for("zh-CN")
    page.goto(f"{demo.url}/console/login")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_role("heading", name="运营登录").is_visible()
    assert accessibility_problems(page) == []
    operator_sign_in(page, demo, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    assert page.get_by_role("heading", name="活动").is_visible()
    paths = ["/console"] + [
        f"/console/campaigns/new?kind={kind}"
        for kind in ("bargain", "groupbuy", "lottery", "unlock")
    ]
    links = page.locator("table a[href^='/console/campaigns/']")
    paths += [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
    for path in paths:
        page.goto(f"{demo.url}{path}")
        assert accessibility_problems(page) == [], path
    assert page.get_by_text("实时看板").is_visible()
