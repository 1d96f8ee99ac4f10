"""A bargain from start to purchase, as people go through it: the starter starts it on
the home page and makes a signed share link; three friends, each in their own browser,
open the link, sign in and assist; the price reaches its floor and the starter buys,
after one confirmation with the price on it."""

from __future__ import annotations

from collections.abc import Callable

from tests.browser import world
from tests.browser.conftest import Look, Person, Site


def start_from_home(person: Person, campaign_id: int) -> int:
    """The person starts the campaign from the home page; the instance's id."""
    person.goto("/")
    person.submit(f"[data-campaign='{campaign_id}'] [data-start]")
    assert "/i/" in person.page.url, person.page.url
    return int(person.page.url.split("/i/")[1].split("?")[0])


def share_link(starter: Person) -> str:
    """The starter makes a signed share link on their activity's page."""
    starter.submit("[data-make-link]")
    link = str(starter.page.locator("[data-share-link]").input_value())
    assert "/s/" in link, link
    return link


def assist_through(friend: Person, link: str, *, instance_id: int) -> None:
    """A friend opens the shared link, signs in from it, and assists."""
    friend.goto(link.removeprefix(friend.site.url))
    assert friend.page.locator("[data-genuine]").count() == 1
    friend.submit("a[href^='/signin?next=']")
    friend.page.fill("#f-name", friend.name)
    friend.submit("main form button[type=submit]")
    assert "/s/" in friend.page.url, "sign-in did not lead back to the shared link"
    friend.submit("[data-assist]")
    assert f"/i/{instance_id}?notice=counted" in friend.page.url
    assert friend.page.locator(".notice[role=status]").count() == 1
    # The assist that reaches the floor ends the activity: the page says it succeeded.
    assert friend.page.locator("[data-taken='counted'], [data-status='succeeded']").count() >= 1


def test_three_friends_cut_a_bargain_to_its_floor_and_the_starter_buys(
    site: Site, look: Look, people: Callable[..., Person]
) -> None:
    campaign_id = world.bargain(site, f"砍价 bargain {look.id}")
    starter = people("starter")
    starter.sign_in()
    instance_id = start_from_home(starter, campaign_id)
    assert starter.text("[data-current-price]").startswith("¥199")
    link = share_link(starter)
    starter.picture("share-link-phone")

    for n in range(3):
        friend = people(f"friend{n}")
        assist_through(friend, link, instance_id=instance_id)
        if n == 0:
            friend.goto(link.removeprefix(site.url))
            friend.picture("share-page-phone")

    starter.goto(f"/i/{instance_id}")
    assert starter.page.locator("[data-status='succeeded']").count() == 1
    assert starter.page.locator("[data-cents-remaining='0']").count() == 1
    assert starter.page.locator("[data-counted='3']").count() == 1
    starter.picture("bargain-floor-phone")
    starter.submit("[data-buy]")
    assert starter.page.locator("[data-confirm='buy_bargain']").count() == 1
    assert starter.page.locator("[data-amount='9900']").count() == 1
    assert "¥99" in starter.text("[data-confirm-button]")
    starter.picture("confirm-buy-phone")
    starter.submit("[data-confirm-button]")
    assert f"/i/{instance_id}" in starter.page.url
    assert "notice=bought" in starter.page.url
    starter.goto("/me/spending")
    assert "¥99" in starter.text("main")
