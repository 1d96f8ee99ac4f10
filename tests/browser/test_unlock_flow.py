"""An assist unlock to its reward: two friends assist from the shared link, the activity
succeeds, the reward is paid by the job that pays it, and the starter reads on their
activity's page, on My activities and on My spending that it was paid."""

from __future__ import annotations

from collections.abc import Callable

from tests.browser import world
from tests.browser.conftest import Look, Person, Site
from tests.browser.steps import assist_through, share_link, signed_in_and_started

REWARD = 2_500


def test_two_assists_unlock_the_reward_and_the_starter_sees_it_paid(
    site: Site, look: Look, people: Callable[..., Person]
) -> None:
    campaign_id = world.unlock(site, look)
    starter = people("starter")
    instance_id = signed_in_and_started(starter, campaign_id)
    assert starter.page.locator("[data-helpers-needed='2']").count() == 1
    link = share_link(starter)

    for n in range(2):
        assist_through(people(f"friend{n}"), link, instance_id=instance_id)

    site.run_jobs()  # the reward is paid
    starter.goto(f"/i/{instance_id}")
    assert starter.page.locator("[data-status='completed']").count() == 1
    reward = starter.page.locator("[data-reward]")
    assert reward.get_attribute("data-reward") == "paid"
    assert reward.get_attribute("data-reward-cents") == str(REWARD)
    starter.picture("unlock-reward-phone")
    starter.goto("/me")
    assert (
        starter.page.locator(f"[data-instance='{instance_id}'] [data-reward='paid']").count() == 1
    )
    starter.goto("/me/spending")
    month = "[aria-labelledby='sp-month']"
    assert starter.page.locator(f"{month} dd").all_inner_texts()[2] == "¥25.00"
