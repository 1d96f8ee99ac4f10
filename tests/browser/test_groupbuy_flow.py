"""Group buys as people go through them: a team opened by ordering (after a
confirmation holding the group price), joined by two friends from the shared link, full
and charged; and a team nobody joins that expires when its time is up and is refunded
in full."""

from __future__ import annotations

from collections.abc import Callable

from tests.browser import world
from tests.browser.conftest import Look, Person, Site
from tests.browser.steps import (
    arrive_signed_in,
    confirm,
    instance_id_of,
    share_link,
    start_from_home,
)

GROUP_PRICE = 4_900


def open_team(leader: Person, campaign_id: int) -> int:
    leader.sign_in()
    start_from_home(leader, campaign_id)
    confirm(leader, action="open_team", amount_cents=GROUP_PRICE)
    assert leader.page.locator("[data-members='1']").count() == 1
    return instance_id_of(leader)


def test_a_team_fills_from_its_share_link_and_every_member_is_charged(
    site: Site, look: Look, people: Callable[..., Person]
) -> None:
    campaign_id = world.groupbuy(site, look)
    leader = people("leader")
    team_id = open_team(leader, campaign_id)
    link = share_link(leader)

    members = []
    for n in range(2):
        friend = people(f"member{n}")
        members.append(friend)
        arrive_signed_in(friend, link)
        friend.submit("[data-join]")
        confirm(friend, action="join_team", amount_cents=GROUP_PRICE)
        assert f"/i/{team_id}?notice=joined" in friend.page.url
        assert friend.page.locator(f"[data-members='{n + 2}']").count() == 1

    assert site.run_jobs() >= 1  # the capture of a full team
    leader.goto(f"/i/{team_id}")
    assert leader.page.locator("[data-members='3']").count() == 1
    assert leader.page.locator("[data-status='completed']").count() == 1
    leader.goto("/me/spending")
    assert leader.page.locator(f"[data-spent-month='{GROUP_PRICE}']").count() == 1
    for member in members:  # a member finds the team they joined, and their charge
        member.goto("/me")
        assert (
            member.page.locator(f"[data-team='{team_id}'] [data-order-status]").get_attribute(
                "data-order-status"
            )
            == "captured"
        )


def test_a_team_that_does_not_fill_in_time_is_refunded_in_full(
    site: Site, look: Look, people: Callable[..., Person]
) -> None:
    campaign_id = world.groupbuy(site, look, ttl_seconds=world.HOUR)
    leader = people("leader")
    team_id = open_team(leader, campaign_id)
    assert leader.page.locator("[data-refund-promise]").count() == 1
    member = people("member")
    arrive_signed_in(member, share_link(leader))
    member.submit("[data-join]")
    confirm(member, action="join_team", amount_cents=GROUP_PRICE)
    member.goto("/me")
    order = member.page.locator(f"[data-team='{team_id}'] [data-order-status]")
    assert order.get_attribute("data-order-status") == "authorized"

    # The pages read what the jobs did, never the clock: so what is checked here does
    # not depend on which day or month the moved clock falls in.
    site.later(world.HOUR + 60)
    site.run_jobs()  # the team expires, then its orders are refunded
    site.run_jobs()
    leader.goto(f"/i/{team_id}")
    assert leader.page.locator("[data-status='expired']").count() == 1
    assert leader.page.locator("[data-members='2']").count() == 1
    leader.picture("groupbuy-refunded-phone")
    member.goto("/me")
    assert order.get_attribute("data-order-status") == "refunded"
