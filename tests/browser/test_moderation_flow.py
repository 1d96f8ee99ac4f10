"""Unwanted invites, from the person who gets them to the operator who decides: a
recipient mutes, blocks or reports the sender from the shared link's page; the operator
confirms the report in the review queue with a restriction; the sender reads it on
their standing page and appeals; the operator lifts it, and the sender reads that."""

from __future__ import annotations

from collections.abc import Callable

from tests.browser import world
from tests.browser.conftest import Look, Person, Site
from tests.browser.steps import arrive_signed_in, share_link, signed_in_and_started


def shared_by_a_sender(site: Site, look: Look, people: Callable[..., Person]) -> tuple[Person, str]:
    campaign_id = world.bargain(site, look)
    sender = people("sender")
    signed_in_and_started(sender, campaign_id)
    return sender, share_link(sender)


def test_a_recipient_mutes_and_blocks_the_sender_from_the_shared_link(
    site: Site, look: Look, people: Callable[..., Person]
) -> None:
    _, link = shared_by_a_sender(site, look, people)
    recipient = people("recipient")
    arrive_signed_in(recipient, link)
    for action, notice in (("mute", "muted"), ("block", "blocked")):
        recipient.goto(link)
        recipient.submit(f"[data-sender-action='{action}']")
        assert f"notice={notice}" in recipient.page.url, recipient.page.url
        assert recipient.page.locator(".notice[role=status]").count() == 1


def test_a_report_is_confirmed_then_appealed_and_lifted(
    site: Site, look: Look, people: Callable[..., Person]
) -> None:
    sender, link = shared_by_a_sender(site, look, people)
    recipient = people("recipient")
    arrive_signed_in(recipient, link)
    recipient.submit("[data-sender-action='report']")
    assert "notice=reported" in recipient.page.url, recipient.page.url

    operator = people("owner", operator=True)
    operator.operator_sign_in()
    operator.goto("/console/review")
    newest = max(
        int(v)
        for v in operator.page.locator("[data-case]").evaluate_all(
            "(rows) => rows.map((r) => r.getAttribute('data-case'))"
        )
    )
    operator.goto(f"/console/review/{newest}")
    assert operator.page.locator("[data-case-status='open']").count() == 1
    assert str(sender.account_id()) in operator.text("main dd.mono")
    operator.picture("console-review-case")
    operator.page.fill("#f-reason", "多人举报收到不想要的邀请 unwanted invites reported")
    operator.page.select_option("#f-enforce", "invite_restriction_1d")
    operator.submit("[data-decision='confirm']")
    assert operator.page.locator("[data-case-status='confirmed']").count() == 1
    assert operator.page.locator("[data-action-kind]").count() == 1

    sender.goto("/me/standing")
    action = sender.page.locator("[data-own-action]")
    assert action.count() == 1
    action_id = action.get_attribute("data-own-action")
    sender.page.fill(f"#f-text-{action_id}", "我只发给了朋友。 I only sent it to friends.")
    sender.submit(f"[data-appeal-action='{action_id}']")
    assert sender.page.locator("[data-appeal-status='pending']").count() == 1
    sender.picture("standing-appeal-phone")

    operator.goto("/console/appeals")
    appeal = operator.page.locator("[data-appeal]").filter(has_text="I only sent it to friends")
    assert appeal.count() == 1
    appeal_id = appeal.get_attribute("data-appeal")
    operator.page.fill(f"#f-reason-{appeal_id}", "核实为朋友间分享 shared among friends")
    operator.submit(f"[data-appeal='{appeal_id}'] [data-appeal-decision='lift']")

    sender.goto("/me/standing")
    assert sender.page.locator("[data-appeal-status='lifted']").count() == 1
