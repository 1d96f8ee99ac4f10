"""Unwanted invites, from the person who gets them to the operator who decides: a
recipient mutes and blocks the sender from the shared link's page and undoes both on
their mutes-and-blocks page; another reports the sender (after a confirmation), the
operator confirms the report in the review queue with a restriction, the sender reads
it on their standing page and appeals, the operator lifts it, and the sender reads
that."""

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


def test_a_recipient_mutes_and_blocks_the_sender_then_undoes_both(
    site: Site, look: Look, people: Callable[..., Person]
) -> None:
    sender, link = shared_by_a_sender(site, look, people)
    sender_id = sender.account_id()
    instance_id = int(sender.page.url.split("/i/")[1].split("?")[0])
    recipient = people("recipient")
    arrive_signed_in(recipient, link)

    # Muting is one tap and lands where it is undone.
    recipient.submit("[data-sender-action='mute']")
    assert "/me/relations" in recipient.page.url
    assert "notice=muted" in recipient.page.url
    muted = recipient.page.locator(f"[data-relation='mute'][data-other='{sender_id}']")
    assert muted.count() == 1

    # Blocking asks first, saying what follows.
    recipient.goto(link)
    recipient.submit("[data-sender-action='block']")
    assert recipient.page.locator("[data-confirm='block']").count() == 1
    assert recipient.page.locator("[data-next='block'] li").count() >= 3
    recipient.submit("[data-confirm-button]")
    assert "/me/relations" in recipient.page.url
    assert "notice=blocked" in recipient.page.url
    blocked = recipient.page.locator(f"[data-relation='block'][data-other='{sender_id}']")
    assert blocked.count() == 1
    recipient.picture("relations-phone")

    # A block holds both ways: the recipient cannot assist the sender's activity.
    recipient.goto(link)
    recipient.submit("[data-assist]")
    assert "error=" in recipient.page.url, recipient.page.url
    assert recipient.page.locator(".error-box[role=alert]").count() == 1

    recipient.goto("/me/relations")
    recipient.submit(f"[data-relation='block'][data-other='{sender_id}'] [data-undo='block']")
    assert "notice=unblocked" in recipient.page.url, recipient.page.url
    assert blocked.count() == 0
    recipient.submit(f"[data-relation='mute'][data-other='{sender_id}'] [data-undo='mute']")
    assert "notice=unmuted" in recipient.page.url, recipient.page.url
    assert muted.count() == 0

    # Undone: the assist goes through now.
    recipient.goto(link)
    recipient.submit("[data-assist]")
    assert f"/i/{instance_id}?notice=counted" in recipient.page.url, recipient.page.url


def test_a_report_is_confirmed_then_appealed_and_lifted(
    site: Site, look: Look, people: Callable[..., Person]
) -> None:
    sender, link = shared_by_a_sender(site, look, people)
    recipient = people("recipient")
    arrive_signed_in(recipient, link)
    recipient.submit("[data-sender-action='report']")
    assert recipient.page.locator("[data-confirm='report']").count() == 1
    recipient.page.fill("#f-text", "每天发好几次邀请 several invites a day")
    recipient.submit("[data-confirm-button]")
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
