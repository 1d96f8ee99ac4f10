"""The console's review queue and appeals, in Chromium against a real server: a spam
report becomes a case, an analyst takes and confirms it (the ladder warns the sender),
the sender appeals, and the analyst lifts the action — every step through the pages."""

from __future__ import annotations

import re
from typing import Any

import httpx

from huzhu.seed import DEMO_ANALYST_EMAIL, DEMO_ANALYST_PASSWORD
from tests.web.conftest import Demo, accessibility_problems, operator_sign_in, sign_in


def _participant(demo: Demo, subject: str) -> tuple[str, int]:
    body = httpx.post(
        f"{demo.url}/api/v1/auth/participant",
        json={"shop": "demo", "subject": subject},
        timeout=30,
    ).json()
    return str(body["token"]), int(body["account_id"])


def test_an_analyst_confirms_a_spam_case_and_lifts_the_action_on_appeal(
    demo: Demo, page_for: Any
) -> None:
    sender_token, sender_id = _participant(demo, "review-sender")
    report = {"kind": "spam", "account_id": sender_id, "text": "ten invites in an hour"}
    filed = demo.api("review-reporter", "POST", "/api/v1/reports", json=report)
    assert filed.status_code == 201, filed.text
    case_id = filed.json()["case_id"]

    page = page_for("en-US")
    operator_sign_in(page, demo, DEMO_ANALYST_EMAIL, DEMO_ANALYST_PASSWORD)
    page.get_by_role("link", name="Review queue").click()
    row = page.locator(f"tr[data-case='{case_id}']")
    assert "ten invites" not in row.inner_text()  # the summary, not the reporter's words
    assert accessibility_problems(page) == []
    row.get_by_role("link", name=str(case_id)).click()
    page.wait_for_url(re.compile(rf"/console/review/{case_id}$"))
    assert "ten invites in an hour" in page.content()
    assert accessibility_problems(page) == []
    page.locator("[data-decision=take]").click()
    page.wait_for_url(re.compile(r"notice=case_taken"))

    # A decision needs a reason: it is told to the people affected.
    page.locator("[data-decision=confirm]").click()
    page.wait_for_url(re.compile(r"error=reason_required"))
    assert page.locator("[data-case-status]").get_attribute("data-case-status") == "open"
    page.get_by_label("Reason (told to the people affected)").fill("invites sent to strangers")
    page.get_by_label("Then").select_option("warning")
    page.locator("[data-decision=confirm]").click()
    page.wait_for_url(re.compile(r"notice=case_confirmed"))
    assert page.locator("[data-case-status]").get_attribute("data-case-status") == "confirmed"
    assert page.locator("[data-action-kind=warning]").count() == 1
    assert page.locator("[data-decision]").count() == 0  # decided once

    # The sender sees the warning on their own standing page and appeals it there.
    sender = page_for("en-US")
    sign_in(sender, demo, "review-sender", next_path="/me/standing")
    own = sender.locator("[data-own-action]")
    assert own.count() == 1
    assert "invites sent to strangers" in own.inner_text()
    assert accessibility_problems(sender) == []
    own.get_by_role("button", name="Send appeal").click()
    sender.wait_for_url(re.compile(r"error=appeal_text_required"))
    own.get_by_label("Appeal: tell us why this is wrong (once per action)").fill(
        "those were my classmates"
    )
    own.get_by_role("button", name="Send appeal").click()
    sender.wait_for_url(re.compile(r"notice=appeal_filed"))
    assert own.locator("[data-appeal-status]").get_attribute("data-appeal-status") == "pending"
    assert own.get_by_role("button", name="Send appeal").count() == 0  # once per action
    appeal_id = httpx.get(
        f"{demo.url}/api/v1/me/enforcement",
        headers={"Authorization": f"Bearer {sender_token}"},
        timeout=30,
    ).json()["appeals"][0]["id"]
    page.get_by_role("link", name="Appeals").click()
    card = page.locator(f"[data-appeal='{appeal_id}']")
    assert "those were my classmates" in card.inner_text()
    assert accessibility_problems(page) == []
    card.get_by_label("Reason (told to the person)").fill("classmates, not strangers")
    card.locator("[data-appeal-decision=lift]").click()
    page.wait_for_url(re.compile(r"notice=appeal_lift"))
    after = httpx.get(
        f"{demo.url}/api/v1/me/enforcement",
        headers={"Authorization": f"Bearer {sender_token}"},
        timeout=30,
    ).json()
    assert after["appeals"][0]["status"] == "lifted"
    assert after["actions"][0]["lifted_at"] is not None
    sender.reload()
    assert own.locator("[data-appeal-status]").get_attribute("data-appeal-status") == "lifted"


def test_an_analyst_voids_a_fake_assist_and_the_numbers_follow(demo: Demo, page_for: Any) -> None:
    unlock = demo.instance_of("gao", "unlock")
    page = page_for("en-US")
    operator_sign_in(page, demo, DEMO_ANALYST_EMAIL, DEMO_ANALYST_PASSWORD)
    page.goto(f"{demo.url}/console/campaigns/{unlock['campaign_id']}")
    page.locator(f"[data-instance-link='{unlock['id']}']").click()
    # The check reads the document: it must be the instance's page, not the one leaving.
    page.wait_for_url(re.compile(rf"/console/instances/{unlock['id']}$"))
    assert accessibility_problems(page) == []
    counted = int(page.locator("[data-counted]").get_attribute("data-counted") or "0")
    assert counted == unlock["counted_count"]
    row = page.locator("tr[data-assist-row]").filter(
        has=page.locator("[data-assist-status=counted]")
    )
    first = row.first
    assist_id = first.get_attribute("data-assist-row")
    first.locator("[data-void]").click()
    page.wait_for_url(re.compile(r"error=void_reason_required"))
    first = page.locator(f"tr[data-assist-row='{assist_id}']")
    first.get_by_label("Reason, told to the starter").fill("one device behind many accounts")
    first.locator("[data-void]").click()
    page.wait_for_url(re.compile(r"notice=voided"))
    assert page.locator("[data-counted]").get_attribute("data-counted") == str(counted - 1)
    assert page.locator("[data-voided]").get_attribute("data-voided") == "1"
    voided = page.locator(f"tr[data-assist-row='{assist_id}'] [data-assist-status]")
    assert voided.get_attribute("data-assist-status") == "voided"
    # The public page shows the removal honestly, and progress equals the counted assists.
    after = httpx.get(f"{demo.url}/api/v1/instances/{unlock['id']}", timeout=30).json()
    assert after["counted_count"] == counted - 1
    assert after["progress_value"] == counted - 1
    assert after["voided_count"] == 1
