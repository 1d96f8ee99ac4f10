"""The operator's side, in the console: creating and launching a campaign of each kind
through the form (and being told, next to the field and in their own language, why a
deceptive one is refused), watching a campaign's live dashboard change while people
take part, and voiding a fake assist that the starter then no longer counts."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import expect

from huzhu.kit import clock
from tests.browser import world
from tests.browser.conftest import Look, Person, Site
from tests.browser.steps import assist_through, share_link, signed_in_and_started

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")

COMMON = {"budget_cents": "500", "inventory_total": "10"}
FORMS: dict[str, dict[str, str]] = {
    "bargain": {"price_cents": "199", "floor_cents": "99", "max_helpers": "5"},
    "groupbuy": {"team_size": "3", "price_cents": "69", "group_price_cents": "49"},
    "lottery": {
        "entry_cap": "3",
        "base_entries": "1",
        "prize_name_0": "保温杯 Thermos",
        "prize_value_0": "88",
        "prize_quantity_0": "1",
    },
    "unlock": {"helpers_needed": "2", "reward_cents": "25", "reward_name": "咖啡券 Coffee"},
}


def fill_campaign_form(
    operator: Person,
    kind: str,
    values: dict[str, str],
    *,
    launch_now: bool = True,
    status: int = 200,
) -> None:
    operator.goto(f"/console/campaigns/new?kind={kind}")
    for name, value in values.items():
        operator.page.fill(f"#f-{name}", value)
    operator.page.set_checked("#f-launch_now", launch_now)
    operator.submit("form[action='/console/campaigns/new'] button[type=submit]", status=status)


def test_an_operator_creates_and_launches_each_kind_and_a_deceptive_one_is_refused(
    site: Site, look: Look, people: Callable[..., Person]
) -> None:
    operator = people("owner", operator=True)
    operator.operator_sign_in()
    draw_at = (clock.utcnow() + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M")
    for kind, fields in FORMS.items():
        extra = {"draw_at": draw_at} if kind == "lottery" else {}
        name = world.name_of(kind, look)
        # The unlock is created as a draft and launched from its page; the rest at once.
        launch_now = kind != "unlock"
        values = {"name": name, **COMMON, **fields, **extra}
        fill_campaign_form(operator, kind, values, launch_now=launch_now)
        notice = "launched" if launch_now else "created"
        assert re.search(rf"/console/campaigns/\d+\?notice={notice}", operator.page.url), (
            f"{kind}: {operator.page.url}"
        )
        assert operator.page.locator("h1").inner_text() == name
        if not launch_now:
            assert operator.page.locator(".badge.draft").count() == 1
            operator.submit("[data-action='launch']")
        assert operator.page.locator(".badge.live").count() == 1

    # A "bargain" whose floor is above its price would cut nothing: refused, said where.
    deceptive = {**FORMS["bargain"], "price_cents": "99", "floor_cents": "199"}
    fill_campaign_form(
        operator,
        "bargain",
        {"name": world.name_of("bargain", look), **COMMON, **deceptive},
        status=422,
    )
    assert operator.page.url.endswith("/console/campaigns/new"), operator.page.url
    assert operator.page.locator("[data-form-errors]").count() == 1
    assert operator.page.locator("#f-floor_cents[aria-invalid=true]").count() == 1
    said = operator.text("#e-floor_cents")
    if look.zh:
        assert CJK.search(said), f"the refusal is not in Chinese: {said!r}"
        assert not ENGLISH_WORD.search(said), f"English in the Chinese refusal: {said!r}"
    else:
        assert not CJK.search(said), said
    operator.picture("console-field-error")


def test_the_dashboard_follows_people_and_a_voided_assist_stops_counting(
    site: Site, look: Look, people: Callable[..., Person]
) -> None:
    campaign_id = world.bargain(site, look)
    operator = people("owner", operator=True)
    operator.operator_sign_in()
    operator.goto(f"/console/campaigns/{campaign_id}")
    counted = operator.page.locator("[data-live] [data-key='counted']")
    instances = operator.page.locator("[data-live] [data-key='instances']")
    expect(counted).to_have_text("0")
    expect(instances).to_have_text("0")

    starter = people("starter")
    instance_id = signed_in_and_started(starter, campaign_id)
    expect(instances).to_have_text("1")  # the dashboard polls its numbers
    # The same poll brought its table of the latest instances: the row beside the count.
    row = operator.page.locator(f"[data-latest] [data-latest-row='{instance_id}']")
    assert row.count() == 1
    assert operator.page.locator("[data-latest-empty]").count() == 0
    link = share_link(starter)
    for n in range(2):
        assist_through(people(f"friend{n}"), link, instance_id=instance_id)
    expect(counted).to_have_text("2")
    assert row.locator("td").nth(3).inner_text() == "2"  # its counted assists
    operator.check()  # the page as the poll left it
    # The frozen rules' card stands apart from the table above it.
    gap = operator.page.evaluate(
        """() => document.querySelector("[aria-labelledby='rules-h']").getBoundingClientRect()
            .top - document.querySelector("[data-latest]").getBoundingClientRect().bottom"""
    )
    assert gap >= 12, f"the frozen rules' card is {gap} px below the table"

    operator.goto(f"/console/instances/{instance_id}")
    assert operator.page.locator("[data-counted='2']").count() == 1
    first = operator.page.locator("[data-assist-row]").first
    assist_id = first.get_attribute("data-assist-row")
    operator.page.fill(f"#f-void-{assist_id}", "同一台设备上的账号 same device")
    operator.submit(f"[data-void='{assist_id}']")
    row = operator.page.locator(f"[data-assist-row='{assist_id}'] [data-assist-status]")
    assert row.get_attribute("data-assist-status") == "voided"
    assert operator.page.locator("[data-counted='1']").count() == 1
    assert operator.page.locator("[data-voided='1']").count() == 1

    operator.goto(f"/console/campaigns/{campaign_id}")
    expect(operator.page.locator("[data-live] [data-key='voided']")).to_have_text("1")
    expect(operator.page.locator("[data-live] [data-key='counted']")).to_have_text("1")
    operator.picture("dashboard")
    starter.goto(f"/i/{instance_id}")
    assert starter.page.locator("[data-counted='1']").count() == 1
