"""Direct invites over HTTP on both backends: the considerate defaults, every refusal
naming its reason, the caps, the inbox message with its one-tap mute and unsubscribe,
group invites, and the enforcement ladder's invite restriction."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from huzhu.enforcement import service as enforcement
from huzhu.invites.models import Invite, ShareLink
from huzhu.kit import clock
from huzhu.notify import service as notify
from huzhu.notify.models import InboxMessage
from tests.assists.conftest import World
from tests.factories import auth
from tests.invites.conftest import make_world, start

OPEN_ALL = {
    "accept_from": "everyone",
    "kinds": None,
    "quiet_start": "00:00",
    "quiet_end": "00:00",  # start == end: no quiet hours
    "time_zone": "UTC",
    "daily_max": 10,
}


def _to_local(hour: int, zone: str = "Asia/Shanghai") -> None:
    """Move this process's clock to the next `hour`:00 in `zone`."""
    now = clock.utcnow()
    local = now.astimezone(ZoneInfo(zone))
    target = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=1)
    clock.advance((target - local).total_seconds())


def _invite(client: TestClient, token: str, instance_id: int, recipient_id: int) -> Any:
    return client.post(
        f"/api/v1/instances/{instance_id}/invites",
        headers=auth(token),
        json={"recipient_id": recipient_id},
    )


def _prefs(client: TestClient, token: str, **changes: Any) -> Any:
    resp = client.put("/api/v1/me/invite-preferences", headers=auth(token), json=OPEN_ALL | changes)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_defaults_are_contacts_only_and_a_contact_add_lets_the_invite_through(
    world: World, client: TestClient
) -> None:
    _to_local(12)
    instance_id = start(world, "alice")
    alice_id, alice = world.person("alice")
    bob_id, bob = world.person("bob")
    prefs = client.get("/api/v1/me/invite-preferences", headers=auth(bob)).json()
    assert prefs == {
        "accept_from": "contacts",
        "kinds": None,
        "quiet_start": "22:00",
        "quiet_end": "08:00",
        "time_zone": "Asia/Shanghai",
        "daily_max": 3,
        "is_default": True,
    }
    refused = _invite(client, alice, instance_id, bob_id)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "invites_not_accepted"
    assert refused.json()["accept_from"] == "contacts"
    assert client.put(f"/api/v1/me/contacts/{alice_id}", headers=auth(bob)).json()["contacts"] == [
        alice_id
    ]
    sent = _invite(client, alice, instance_id, bob_id)
    assert sent.status_code == 201, sent.text
    with world.db.unit_of_work() as s:
        (message,) = s.scalars(select(InboxMessage).where(InboxMessage.account_id == bob_id)).all()
        assert message.kind == "invite_received"
        _, body = notify.render_inbox_message(
            s, world.settings, message, language="en", time_zone="UTC"
        )
        assert "/api/v1/opt-outs/" in body
        assert "Mute alice in one tap" in body
        assert "Stop all invites in one tap" in body
        invite = s.get(Invite, sent.json()["id"])
        assert invite is not None
        assert invite.inbox_message_id == message.id
        # The invite carries its own link, so an assist that follows is attributed.
        link = s.get(ShareLink, invite.share_link_id)
        assert link is not None
        assert link.channel == "friend"


def test_an_assist_either_way_makes_two_people_contacts(world: World, client: TestClient) -> None:
    _to_local(12)
    alice_instance = start(world, "alice")
    _, alice = world.person("alice")
    bob_id, bob = world.person("bob")
    carol_id, _ = world.person("carol")
    helped = client.post(f"/api/v1/instances/{alice_instance}/assists", headers=auth(bob))
    assert helped.status_code == 201, helped.text
    assert _invite(client, alice, alice_instance, bob_id).status_code == 201
    # carol never helped or was helped by alice: still a stranger to her.
    assert _invite(client, alice, alice_instance, carol_id).json()["code"] == "invites_not_accepted"


