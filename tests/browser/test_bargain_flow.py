"""A bargain from start to purchase, as people go through it: the starter starts it on
the home page and makes a signed share link; three friends, each in their own browser,
open the link, sign in and assist; the price reaches its floor and the starter buys,
after one confirmation with the price on it. The cuts' seed, committed to when the
bargain starts, is shown once it has ended and matches its commitment."""

from __future__ import annotations

import re
from collections.abc import Callable

from huzhu.campaigns.rules.lottery import commitment_for
from tests.browser import world
from tests.browser.conftest import Look, Person, Site
from tests.browser.steps import assist_through, confirm, share_link, signed_in_and_started


def test_three_friends_cut_a_bargain_to_its_floor_and_the_starter_buys(
    site: Site, look: Look, people: Callable[..., Person]
) -> None:
    campaign_id = world.bargain(site, look)
    starter = people("starter")
    instance_id = signed_in_and_started(starter, campaign_id)
    assert starter.text("[data-current-price]").startswith("¥199")
    # The cuts are committed to from the start; their seed stays secret while it runs.
    commitment = starter.text("[data-cut-commitment]")
    assert re.fullmatch(r"[0-9a-f]{64}", commitment), commitment
    assert starter.page.locator("[data-cut-seed]").count() == 0
    link = share_link(starter)

    for n in range(3):
        friend = people(f"friend{n}")
        picture = "share-page-phone" if n == 2 else None
        assist_through(friend, link, instance_id=instance_id, picture=picture)
        # Each friend reads that their assist counted and what it cut — the last one too,
        # whose assist reached the floor and ended the activity.
        assert friend.page.locator("[data-taken='counted']").count() == 1, n
        assert friend.page.locator("[data-my-cut]").count() == 1, n
    assert friend.page.locator("[data-status='succeeded']").count() == 1

    starter.goto(f"/i/{instance_id}")
    assert starter.page.locator("[data-status='succeeded']").count() == 1
    assert starter.page.locator("[data-cents-remaining='0']").count() == 1
    assert starter.page.locator("[data-counted='3']").count() == 1
    # Ended: the seed is out, and it is the one committed to at the start.
    assert starter.text("[data-cut-commitment]") == commitment
    assert commitment_for(starter.text("[data-cut-seed]")) == commitment
    starter.submit("[data-buy]")
    confirm(starter, action="buy_bargain", amount_cents=9_900)
    assert f"/i/{instance_id}?notice=bought" in starter.page.url
    assert starter.page.locator("[data-status='purchased']").count() == 1
    starter.goto("/me/spending")
    assert starter.page.locator("[data-spent-month='9900']").count() == 1
