"""Undoing a mute or a block over HTTP on both backends: the sender's invites delivered
before stop calling when the mute or block is made (read, their push withdrawn), those
tried meanwhile are refused and kept nowhere, and the undo brings none of them back as
new — only an invite sent after the undo arrives as new. Bad input to the undo is a
problem+json naming what is wrong."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from huzhu.accounts import service as accounts
from huzhu.invites import service as invites
from huzhu.invites.models import Invite
from huzhu.kit import clock
from huzhu.notify import service as notify
from huzhu.notify.models import InboxMessage
from tests.assists.conftest import World
from tests.factories import auth
from tests.invites.conftest import start
from tests.invites.test_invites import _invite, _prefs


@pytest.fixture
def heard(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The message ids a push channel was handed (no quiet hours, a UTC day)."""
    monkeypatch.setattr(notify, "_INBOX_CHANNELS", {})
    monkeypatch.setattr(notify, "_REACHES", {})
    monkeypatch.setattr(notify, "_PUSH_TIMING", {})
    pushed: list[int] = []
    notify.register_inbox_channel(
        "phone-test", lambda s, new: pushed.append(new.message_id) is None
    )
    return pushed


def _unread(client: TestClient, token: str) -> int:
    answer = client.get("/api/v1/me/inbox/unread", headers=auth(token))
    assert answer.status_code == 200, answer.text
    return int(answer.json()["unread"])


def _messages(world: World, account_id: int) -> list[InboxMessage]:
    with world.db.unit_of_work() as s:
        rows = s.scalars(
            select(InboxMessage)
            .where(InboxMessage.account_id == account_id)
            .order_by(InboxMessage.id)
        ).all()
        s.expunge_all()
        return list(rows)


def _push(world: World, message_id: int) -> str:
    with world.db.unit_of_work() as s:
        return str(notify.push_inbox_message(s, world.settings, message_id=message_id))


@pytest.mark.parametrize(("kind", "refusal"), [("mutes", "muted"), ("blocks", "blocked")])
def test_undo_brings_none_of_the_senders_invites_back_as_new(
    world: World, client: TestClient, heard: list[int], kind: str, refusal: str
) -> None:
    instance_id = start(world, "sender")
    sender_id, sender = world.person("sender")
    me_id, me = world.person("me")
    _prefs(client, me)
    assert _invite(client, sender, instance_id, me_id).status_code == 201
    assert _unread(client, me) == 1
    (before,) = _messages(world, me_id)
    assert before.push_state == "pending"

    made = client.put(f"/api/v1/me/{kind}/{sender_id}", headers=auth(me))
    assert made.status_code == 200, made.text
    # The invite already delivered stops calling: read now, its push withdrawn.
    assert _unread(client, me) == 0
    (aside,) = _messages(world, me_id)
    assert aside.read_at is not None
    assert aside.push_state == "withdrawn"
    assert _push(world, aside.id) == "withdrawn"
    assert heard == []
    # Tried meanwhile: refused, and kept nowhere.
    tried = _invite(client, sender, instance_id, me_id)
    assert (tried.status_code, tried.json()["code"]) == (403, refusal)

    undone = client.delete(f"/api/v1/me/{kind}/{sender_id}", headers=auth(me))
    assert undone.status_code == 200, undone.text
    assert undone.json()[refusal] == []
    assert _unread(client, me) == 0
    (after,) = _messages(world, me_id)  # nothing re-delivered
    assert (after.read_at, after.push_state) == (aside.read_at, "withdrawn")
    with world.db.unit_of_work() as s:
        stored = s.scalar(select(func.count()).where(Invite.recipient_id == me_id))
    assert stored == 1

    # Only an invite sent after the undo arrives as new, and is pushed.
    assert _invite(client, sender, instance_id, me_id).status_code == 201
    assert _unread(client, me) == 1
    newest = _messages(world, me_id)[-1]
    assert _push(world, newest.id) == "pushed"
    assert heard == [newest.id]


def test_my_mutes_and_blocks_are_listed_newest_first_by_name_or_pseudonym(world: World) -> None:
    me_id, _ = world.person("lister")
    others = [world.person(f"other-{n}")[0] for n in range(3)]
    with world.db.unit_of_work() as s:
        # One of them shows a name; the others chose none (the local sign-in's default).
        for other in others[1:]:
            account = accounts.get_account(s, other)
            assert account is not None
            account.display_name = None
        for other in others:
            invites.set_relation(
                s,
                shop_id=world.shop.shop_id,
                account_id=me_id,
                other_id=other,
                kind="mute",
                on=True,
            )
            clock.advance(1)  # each made a second after the last
        invites.set_relation(
            s,
            shop_id=world.shop.shop_id,
            account_id=me_id,
            other_id=others[0],
            kind="block",
            on=True,
        )
    with world.db.unit_of_work() as s:
        listed = invites.silenced_by(s, world.settings, me_id)
    assert [(r.kind, r.other_id) for r in listed] == [
        ("mute", others[2]),
        ("mute", others[1]),
        ("mute", others[0]),
        ("block", others[0]),
    ]
    shown = {r.other_id: (r.name, r.named) for r in listed if r.kind == "mute"}
    assert shown[others[0]] == ("other-0", True)
    pseudonyms = [shown[other][0] for other in others[1:]]
    assert all(name.startswith("#") and len(name) == 9 for name in pseudonyms)
    assert pseudonyms[0] != pseudonyms[1]  # one pseudonym per person
    assert not any(shown[other][1] for other in others[1:])
    assert listed[-1].name == "other-0"


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/v1/me/mutes/999999999", 404, "recipient_not_found"),
        ("/api/v1/me/blocks/not-a-number", 422, "invalid_input"),
        ("/api/v1/me/blocks/0", 422, "invalid_input"),
    ],
)
def test_a_bad_undo_is_a_problem_naming_what_is_wrong(
    world: World, client: TestClient, path: str, status: int, code: str
) -> None:
    _, me = world.person("undoer")
    answer = client.delete(path, headers=auth(me))
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = answer.json()
    assert body["code"] == code


def test_undoing_on_oneself_is_refused(world: World, client: TestClient) -> None:
    me_id, me = world.person("self-undoer")
    answer = client.delete(f"/api/v1/me/mutes/{me_id}", headers=auth(me))
    assert (answer.status_code, answer.json()["code"]) == (403, "cannot_act_on_self")
