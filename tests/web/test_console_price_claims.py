"""The console's campaign form names an item and a reference price; a reference price the
item's history does not back is refused next to its field, with the recorded lowest
price and when it was recorded, in English and in Chinese — at create and at launch —
and the participant's page says what the reference price rests on. A real Chromium
against the demo server."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import httpx

from huzhu.seed import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD
from tests.web.conftest import Demo, accessibility_problems, operator_sign_in, sign_in


def _owner(demo: Demo) -> dict[str, str]:
    resp = httpx.post(
        f"{demo.url}/api/v1/auth/login",
        json={"email": DEMO_OWNER_EMAIL, "password": DEMO_OWNER_PASSWORD},
        timeout=30,
    )
    resp.raise_for_status()
    return {"Authorization": f"Bearer {resp.json()['token']}"}


def _item(demo: Demo, name: str, *, regular: int, lower: int) -> int:
    headers = _owner(demo)
    made = httpx.post(
        f"{demo.url}/api/v1/items",
        json={"sku": f"sku-{uuid.uuid4().hex[:8]}", "name": name, "regular_price_cents": regular},
        headers=headers,
        timeout=30,
    )
    assert made.status_code == 201, made.text
    item_id = int(made.json()["id"])
    _record(demo, item_id, lower)
    return item_id


def _record(demo: Demo, item_id: int, price: int) -> None:
    recorded = httpx.post(
        f"{demo.url}/api/v1/items/{item_id}/prices",
        json={"price_cents": price},
        headers=_owner(demo),
        timeout=30,
    )
    assert recorded.status_code == 201, recorded.text


def _fill_bargain(page: Any, demo: Demo, *, name: str, item_id: int, reference: str) -> None:
    page.goto(f"{demo.url}/console/campaigns/new?kind=bargain")
    page.locator("#f-name").fill(name)
    page.locator("#f-channel").select_option("web")
    page.locator("#f-budget_cents").fill("1000")
    page.locator("#f-inventory_total").fill("5")
    page.locator("#f-price_cents").fill("80")
    page.locator("#f-floor_cents").fill("40")
    page.locator("#f-max_helpers").fill("5")
    page.locator("#f-item_id").select_option(str(item_id))
    page.locator("#f-reference_price_cents").fill(reference)


def test_a_reference_price_the_history_does_not_back_is_refused_in_both_languages(
    demo: Demo, page_for: Any, tmp_path: Path
) -> None:
    item_id = _item(demo, "Glass kettle", regular=10_000, lower=8_000)
    for locale, said in (
        ("en-US", "The reference price ¥100.00 is above ¥80.00, the lowest price recorded"),
        ("zh-CN", "参考价 ¥100.00 高于 ¥80.00，即该商品在上线前 7 天内记录到的最低价"),
    ):
        page = page_for(locale)
        operator_sign_in(page, demo, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
        _fill_bargain(page, demo, name=f"Kettle was 100 {locale}", item_id=item_id, reference="100")
        # The item is offered by name, sku and regular price.
        assert "Glass kettle" in page.locator("#f-item_id").inner_text()
        page.locator("main form button[type=submit]").click()
        field = page.locator("#f-reference_price_cents")
        assert field.get_attribute("aria-invalid") == "true"
        error = page.locator("#e-reference_price_cents").inner_text()
        assert said in error
        assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", error), error  # when it was recorded
        # What the person typed is kept, the item too.
        assert field.input_value() == "100"
        assert page.locator("#f-item_id").input_value() == str(item_id)
        assert accessibility_problems(page) == []
        page.screenshot(path=str(tmp_path / f"refused-{locale}.png"), full_page=True)
    # Nothing was created by either attempt.
    listed = httpx.get(f"{demo.url}/api/v1/campaigns?limit=200", headers=_owner(demo), timeout=30)
    assert not [c for c in listed.json()["items"] if c["name"].startswith("Kettle was 100")]


def test_launch_refused_in_chinese_then_the_page_says_what_the_claim_rests_on(
    demo: Demo, page_for: Any, tmp_path: Path
) -> None:
    item_id = _item(demo, "Tea tin", regular=10_000, lower=9_000)
    page = page_for("zh-CN")
    operator_sign_in(page, demo, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    _fill_bargain(page, demo, name="Tea tin was 90", item_id=item_id, reference="90")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/console/campaigns/\d+\?notice=created"))
    campaign_url = page.url.split("?")[0]
    # A lower price is recorded after the draft: the launch is refused, in Chinese, with
    # the new figure.
    _record(demo, item_id, 8_500)
    page.locator("[data-action=launch]").click()
    page.wait_for_url(re.compile(r"error=reference_price_above_lowest"))
    assert "参考价 ¥90.00 高于 ¥85.00" in page.locator("main").inner_text()
    page.screenshot(path=str(tmp_path / "launch-refused-zh.png"), full_page=True)

    # Back at ¥85.00 the claim holds; launched, the participant's page says so.
    campaign_id = int(campaign_url.rsplit("/", 1)[1])
    fixed = httpx.patch(
        f"{demo.url}/api/v1/campaigns/{campaign_id}",
        json={"reference_price_cents": 8_500},
        headers=_owner(demo),
        timeout=30,
    )
    assert fixed.status_code == 200, fixed.text
    page.goto(campaign_url)
    page.locator("[data-action=launch]").click()
    page.wait_for_url(re.compile(r"notice=launched"))

    participant = page_for("en-US")
    sign_in(participant, demo, f"tin-{uuid.uuid4().hex[:6]}")
    participant.locator(f"form[action='/c/{campaign_id}/start'] button").click()
    participant.wait_for_url(re.compile(r"/i/\d+"))
    note = participant.locator("[data-reference-basis]")
    assert note.get_attribute("data-reference-basis") == "recorded_lowest"
    assert "at most ¥85.00, the lowest price recorded for this item in the 7 days" in (
        note.inner_text()
    )
    # Its time in the site's zone, as every time on the page.
    assert "(Asia/Shanghai)" in note.inner_text()
    assert participant.locator("[data-reference-price]").inner_text() == "¥85.00"
    participant.screenshot(path=str(tmp_path / "instance-claim-en.png"), full_page=True)
