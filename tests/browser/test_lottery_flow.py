"""An assist lottery to its draw, as people see it: the starter enters from the home page
and a friend's assist from the shared link adds an entry; another person enters on
their own. When the draw time has passed and the draw has run, each entrant reads their
own result (one prize: exactly one of them won it), and the public draw record shows
the winner, the entries and the server's checks, all passed."""

from __future__ import annotations

from collections.abc import Callable

from tests.browser import world
from tests.browser.conftest import Look, Person, Site
from tests.browser.steps import assist_through, share_link, signed_in_and_started


def test_a_lottery_is_drawn_and_each_entrant_reads_their_result(
    site: Site, look: Look, people: Callable[..., Person]
) -> None:
    campaign_id = world.lottery(site, look, draw_in_seconds=2 * world.HOUR)
    starter = people("starter")
    entry_id = signed_in_and_started(starter, campaign_id)
    assert starter.page.locator("[data-entries='1']").count() == 1
    link = share_link(starter)

    friend = people("friend")
    assist_through(friend, link, instance_id=entry_id)
    assert friend.page.locator("[data-entries='2']").count() == 1

    other = people("other")
    other_id = signed_in_and_started(other, campaign_id)
    other.goto(f"/campaigns/{campaign_id}/draw")
    assert other.page.locator("[data-not-drawn]").count() == 1

    site.later(2 * world.HOUR + 60)
    site.run_jobs()  # the due draw is scheduled,
    site.run_jobs()  # then drawn

    results = {}
    for person, instance_id in ((starter, entry_id), (other, other_id)):
        person.goto(f"/i/{instance_id}")
        assert person.page.locator(f"[data-draw-result='{campaign_id}']").count() == 1
        # Its badge says it was drawn, never "expired" beside its result.
        badge = person.text("[data-status]")
        assert badge in ("已开奖", "Drawn"), badge
        results[person.name] = person.page.locator("[data-my-result]").get_attribute(
            "data-my-result"
        )
        person.picture("lottery-result-phone")
        person.goto("/me")
        mine = person.page.locator(f"[data-instance='{instance_id}'] [data-my-result]")
        assert mine.get_attribute("data-my-result") == results[person.name]
    assert sorted(results.values()) == ["not_won", "won"], results

    other.goto(f"/campaigns/{campaign_id}/draw")
    assert other.page.locator("[data-winner]").count() == 1
    assert other.page.locator("[data-entries-total='3']").count() == 1
    checks = other.page.locator("[data-check]")
    assert checks.count() >= 1
    assert other.page.locator("[data-check][data-ok='no']").count() == 0
    other.picture("draw-record-phone")