def test_each_refusal_names_its_reason_and_spends_no_cap(world: World, client: TestClient) -> None:
    instance_id = start(world, "alice")  # a bargain
    alice_id, alice = world.person("alice")
    bob_id, bob = world.person("bob")

    _prefs(client, bob, accept_from="nobody")
    assert _invite(client, alice, instance_id, bob_id).json()["code"] == "invites_not_accepted"

    _prefs(client, bob, kinds=["lottery", "unlock"])
    resp = _invite(client, alice, instance_id, bob_id)
    assert (resp.status_code, resp.json()["code"]) == (403, "kind_not_wanted")

    now = clock.utcnow()
    start_at, end_at = now - timedelta(hours=1), now + timedelta(hours=2)
    _prefs(client, bob, quiet_start=start_at.strftime("%H:%M"), quiet_end=end_at.strftime("%H:%M"))
    quiet = _invite(client, alice, instance_id, bob_id)
    assert (quiet.status_code, quiet.json()["code"]) == (403, "quiet_hours")
    until = datetime.fromisoformat(quiet.json()["until"])
    assert until == end_at.replace(second=0, microsecond=0)
    assert "quiet hours until" in quiet.json()["detail"]
    assert 0 < int(quiet.headers["retry-after"]) <= 2 * 3600

    _prefs(client, bob)
    assert client.put(f"/api/v1/me/mutes/{alice_id}", headers=auth(bob)).json()["muted"] == [
        alice_id
    ]
    assert _invite(client, alice, instance_id, bob_id).json()["code"] == "muted"
    client.delete(f"/api/v1/me/mutes/{alice_id}", headers=auth(bob))
    client.put(f"/api/v1/me/blocks/{bob_id}", headers=auth(alice))
    assert _invite(client, alice, instance_id, bob_id).json()["code"] == "blocked"
    client.delete(f"/api/v1/me/blocks/{bob_id}", headers=auth(alice))

    assert _invite(client, alice, instance_id, alice_id).json()["code"] == "invite_self"
    assert _invite(client, bob, instance_id, alice_id).json()["code"] == "not_your_instance"
    assert _invite(client, alice, instance_id, 10**12).json()["code"] == "recipient_not_found"
    # Six refusals, then the full daily allowance is still there.
    for i in range(3):
        other_id, other = world.person(f"friend{i}")
        _prefs(client, other)
        assert _invite(client, alice, instance_id, other_id).status_code == 201
    assert _invite(client, alice, instance_id, bob_id).status_code == 201


