"""Sender reputation over HTTP on both backends: mutes, blocks and reports from people
the sender's invites reached shrink the sender's caps as the formula says, and the shrunk
cap is the one enforced; the same complaints from people never reached change nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from huzhu.invites import rules
from huzhu.invites import service as invites
from huzhu.kit import clock
from tests.assists.conftest import World
from tests.factories import auth
from tests.invites.conftest import make_world, start

OPEN_ALL = {
    "accept_from": "everyone",
    "kinds": None,
    "quiet_start": "00:00",
    "quiet_end": "00:00",
    "time_zone": "UTC",
    "daily_max": 10,
}


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    """A sender cap of 40 a day: room to reach ten people and still show the shrunk cap
    being enforced on the same day."""
    w = make_world(db_url, invites={"sender_daily_invites": 40})
    try:
        yield w
    finally:
        w.db.dispose()


def _invited(world: World, client: TestClient, sender: str, instance_id: int, name: str) -> str:
    """A person the sender's invite reached: their token."""
    rid, token = world.person(name)
    client.put("/api/v1/me/invite-preferences", headers=auth(token), json=OPEN_ALL)
    sent = client.post(
        f"/api/v1/instances/{instance_id}/invites", headers=auth(sender), json={"recipient_id": rid}
    )
    assert sent.status_code == 201, sent.text
    return token


def _caps(client: TestClient, token: str) -> dict[str, int]:
    return dict(client.get("/api/v1/me/invite-caps", headers=auth(token)).json())


def test_a_new_sender_has_the_whole_cap_and_one_mute_changes_nothing(
    world: World, client: TestClient
) -> None:
    alice_id, alice = world.person("alice")
    caps = _caps(client, alice)
    assert caps["invites_per_day"] == world.settings.invites.sender_daily_invites
    assert caps["group_links_per_hour"] == world.settings.invites.group_links_per_hour
    bob = _invited(world, client, alice, start(world, "alice"), "bob")
    client.put(f"/api/v1/me/mutes/{alice_id}", headers=auth(bob))
    after = _caps(client, alice)
    assert after["bad_outcomes"] == 1
    assert after["invites_per_day"] == caps["invites_per_day"]


def test_mutes_blocks_and_reports_shrink_the_cap_that_is_enforced(
    world: World, client: TestClient
) -> None:
    alice_id, alice = world.person("alice")
    instance_id = start(world, "alice")
    reached = [_invited(world, client, alice, instance_id, f"annoyed{i}") for i in range(10)]
    # Six of them muted alice, three blocked her, and one reported her: 10 bad.
    for i, token in enumerate(reached[:9]):
        kind = "mutes" if i < 6 else "blocks"
        assert client.put(f"/api/v1/me/{kind}/{alice_id}", headers=auth(token)).status_code == 200
    report = client.post(
        "/api/v1/reports", json={"kind": "spam", "account_id": alice_id}, headers=auth(reached[9])
    )
    assert report.status_code == 201, report.text
    caps = _caps(client, alice)
    p = invites.reputation_params(world.settings)
    daily = world.settings.invites.sender_daily_invites
    expected = rules.shrunk_cap(daily, bad=10, sent=0, p=p)
    assert (caps["bad_outcomes"], caps["invites_counted"]) == (10, 0)
    assert caps["invites_per_day"] == expected
    assert 10 < expected < daily
    codes = []
    for i in range(expected - 10 + 2):  # ten of today's invites are spent already
        rid, rtoken = world.person(f"fan{i}")
        client.put("/api/v1/me/invite-preferences", headers=auth(rtoken), json=OPEN_ALL)
        resp = client.post(
            f"/api/v1/instances/{instance_id}/invites",
            headers=auth(alice),
            json={"recipient_id": rid},
        )
        codes.append(resp.json().get("code", resp.status_code))
    assert codes == [201] * (expected - 10) + ["sender_cap", "sender_cap"]
    # Fresh invites do not count as clean yet; a day later they do, and lift the cap.
    clock.advance(24 * 3600 + 1)
    later = _caps(client, alice)
    assert later["invites_counted"] == expected
    assert later["invites_per_day"] == rules.shrunk_cap(daily, bad=10, sent=expected, p=p)
    assert later["invites_per_day"] > expected


def test_complaints_from_people_never_reached_change_nothing(
    world: World, client: TestClient
) -> None:
    """Eight fresh accounts that never received anything from alice mute, block and
    report her: her caps stay whole (they cut an honest sender from 16 to 3 before)."""
    alice_id, alice = world.person("alice")
    start(world, "alice")
    before = _caps(client, alice)
    for i in range(8):
        _, token = world.person(f"brigade{i}")
        assert client.put(f"/api/v1/me/mutes/{alice_id}", headers=auth(token)).status_code == 200
        assert client.put(f"/api/v1/me/blocks/{alice_id}", headers=auth(token)).status_code == 200
        filed = client.post(
            "/api/v1/reports", json={"kind": "spam", "account_id": alice_id}, headers=auth(token)
        )
        assert filed.status_code == 201, filed.text
    after = _caps(client, alice)
    assert after["bad_outcomes"] == 0
    assert after["invites_per_day"] == before["invites_per_day"]
    assert after["group_links_per_hour"] == before["group_links_per_hour"]


def test_enough_bad_outcomes_stop_a_sender_whatever_their_volume(
    world: World, client: TestClient
) -> None:
    alice_id, _ = world.person("alice")
    p = invites.reputation_params(world.settings)
    with world.db.unit_of_work() as s:
        caps = invites.sender_caps(s, world.settings, sender_id=alice_id, reports=80)
    assert caps.bad == 80
    assert caps.invites_per_day == 0
    assert caps.group_links_per_hour == 0
    # Even with a thousand clean invites behind them: volume counts only up to V.
    assert rules.shrunk_cap(20, bad=80, sent=1000, p=p) == 0
