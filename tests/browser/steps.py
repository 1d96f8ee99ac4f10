"""Steps people take in more than one flow, each through the page a person would use."""

from __future__ import annotations

from tests.browser.conftest import Person


def instance_id_of(person: Person) -> int:
    """The activity whose page the person is on."""
    assert "/i/" in person.page.url, person.page.url
    return int(person.page.url.split("/i/")[1].split("?")[0])


def start_from_home(person: Person, campaign_id: int) -> None:
    """The person presses Start (or Open a team) on the campaign's card of the home page."""
    person.goto("/")
    person.submit(f"[data-campaign='{campaign_id}'] [data-start]")


def signed_in_and_started(person: Person, campaign_id: int) -> int:
    """The person signs in and starts the campaign from the home page; the activity's id
    (a bargain, lottery or unlock, whose start is free)."""
    person.sign_in()
    start_from_home(person, campaign_id)
    return instance_id_of(person)


def share_link(starter: Person) -> str:
    """The starter makes a signed share link on their activity's page; its path."""
    starter.submit("[data-make-link]")
    link = str(starter.page.locator("[data-share-link]").input_value())
    assert link.startswith(f"{starter.site.url}/s/"), link
    return link.removeprefix(starter.site.url)


def arrive_signed_in(friend: Person, link: str) -> None:
    """A friend opens a shared link (its genuine-link badge shows), signs in from it and
    lands back on it."""
    friend.goto(link)
    assert friend.page.locator("[data-genuine]").count() == 1
    friend.submit("a[href^='/signin?next=']")
    friend.page.fill("#f-name", friend.name)
    friend.submit("main form button[type=submit]")
    assert link in friend.page.url, "sign-in did not lead back to the shared link"
    assert friend.page.locator("[data-genuine]").count() == 1


def assist_through(
    friend: Person, link: str, *, instance_id: int, picture: str | None = None
) -> None:
    """A friend arrives by the shared link, signs in (the page as they see it then may be
    pictured) and assists; the assist counted."""
    arrive_signed_in(friend, link)
    if picture:
        friend.picture(picture)
    friend.submit("[data-assist]")
    assert f"/i/{instance_id}?notice=counted" in friend.page.url, friend.page.url
    assert friend.page.locator(".notice[role=status]").count() == 1


def confirm(person: Person, *, action: str, amount_cents: int) -> None:
    """The confirmation page of a money step names the amount; the person confirms."""
    assert person.page.locator(f"[data-confirm='{action}']").count() == 1, person.page.url
    assert person.page.locator(f"[data-amount='{amount_cents}']").count() == 1
    yuan = f"¥{amount_cents // 100}"
    assert yuan in person.text("[data-confirm-button]")
    person.submit("[data-confirm-button]")