def test_a_recipient_gets_at_most_their_daily_max(world: World, client: TestClient) -> None:
    bob_id, bob = world.person("bob")
    _prefs(client, bob, daily_max=2)
    senders = [world.person(f"sender{i}")[1] for i in range(3)]
    instances = [start(world, f"sender{i}") for i in range(3)]
    answers = [_invite(client, t, i, bob_id) for t, i in zip(senders, instances, strict=True)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[2].json()["code"] == "recipient_daily_max"
    assert int(answers[2].headers["retry-after"]) > 0


def test_a_sender_is_capped_per_day(db_url: str) -> None:
    from huzhu.app import create_app

    world = make_world(db_url, invites={"sender_daily_invites": 3})
    try:
        with TestClient(create_app(world.settings), raise_server_exceptions=False) as client:
            instance_id = start(world, "alice")
            _, alice = world.person("alice")
            codes = []
            for i in range(5):
                rid, rtoken = world.person(f"r{i}")
                _prefs(client, rtoken)
                resp = _invite(client, alice, instance_id, rid)
                codes.append(resp.json().get("code", resp.status_code))
            assert codes == [201, 201, 201, "sender_cap", "sender_cap"]
    finally:
        world.db.dispose()


def _opt_out_path(world: World, recipient_id: int, which: str) -> str:
    with world.db.unit_of_work() as s:
        message = s.scalars(
            select(InboxMessage)
            .where(InboxMessage.account_id == recipient_id)
            .order_by(InboxMessage.id.desc())
        ).first()
        assert message is not None
        _, body = notify.render_inbox_message(
            s, world.settings, message, language="en", time_zone="UTC"
        )
    line = next(ln for ln in body.splitlines() if ln.startswith(which))
    return urlsplit(line.rsplit(" ", 1)[-1]).path


def test_one_tap_mute_and_unsubscribe_work_without_signing_in(
    world: World, client: TestClient
) -> None:
    alice_instance = start(world, "alice")
    carol_instance = start(world, "carol")
    alice_id, alice = world.person("alice")
    _, carol = world.person("carol")
    bob_id, bob = world.person("bob")
    _prefs(client, bob)
    assert _invite(client, alice, alice_instance, bob_id).status_code == 201
    muted = client.post(_opt_out_path(world, bob_id, "Mute"))
    assert muted.status_code == 200, muted.text
    assert muted.json()["action"] == "mute"
    assert _invite(client, alice, alice_instance, bob_id).json()["code"] == "muted"
    assert client.get("/api/v1/me/relations", headers=auth(bob)).json()["muted"] == [alice_id]
    # Others may still invite, until bob stops all invites in one tap.
    assert _invite(client, carol, carol_instance, bob_id).status_code == 201
    stopped = client.post(_opt_out_path(world, bob_id, "Stop all"))
    assert stopped.json()["action"] == "unsubscribe"
    prefs = client.get("/api/v1/me/invite-preferences", headers=auth(bob)).json()
    assert prefs["accept_from"] == "nobody"
    assert _invite(client, carol, carol_instance, bob_id).json()["code"] == "invites_not_accepted"
    forged = client.post("/api/v1/opt-outs/bzF8bXV0ZXwxfDI.AAAA")
    assert (forged.status_code, forged.json()["code"]) == (404, "invalid_opt_out")


def test_a_group_invite_reaches_only_members_who_accept(world: World, client: TestClient) -> None:
    instance_id = start(world, "alice")
    _, alice = world.person("alice")
    open_id, open_token = world.person("open")
    closed_id, closed_token = world.person("closed")
    quiet_id, _ = world.person("default")  # contacts only by default
    _prefs(client, open_token)
    _prefs(client, closed_token, accept_from="nobody")
    resp = client.post(
        f"/api/v1/instances/{instance_id}/group-invites",
        headers=auth(alice),
        json={"group_ref": "wx-group-123", "member_ids": [open_id, closed_id, quiet_id, open_id]},
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["delivered"], body["refused"]) == (1, 2)
    outcomes = {m["recipient_id"]: m for m in body["members"]}
    assert outcomes[open_id]["delivered"] is True
    assert outcomes[closed_id]["code"] == "invites_not_accepted"
    assert outcomes[quiet_id]["code"] == "invites_not_accepted"
    with world.db.unit_of_work() as s:
        (invite,) = s.scalars(select(Invite)).all()
        assert invite.group_hash is not None
        assert "wx-group-123" not in invite.group_hash


@pytest.mark.parametrize("kind", ["invite_restriction_1d", "ban"])
def test_an_invite_restriction_stops_invites_and_links_saying_until_when(
    world: World, client: TestClient, kind: str
) -> None:
    instance_id = start(world, "alice")
    alice_id, alice = world.person("alice")
    bob_id, bob = world.person("bob")
    _prefs(client, bob)
    with world.db.unit_of_work() as s:
        enforcement.enforce(
            s,
            account_id=alice_id,
            rung_or_kind=kind,
            reason="spam reports",
            evidence=None,
            actor="analyst:1",
            case_id=None,
        )
    resp = _invite(client, alice, instance_id, bob_id)
    assert (resp.status_code, resp.json()["code"]) == (403, "invite_restricted")
    assert resp.json()["reason"] == "spam reports"
    if kind == "invite_restriction_1d":
        assert resp.json()["restricted_until"] is not None
    link = client.post(
        f"/api/v1/instances/{instance_id}/share-links", headers=auth(alice), json={"channel": "qr"}
    )
    assert link.json()["code"] == "invite_restricted"


def test_preferences_are_validated_by_the_service_and_recorded(world: World) -> None:
    from huzhu.errors import InvalidInput
    from huzhu.invites import service as invites
    from huzhu.notify.models import Event

    bob_id, _ = world.person("bob")
    with world.db.unit_of_work() as s:
        for bad, field in (
            ({"quiet_start": "25:00"}, "quiet_start"),
            ({"time_zone": "Mars/Olympus"}, "time_zone"),
            ({"accept_from": "friends"}, "accept_from"),
        ):
            with pytest.raises(InvalidInput) as caught:
                invites.set_preferences(s, account_id=bob_id, **(OPEN_ALL | bad))
            assert caught.value.extra["errors"][0]["field"] == field
        invites.set_preferences(s, account_id=bob_id, **OPEN_ALL)
        types = s.scalars(select(Event.type).where(Event.subject_id == bob_id)).all()
        assert "account.invite_preferences_set" in types
