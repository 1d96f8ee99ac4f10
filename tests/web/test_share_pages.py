"""The share landing page /s/{token}: a genuine link shows the instance with its badge
and records the open; an assist from it carries the share; bad links get a clear page;
the friend can mute, block or report the sender."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import httpx

from tests.web.conftest import Demo, accessibility_problems, sign_in


def _make_link(page: Any, demo: Demo, subject: str, kind: str) -> tuple[dict[str, Any], str]:
    """The starter makes a signed share link on their instance page, as a person would."""
    instance = demo.instance_of(subject, kind)
    sign_in(page, demo, subject, next_path=f"/i/{instance['id']}")
    page.locator("[data-make-link]").click()
    page.wait_for_url(re.compile(r"link="))
    url = page.locator("[data-share-link]").input_value()
    assert re.fullmatch(rf"{re.escape(demo.url)}/s/[A-Za-z0-9_.~-]+", url), url
    qr = page.get_by_alt_text("QR code of your share link")
    qr.wait_for()
    assert page.evaluate("img => img.naturalWidth", qr.element_handle()) > 0
    return instance, url


def _assists_of(demo: Demo, instance_id: int) -> list[tuple[Any, ...]]:
    with sqlite3.connect(demo.db_url.removeprefix("sqlite:///")) as conn:
        return conn.execute(
            "SELECT status, share_link_id, share_open_id FROM assist WHERE instance_id = ?",
            (instance_id,),
        ).fetchall()


def _opens_of(demo: Demo, instance_id: int) -> int:
    with sqlite3.connect(demo.db_url.removeprefix("sqlite:///")) as conn:
        row = conn.execute(
            "SELECT count(*) FROM share_open WHERE instance_id = ?", (instance_id,)
        ).fetchone()
        return int(row[0])


def test_a_friend_opens_a_genuine_link_and_the_assist_carries_the_share(
    demo: Demo, page_for: Any
) -> None:
    starter = page_for("en-US")
    instance, url = _make_link(starter, demo, "erin", "lottery")
    opens_before = _opens_of(demo, instance["id"])

    friend = page_for("zh-CN")
    sign_in(friend, demo, "share-friend-1")
    friend.goto(url)
    assert friend.locator("[data-genuine]").is_visible()
    assert "本店铺的真实链接" in friend.locator("[data-genuine]").inner_text()
    assert _opens_of(demo, instance["id"]) == opens_before + 1
    assert accessibility_problems(friend) == []
    entries = int(friend.locator("[data-entries]").get_attribute("data-entries"))
    friend.locator("[data-assist]").click()
    friend.wait_for_url(re.compile(rf"/i/{instance['id']}\?notice=counted"))
    assert int(friend.locator("[data-entries]").get_attribute("data-entries")) == entries + 1
    carried = [row for row in _assists_of(demo, instance["id"]) if row[1] is not None]
    assert len(carried) == 1
    assert carried[0][0] == "counted"
    assert carried[0][2] is not None


def test_tampered_and_withdrawn_links_get_a_clear_error_page(demo: Demo, page_for: Any) -> None:
    starter = page_for("en-US")
    _instance, url = _make_link(starter, demo, "dan", "lottery")
    visitor = page_for("en-US")
    token = url.rsplit("/", 1)[1]
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    response = visitor.goto(f"{demo.url}/s/{flipped}")
    assert response is not None
    assert response.status == 404
    assert visitor.locator("[data-code]").inner_text() == "link_tampered"
    assert "not genuine" in visitor.locator("[role=alert]").inner_text()
    assert visitor.get_by_role("heading", name="This share link cannot be used").is_visible()
    truncated = visitor.goto(f"{demo.url}/s/{token[: len(token) // 2]}")
    assert truncated is not None
    assert truncated.status == 404

    # The sender withdraws the link over the API: the page now says so.
    bearer = demo.participant_token("dan")
    links = httpx.get(
        f"{demo.url}/api/v1/me/share-links",
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=30,
    ).json()["items"]
    newest = max(links, key=lambda link: link["id"])
    revoked = httpx.post(
        f"{demo.url}/api/v1/me/share-links/{newest['id']}/revoke",
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=30,
    )
    assert revoked.status_code == 200, revoked.text
    gone = visitor.goto(url)
    assert gone is not None
    assert gone.status == 410
    assert visitor.locator("[data-code]").inner_text() == "link_revoked"
    assert "withdrew" in visitor.locator("[role=alert]").inner_text()


def test_a_friend_can_mute_block_and_report_the_sender_from_the_share_page(
    demo: Demo, page_for: Any
) -> None:
    starter = page_for("en-US")
    _instance, url = _make_link(starter, demo, "alice", "bargain")
    friend = page_for("en-US")
    friend.goto(url)
    assert friend.get_by_role("link", name="Sign in to mute, block or report the sender")
    sign_in(friend, demo, "share-friend-2", next_path=url.removeprefix(demo.url))
    friend.locator("[data-sender-action=mute]").click()
    friend.wait_for_url(re.compile(r"/me/relations\?notice=muted"))
    assert "no more invites" in friend.locator(".notice").inner_text()
    assert friend.locator("[data-relation=mute]").count() == 1
    friend.goto(url)
    friend.locator("[data-sender-action=report]").click()
    friend.locator("[data-confirm-button]").click()
    friend.wait_for_url(re.compile(r"notice=reported"))
    friend.goto(url)
    friend.locator("[data-sender-action=report]").click()
    friend.locator("[data-confirm-button]").click()
    friend.wait_for_url(re.compile(r"error=already_reported"))
    assert "already" in friend.locator(".error-box").inner_text()
    # The sender does not see these buttons on their own link.
    starter.goto(url)
    assert starter.locator("[data-sender-action]").count() == 0
