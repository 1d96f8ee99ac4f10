"""A drawn lottery in a real Chromium at phone size (390×844), in Simplified Chinese,
against the demo server: a participant opens their entry from My activities after the
draw and reads the result (one won, one did not), then opens the public draw record
page and finds the verify command with this server's real address. Nothing sticks out
sideways (the hashes wrap), and the pages pass the accessibility sanity check."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from huzhu.accounts import service as accounts
from huzhu.assists.lottery import service as lottery
from huzhu.campaigns import service as campaigns
from huzhu.campaigns.models import LotterySecret
from huzhu.campaigns.rules.lottery import commitment_for
from huzhu.db import Database
from huzhu.kit import clock, ids
from tests.assists.conftest import LOTTERY_RULES
from tests.conftest import make_settings
from tests.factories import auth, make_campaign
from tests.web.conftest import Demo, accessibility_problems, sign_in

PHONE = {"width": 390, "height": 844}
PRIZE = {"name": "保温杯", "value_cents": 8_800, "quantity": 1}
PEOPLE = ("draw-phone-a", "draw-phone-b")


def _drawn_lottery(demo: Demo) -> tuple[int, dict[str, bool]]:
    """A lottery of the demo shop with two entrants and one prize, drawn: its id, and
    for each entrant whether they won."""
    settings = make_settings(demo.db_url)
    db = Database(settings.db)
    seed_hex = ids.random_seed_hex()
    try:
        with db.unit_of_work() as s:
            shop_id = accounts.get_shop_by_slug(s, "demo").id
            campaign_id, _ = make_campaign(
                s,
                shop_id=shop_id,
                kind="lottery",
                rules={
                    **LOTTERY_RULES,
                    "draw_at": (clock.utcnow() + timedelta(hours=1)).isoformat(),
                    "entry_cap": 5,
                    "prizes": [PRIZE],
                    "commitment_hex": commitment_for(seed_hex),
                },
            )
            s.add(
                LotterySecret(
                    campaign_id=campaign_id,
                    seed_hex=seed_hex,
                    commitment_hex=commitment_for(seed_hex),
                    created_at=clock.utcnow(),
                )
            )
            assert campaigns.reserve(s, campaign_id=campaign_id, cents=8_800, units=1)
        for name in PEOPLE:
            started = httpx.post(
                f"{demo.url}/api/v1/campaigns/{campaign_id}/instances",
                headers=auth(demo.participant_token(name)),
                timeout=30,
            )
            assert started.status_code == 201, started.text
        clock.advance(3601)
        with db.unit_of_work() as s:
            assert lottery.draw(s, settings, campaign_id=campaign_id) is not None
        clock.reset()
    finally:
        db.dispose()
    won = {}
    for name in PEOPLE:
        mine = httpx.get(
            f"{demo.url}/api/v1/campaigns/{campaign_id}/draw/me",
            headers=auth(demo.participant_token(name)),
            timeout=30,
        ).json()
        won[name] = mine["prize"] is not None
    assert sorted(won.values()) == [False, True]
    return campaign_id, won


def _fits_a_phone(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert accessibility_problems(page) == []


def _watch(page: Any) -> list[str]:
    """Script errors, and any resource the pages fail to load (the browser's own favicon
    probe aside)."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    return errors


def _read_result(
    browser: Any, demo: Demo, tmp_path: Path, *, campaign_id: int, name: str, won: bool
) -> None:
    expected = "won" if won else "not_won"
    context = browser.new_context(locale="zh-CN", viewport=PHONE, device_scale_factor=2)
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        errors = _watch(page)
        sign_in(page, demo, name, next_path="/me")
        row = page.locator("tr[data-instance]").filter(has=page.locator("[data-my-result]"))
        assert row.count() == 1
        assert "已开奖" in row.inner_text()
        _fits_a_phone(page)
        _shot(page, tmp_path / f"draw-me-{expected}-zh.png")
        row.locator("a[href^='/i/']").click()
        page.wait_for_url(re.compile(r"/i/\d+$"))
        result = page.locator("[data-my-result]")
        assert result.get_attribute("data-my-result") == expected
        if won:
            assert "你中奖了：保温杯" in result.inner_text()
        else:
            assert "这次没有中奖" in result.inner_text()
        assert page.locator("[data-winner]").count() == 1
        seed = page.locator("[data-seed]").inner_text().strip()
        assert re.fullmatch(r"[0-9a-f]{64}", seed)
        assert page.locator("[data-published-commitment]").inner_text().strip() == (
            commitment_for(seed)
        )
        _fits_a_phone(page)
        _shot(page, tmp_path / f"draw-entry-{expected}-zh.png")

        page.locator("[data-draw-result] [data-draw-link]").click()
        page.wait_for_url(re.compile(rf"/campaigns/{campaign_id}/draw$"))
        assert page.locator("h1").inner_text().startswith("开奖记录")
        command = page.locator("[data-verify-command]").inner_text().strip()
        assert command == (
            f"huzhu verify-draw --url {demo.url}/api/v1/campaigns/{campaign_id}/draw"
            f" --commitment {commitment_for(seed)}"
        )
        assert page.locator("[data-check][data-ok=yes]").count() == 5
        assert page.locator("[data-my-result]").get_attribute("data-my-result") == expected
        _fits_a_phone(page)
        _shot(page, tmp_path / f"draw-record-{expected}-zh.png")

        # The campaign list shows the same result where the lottery is listed.
        page.goto(f"{demo.url}/")
        card = page.locator(f"[data-campaign='{campaign_id}']")
        assert card.get_attribute("data-closed") == "drawn"
        assert card.locator("[data-start]").count() == 0
        assert card.locator("[data-my-result]").get_attribute("data-my-result") == expected
        _fits_a_phone(page)
        _shot(card, tmp_path / f"draw-listed-{expected}-zh.png")
        assert errors == []
    finally:
        context.close()


def _shot(target: Any, path: Path) -> None:
    target.screenshot(path=str(path), **({"full_page": True} if hasattr(target, "goto") else {}))
    print(f"screenshot: {path}")


def test_a_lottery_participant_reads_the_result_and_the_draw_record_on_a_phone(
    demo: Demo, browser: Any, tmp_path: Path
) -> None:
    campaign_id, won = _drawn_lottery(demo)
    for name in PEOPLE:
        _read_result(browser, demo, tmp_path, campaign_id=campaign_id, name=name, won=won[name])
