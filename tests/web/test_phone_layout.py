"""Every participant page in a real Chromium at a phone's 390×844 and a laptop's
1366×768, in Simplified Chinese and in English, against the demo server: nothing sticks
out sideways (the document is never wider than the window), no script error, and the
offline accessibility check passes. The pages are the ones a person meets: the campaign
list, an activity of each kind (a drawn lottery and its public record included), a share
link's landing with its mute / block / report offer, the confirmations before money and
before a report, My activities, spending, standing, inbox, invite preferences, mutes and
blocks, export, deletion and sign-in. On a phone a table becomes a list of cards whose
cells carry their column's name, and a page names its time zone once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.factories import auth
from tests.web.conftest import Demo, accessibility_problems, sign_in
from tests.web.test_draw_browser import _drawn_lottery, _watch

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
ZONE = "(Asia/Shanghai)"


@dataclass(frozen=True)
class World:
    person: str  # started a bargain (helped to its floor), a lottery and an unlock,
    # muted and blocked someone
    pages: list[str]  # every GET page the person can open
    team_id: int  # a team the person is not in (its join leads to the confirmation)
    groupbuy_campaign_id: int
    share_path: str  # a share link from someone else, landing on their bargain
    bargain_id: int  # the person's own bargain, at its floor (its buy leads to a confirmation)
    public_pages: list[str]  # pages anyone may open signed out


def _api(demo: Demo, method: str, path: str, subject: str, **kwargs: Any) -> httpx.Response:
    answer = httpx.request(
        method,
        f"{demo.url}{path}",
        headers=auth(demo.participant_token(subject)),
        timeout=30,
        **kwargs,
    )
    assert answer.status_code < 300, answer.text
    return answer


def _account_id(demo: Demo, subject: str) -> int:
    answer = httpx.post(
        f"{demo.url}/api/v1/auth/participant",
        json={"shop": "demo", "subject": subject},
        timeout=30,
    )
    return int(answer.json()["account_id"])


@pytest.fixture(scope="module")
def world(demo: Demo) -> World:
    tag = uuid.uuid4().hex[:6]
    person, sender, muted = f"phone-{tag}", f"phone-sender-{tag}", f"phone-muted-{tag}"
    campaign = {
        kind: int(demo.instance_of(who, kind)["campaign_id"])
        for who, kind in (
            ("alice", "bargain"),
            ("chen", "lottery"),
            ("gao", "unlock"),
            ("bo", "groupbuy"),
        )
    }
    started = {
        kind: int(
            _api(demo, "POST", f"/api/v1/campaigns/{campaign[kind]}/instances", person).json()["id"]
        )
        for kind in ("bargain", "lottery", "unlock")
    }
    theirs = int(
        _api(demo, "POST", f"/api/v1/campaigns/{campaign['bargain']}/instances", sender).json()[
            "id"
        ]
    )
    link = _api(
        demo, "POST", f"/api/v1/instances/{theirs}/share-links", sender, json={"channel": "friend"}
    ).json()
    # The sender and friends help the person's bargain to its floor: the person's inbox
    # has messages to show, and the bargain waits to be bought.
    needed = int(
        _api(demo, "GET", f"/api/v1/instances/{started['bargain']}", person).json()[
            "helpers_still_needed"
        ]
    )
    for helper in (sender, *(f"phone-helper-{tag}-{n}" for n in range(needed - 1))):
        _api(demo, "POST", f"/api/v1/instances/{started['bargain']}/assists", helper, json={})
    for kind in ("mutes", "blocks"):
        _api(demo, "PUT", f"/api/v1/me/{kind}/{_account_id(demo, muted)}", person)
    drawn, _ = _drawn_lottery(demo)
    team = demo.instance_of("bo", "groupbuy")
    pages = [
        "/",
        *(f"/i/{i}" for i in (*started.values(), theirs, int(team["id"]))),
        f"/campaigns/{drawn}/draw",
        f"/s/{link['token']}",
        "/me",
        "/me/spending",
        "/me/standing",
        "/me/inbox",
        "/me/preferences",
        "/me/relations",
        "/me/export",
        "/me/delete",
        "/signin",
    ]
    return World(
        person,
        pages,
        int(team["id"]),
        campaign["groupbuy"],
        f"/s/{link['token']}",
        started["bargain"],
        [
            "/",
            "/signin",
            f"/s/{link['token']}",
            f"/i/{started['lottery']}",
            f"/campaigns/{drawn}/draw",
        ],
    )


@pytest.fixture
def watched(browser: Any) -> Iterator[Any]:
    """watched(locale, viewport) → a page whose script errors and failed resources are
    collected in page.errors; the contexts close after the test."""
    contexts: list[Any] = []

    def _make(locale: str, viewport: dict[str, int]) -> Any:
        context = browser.new_context(locale=locale, viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        errors = _watch(page)
        # Console errors too (a refused script or style says so only there); a failed
        # resource is already told by its response.
        page.on(
            "console",
            lambda m: (
                errors.append(m.text)
                if m.type == "error" and not m.text.startswith("Failed to load resource")
                else None
            ),
        )
        page.errors = errors
        return page

    yield _make
    for context in contexts:
        context.close()


def _problems(page: Any, width: int) -> list[str]:
    """What is wrong with the page as shown: wider than the window (and the elements
    that stick out), script errors, accessibility sanity."""
    found = []
    wide = page.evaluate("document.documentElement.scrollWidth")
    if wide > width:
        sticking_out = page.evaluate(
            """(w) => [...document.querySelectorAll('body *')]
                .filter((el) => el.getBoundingClientRect().right > w + 0.5)
                .slice(0, 5).map((el) => el.tagName + ' ' + (el.textContent || '').slice(0, 30))""",
            width,
        )
        found.append(f"{wide} px wide: {sticking_out}")
    found += [f"script: {e}" for e in page.errors]
    found += accessibility_problems(page)
    page.errors.clear()
    return found


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_every_participant_page_fits_the_window_in_both_languages(
    demo: Demo, world: World, watched: Any, locale: str, viewport: dict[str, int]
) -> None:
    width = viewport["width"]
    failures: dict[str, list[str]] = {}

    stranger = watched(locale, viewport)
    for path in world.public_pages:
        assert stranger.goto(f"{demo.url}{path}").status == 200, path
        failures[f"signed out {path}"] = _problems(stranger, width)

    page = watched(locale, viewport)
    sign_in(page, demo, world.person)
    for path in world.pages:
        answer = page.goto(f"{demo.url}{path}")
        assert answer.status == 200, path
        failures[path] = _problems(page, width)

    # The confirmations: before joining a team, opening one, a report, a purchase.
    page.goto(f"{demo.url}/i/{world.team_id}")
    page.locator("[data-join]").click()
    assert page.locator("[data-confirm]").get_attribute("data-confirm") == "join_team"
    failures["confirm join"] = _problems(page, width)
    page.goto(f"{demo.url}/")
    page.locator(f"form[action='/c/{world.groupbuy_campaign_id}/start'] button").click()
    assert page.locator("[data-confirm]").get_attribute("data-confirm") == "open_team"
    failures["confirm open"] = _problems(page, width)
    page.goto(f"{demo.url}{world.share_path}")
    page.locator("[data-sender-action=report]").click()
    assert page.locator("[data-confirm]").get_attribute("data-confirm") == "report"
    failures["confirm report"] = _problems(page, width)
    page.goto(f"{demo.url}/i/{world.bargain_id}")
    page.locator("[data-buy]").click()
    assert page.locator("[data-confirm]").get_attribute("data-confirm") == "buy_bargain"
    failures["confirm buy"] = _problems(page, width)

    assert {where: found for where, found in failures.items() if found} == {}


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_on_a_phone_tables_become_lists_and_the_zone_is_named_once(
    demo: Demo, world: World, watched: Any, locale: str
) -> None:
    page = watched(locale, PHONE)
    sign_in(page, demo, world.person, next_path="/me")
    page.goto(f"{demo.url}/me")
    rows = page.locator("main table tbody tr")
    assert rows.count() >= 3  # the bargain, the lottery, the unlock started
    cell = page.locator("main table tbody tr td").first
    assert cell.evaluate("(td) => getComputedStyle(td).display") == "block"
    header = page.locator("main table thead th").first.inner_text()
    assert cell.get_attribute("data-label") == header
    # Each row a card: nothing in it is narrower than half the window (no one-character
    # columns).
    narrowest = page.evaluate(
        "Math.min(...[...document.querySelectorAll('main table tbody td')]"
        ".map((td) => td.getBoundingClientRect().width))"
    )
    assert narrowest > PHONE["width"] / 2
    times = page.locator("main time")
    assert times.count() >= 3
    texts = [times.nth(i).inner_text() for i in range(times.count())]
    assert texts[0].endswith(ZONE)
    assert not any(text.endswith(ZONE) for text in texts[1:]), texts
    assert page.locator("main").inner_text().count("Asia/Shanghai") == 1

    # The same table at a laptop's width stays a table.
    page.set_viewport_size(LAPTOP)
    assert cell.evaluate("(td) => getComputedStyle(td).display") == "table-cell"
