"""The participant inbox over the API, on both backends: a person reads, counts and marks
read only their own messages, newest first and a keyset page at a time; marking read is
idempotent and keeps the first time; another person's message is not found."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from huzhu.accounts import service as accounts
from huzhu.app import create_app
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.kit import clock
from huzhu.notify import service
from tests.conftest import make_settings
from tests.factories import auth, make_participant, make_shop


@dataclass
class Inbox:
    client: TestClient
    db: Database
    alice: tuple[int, dict[str, str]]  # account id, auth headers
    bob: tuple[int, dict[str, str]]
    operator: dict[str, str]

    def send(self, account_id: int, prize: str) -> int:
        params = {"campaign": "Spring draw", "prize": prize, "ticket": 3}
        with self.db.unit_of_work() as s:
            message = service.send_inbox_message(
                s, account_id=account_id, kind=service.Kind.DRAW_RESULT, params=params
            )
            assert message is not None
            return message.id


@pytest.fixture
def inbox(db_url: str) -> Iterator[Inbox]:
    settings: Settings = make_settings(db_url, jobs={"run_in_process": False})
    app = create_app(settings)
    db: Database = app.state.db
    with db.unit_of_work() as s:
        shop_id = make_shop(s)
        alice_id, alice = make_participant(s, settings, shop_id=shop_id, name="alice")
        bob_id, bob = make_participant(s, settings, shop_id=shop_id, name="bob")
        integrator, _ = accounts.create_integrator_token(s, shop_id=shop_id, name="erp")
    with TestClient(app) as client:
        yield Inbox(client, db, (alice_id, auth(alice)), (bob_id, auth(bob)), auth(integrator))
    db.dispose()


def _unread(inbox: Inbox, headers: dict[str, str]) -> int:
    resp = inbox.client.get("/api/v1/me/inbox/unread", headers=headers)
    assert resp.status_code == 200, resp.text
    return int(resp.json()["unread"])


def test_a_person_reads_only_their_own_inbox_newest_first(inbox: Inbox) -> None:
    alice_id, alice = inbox.alice
    bob_id, bob = inbox.bob
    first = inbox.send(alice_id, "first")
    inbox.send(bob_id, "for bob")
    second = inbox.send(alice_id, "second")
    resp = inbox.client.get("/api/v1/me/inbox", headers=alice | {"Accept-Language": "en"})
    assert resp.status_code == 200, resp.text
    page = resp.json()
    assert [m["id"] for m in page["items"]] == [second, first]
    assert page["next_cursor"] is None
    item = page["items"][0]
    assert set(item) == {"id", "kind", "title", "body", "params", "created_at", "read_at"}
    assert (item["kind"], item["title"], item["body"]) == (
        "draw_result",
        "You won: second",
        "Your entry 3 won “second” in the draw of “Spring draw”. Anyone can check the draw:"
        " huzhu verify-draw.",
    )
    assert item["read_at"] is None
    assert [
        m["params"]["prize"]
        for m in inbox.client.get("/api/v1/me/inbox", headers=bob).json()["items"]
    ] == ["for bob"]
    assert _unread(inbox, alice) == 2
    assert _unread(inbox, bob) == 1


def test_pages_follow_the_cursor_without_skipping_or_repeating(inbox: Inbox) -> None:
    alice_id, alice = inbox.alice
    sent = [inbox.send(alice_id, f"m{i}") for i in range(5)]
    seen: list[int] = []
    cursor: int | None = None
    while True:
        params: dict[str, int] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = inbox.client.get("/api/v1/me/inbox", headers=alice, params=params).json()
        seen += [m["id"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(sent, reverse=True)


def test_marking_read_twice_changes_nothing(inbox: Inbox) -> None:
    alice_id, alice = inbox.alice
    message_id = inbox.send(alice_id, "hello")
    other = inbox.send(alice_id, "still unread")
    first = inbox.client.post(f"/api/v1/me/inbox/{message_id}/read", headers=alice)
    assert first.status_code == 200, first.text
    assert first.json()["read_at"] is not None
    clock.advance(3600)
    again = inbox.client.post(f"/api/v1/me/inbox/{message_id}/read", headers=alice)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert _unread(inbox, alice) == 1
    items = {
        m["id"]: m for m in inbox.client.get("/api/v1/me/inbox", headers=alice).json()["items"]
    }
    assert items[other]["read_at"] is None


def test_another_persons_message_is_not_found(inbox: Inbox) -> None:
    alice_id, _ = inbox.alice
    _, bob = inbox.bob
    message_id = inbox.send(alice_id, "private")
    for target in (message_id, message_id + 1000):
        resp = inbox.client.post(f"/api/v1/me/inbox/{target}/read", headers=bob)
        assert resp.status_code == 404, resp.text
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert resp.json()["code"] == "inbox_message_not_found"
    assert _unread(inbox, inbox.alice[1]) == 1


def test_read_all_marks_only_ones_own_unread_messages(inbox: Inbox) -> None:
    alice_id, alice = inbox.alice
    bob_id, bob = inbox.bob
    early = inbox.send(alice_id, "early")
    first_read = inbox.client.post(f"/api/v1/me/inbox/{early}/read", headers=alice).json()
    inbox.send(alice_id, "a")
    inbox.send(alice_id, "b")
    inbox.send(bob_id, "for bob")
    resp = inbox.client.post("/api/v1/me/inbox/read-all", headers=alice)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"marked": 2, "unread": 0}
    assert inbox.client.post("/api/v1/me/inbox/read-all", headers=alice).json() == {
        "marked": 0,
        "unread": 0,
    }
    items = inbox.client.get("/api/v1/me/inbox", headers=alice).json()["items"]
    assert all(m["read_at"] is not None for m in items)
    assert next(m for m in items if m["id"] == early)["read_at"] == first_read["read_at"]
    assert _unread(inbox, bob) == 1


def test_only_a_participant_has_an_inbox(inbox: Inbox) -> None:
    for method, path in (
        ("GET", "/api/v1/me/inbox"),
        ("GET", "/api/v1/me/inbox/unread"),
        ("POST", "/api/v1/me/inbox/read-all"),
        ("POST", "/api/v1/me/inbox/1/read"),
    ):
        assert inbox.client.request(method, path).status_code == 401
        denied = inbox.client.request(method, path, headers=inbox.operator)
        assert denied.status_code == 403, denied.text
        assert denied.json()["code"] == "permission_denied"


def test_unread_count_counts_only_the_persons_own_unread_messages(inbox: Inbox) -> None:
    alice_id, _ = inbox.alice
    bob_id, _ = inbox.bob
    inbox.send(alice_id, "one")
    inbox.send(bob_id, "two")
    with inbox.db.unit_of_work() as s:
        assert service.unread_count(s, account_id=alice_id) == 1
        assert service.mark_all_read(s, account_id=alice_id) == 1
        assert service.unread_count(s, account_id=alice_id) == 0
        assert service.unread_count(s, account_id=bob_id) == 1
