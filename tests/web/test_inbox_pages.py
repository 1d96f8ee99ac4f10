"""The inbox page, in process over ASGI on the demo seed: a signed-in participant sees
their own messages newest first with the unread ones marked, a badge with the unread
count in every page's header, and forms (CSRF and all) that mark one or all read — in
Simplified Chinese and in English. Another person's message is not theirs to touch."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from huzhu.db import Database
from huzhu.notify import service as notify
from tests.web.test_error_messages import EN, ZH, sign_in
from tests.web.test_pages_http import _client as seeded_client
from tests.web.test_pages_http import _csrf


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    yield from seeded_client(sqlite_url)


def _send(client: TestClient, account_id: int, reason: str) -> int:
    db: Database = client.app.state.db  # type: ignore[attr-defined]
    params = {"count": 2, "reason": reason, "free_slots": 1, "instance_kind": "unlock"}
    with db.unit_of_work() as s:
        message = notify.send_inbox_message(
            s, account_id=account_id, kind=notify.Kind.ASSIST_VOIDED, params=params
        )
        assert message is not None
        return message.id


def _badge(page: str) -> int | None:
    found = re.search(r'data-unread-badge="(\d+)"', page)
    return int(found.group(1)) if found else None


def _messages(page: str) -> list[tuple[int, str]]:
    return [(int(i), r) for i, r in re.findall(r'data-message="(\d+)" data-read="(\w+)"', page)]


def test_a_stranger_is_asked_to_sign_in_first(client: TestClient) -> None:
    answer = client.get("/me/inbox", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=%2Fme%2Finbox"


def test_a_person_sees_only_their_own_messages_newest_first_with_unread_marked(
    client: TestClient,
) -> None:
    other = TestClient(client.app, base_url="http://testserver")
    stranger_id = sign_in(other, "inbox-stranger")
    me = sign_in(client, "inbox-reader")
    first = _send(client, me, "Two assists were removed")
    _send(client, stranger_id, "Not for you")
    second = _send(client, me, "Your appeal was decided")
    page = client.get("/me/inbox", headers=EN).text
    assert _messages(page) == [(second, "no"), (first, "no")]
    assert "Not for you" not in page
    assert "because Two assists were removed. Helpers still needed: 1." in page
    assert _badge(page) == 2
    assert "Unread messages: 2" in page
    assert "Assists removed" in page
    zh = client.get("/me/inbox", headers=ZH).text
    for words in ("我的消息", "未读消息：2 条", "全部标为已读", "助力被移除"):
        assert words in zh
    # The badge is in every page's header, not only the inbox's.
    assert _badge(client.get("/me", headers=EN).text) == 2
    assert _badge(other.get("/", headers=EN).text) == 1


def test_marking_one_then_all_read_clears_the_badge(client: TestClient) -> None:
    me = sign_in(client, "inbox-marker")
    first = _send(client, me, "one")
    second = _send(client, me, "two")
    token = _csrf(client, "/me/inbox")
    answer = client.post(
        f"/me/inbox/{first}/read", data={"csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/me/inbox?notice=message_read"
    page = client.get(answer.headers["location"], headers=EN).text
    assert _messages(page) == [(second, "no"), (first, "yes")]
    assert _badge(page) == 1
    assert "Marked read." in page
    answer = client.post("/me/inbox/read-all", data={"csrf_token": token}, follow_redirects=False)
    assert answer.headers["location"] == "/me/inbox?notice=inbox_read"
    page = client.get(answer.headers["location"], headers=ZH).text
    assert _messages(page) == [(second, "yes"), (first, "yes")]
    assert _badge(page) is None
    assert "你的消息已全部标为已读。" in html.unescape(page)
    assert "data-mark-all-read" not in page


def test_another_persons_message_is_not_found_from_the_page(client: TestClient) -> None:
    other = TestClient(client.app, base_url="http://testserver")
    theirs = _send(client, sign_in(other, "inbox-owner"), "private")
    sign_in(client, "inbox-intruder")
    token = _csrf(client, "/me/inbox")
    answer = client.post(f"/me/inbox/{theirs}/read", data={"csrf_token": token}, headers=EN)
    assert answer.status_code == 404
    assert "inbox_message_not_found" in answer.text
    assert "This message is not in your inbox." in answer.text
    zh = client.post(f"/me/inbox/{theirs}/read", data={"csrf_token": token}, headers=ZH)
    assert "你的消息中没有这一条。" in zh.text
    assert _messages(other.get("/me/inbox").text) == [(theirs, "no")]


def test_mark_all_read_without_the_csrf_token_is_refused(client: TestClient) -> None:
    me = sign_in(client, "inbox-csrf")
    _send(client, me, "kept unread")
    answer = client.post("/me/inbox/read-all", data={}, follow_redirects=False)
    assert answer.status_code == 403
    assert _badge(client.get("/me/inbox").text) == 1


@pytest.mark.parametrize("headers", [EN, ZH], ids=["en", "zh"])
def test_the_inbox_page_names_its_zone_once_however_many_times_it_shows(
    client: TestClient, headers: dict[str, str]
) -> None:
    me = sign_in(client, f"inbox-zone-{headers['Accept-Language']}")
    until = "2026-12-08T04:30:00+00:00"  # 12:30 in Asia/Shanghai
    db: Database = client.app.state.db  # type: ignore[attr-defined]
    with db.unit_of_work() as s:
        for _ in range(2):
            notify.send_inbox_message(
                s,
                account_id=me,
                kind=notify.Kind.ENFORCEMENT,
                params={
                    "variant": "applied",
                    "action_kind": "invite_restriction_1d",
                    "reason": "spam",
                    "until": until,
                },
            )
    page = html.unescape(client.get("/me/inbox", headers=headers).text)
    assert page.count("2026-12-08 12:30") == 2  # each message still says until when
    # Beside the first message's time; a message read alone (the API, a push) still
    # names it after each time (tests/notify/test_inbox_preferences.py).
    assert page.count("Asia/Shanghai") == 1


@pytest.mark.parametrize(
    ("headers", "label", "box"),
    [
        (EN, "New assists on my activities, and new members of my teams", "Lottery draw results"),
        (ZH, "我的活动收到的新助力，以及新加入我的团的成员", "抽奖开奖结果"),
    ],
)
def test_each_message_and_mute_box_says_what_its_kind_is(
    client: TestClient, headers: dict[str, str], label: str, box: str
) -> None:
    """A team's new member and a friend's assist are one kind, and its label names both;
    not a generic "friends helped" that is wrong for a group buy."""
    me = sign_in(client, f"inbox-kinds-{headers is ZH}")
    db: Database = client.app.state.db  # type: ignore[attr-defined]
    with db.unit_of_work() as s:
        notify.send_inbox_message(
            s,
            account_id=me,
            kind=notify.Kind.ASSIST_RECEIVED,
            params={"instance_kind": "groupbuy", "campaign": "Rice", "count": 2},
        )
    page = html.unescape(client.get("/me/inbox", headers=headers).text)
    said = re.search(r'<span data-kind="assist_received">([^<]*)</span>', page)
    assert said is not None
    assert said.group(1) == label
    boxes = re.findall(r'<label for="f-kind-\w+">([^<]*)</label>', page)
    assert len(boxes) == len(notify.Kind)
    assert len(set(boxes)) == len(boxes)
    assert label in boxes
    assert box in boxes
