"""A helper's name, as people go through it: the helper names themself on My activities,
assists a friend's unlock, and the starter sees a pseudonym until the helper ticks "let
the starter see my name" on the activity's page; then the name, shown as text (markup
typed into it stays letters); cleared on My activities, the pseudonym is back."""

from __future__ import annotations

from collections.abc import Callable

from tests.browser import world
from tests.browser.conftest import Look, Person, Site
from tests.browser.steps import signed_in_and_started

NAME = "小明 <b>Ming</b>"


def helpers_seen(starter: Person, instance_id: int) -> list[tuple[str, str]]:
    """(named yes/no, text) of each helper the starter's activity page lists."""
    starter.goto(f"/i/{instance_id}")
    items = starter.page.locator("[data-helpers] li")
    return [
        (str(items.nth(i).get_attribute("data-named")), str(items.nth(i).inner_text()).strip())
        for i in range(items.count())
    ]


def test_the_starter_sees_a_helpers_name_only_once_they_agree(
    site: Site, look: Look, people: Callable[..., Person]
) -> None:
    campaign_id = world.unlock(site, look)
    helper = people("helper")
    helper.sign_in(next_path="/me")
    helper.goto("/me")
    helper.page.fill("#f-display-name", f"  {NAME}  ")
    helper.submit("[data-display-name] button[type=submit]")
    assert "notice=display_name_saved" in helper.page.url
    assert helper.page.locator("#f-display-name").input_value() == NAME

    starter = people("starter")
    instance_id = signed_in_and_started(starter, campaign_id)
    helper.goto(f"/i/{instance_id}")
    helper.submit("[data-assist]")
    assert f"/i/{instance_id}?notice=counted" in helper.page.url

    [(named, pseudonym)] = helpers_seen(starter, instance_id)
    assert named == "no"
    assert pseudonym.startswith("#")
    assert "Ming" not in starter.text("main")

    helper.page.locator("[data-name-consent] input[name=shown]").check()
    helper.submit("[data-name-consent] button[type=submit]")
    assert "notice=name_shown" in helper.page.url
    assert helpers_seen(starter, instance_id) == [("yes", NAME)]
    assert starter.page.locator("[data-helpers] b").count() == 0  # letters, not markup

    helper.goto("/me")
    helper.submit("[data-display-name] button[name=clear]")
    assert "notice=display_name_cleared" in helper.page.url
    assert helper.page.locator("#f-display-name").input_value() == ""
    assert helpers_seen(starter, instance_id) == [("no", pseudonym)]
