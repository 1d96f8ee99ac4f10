"""Sender reputation over HTTP on both backends: mutes, blocks and reports shrink a
sender's caps as the formula says, and the shrunk cap is the one enforced."""

from __future__ import annotations

from fastapi.testclient import TestClient

from huzhu.enforcement import service as enforcement
from huzhu.invites import rules
from huzhu.invites import service as invites
from huzhu.kit import clock
from tests.assists.conftest import World
from tests.factories import auth
from tests.invites.conftest import start

OPEN_ALL = {
    "accept_from": "everyone",
    "kinds": None,
    "quiet_start": "00:00",
    "quiet_end": "00:00",
    "time_zone": "UTC",
    "daily_max": 10,
}


def test_a_new_sender_has_the_whole_cap_and_one_mute_changes_nothing(
    world: World, client: TestClient
) -> None:
    alice_id, alice = world.person("alice")
    caps = client.get("/api/v1/me/invite-caps", headers=auth(alice)).json()
    assert caps["invites_per_day"] == world.settings.invites.sender_daily_invites
    assert caps["group_links_per_hour"] == world.settings.invites.group_links_per_hour
    _, bob = world.person("bob")
    client.put(f"/api/v1/me/mutes/{alice_id}", headers=auth(bob))
    after = client.get("/api/v1/me/invite-caps", headers=auth(alice)).json()
    assert after["bad_outcomes"] == 1
    assert after["invites_per_day"] == caps["invites_per_day"]


def test_mutes_blocks_and_reports_shrink_the_cap_that_is_enforced(
    world: World, client: TestClient
) -> None:
    alice_id, alice = world.person("alice")
    instance_id = start(world, "alice")
    # Six people muted alice, three blocked her, and one report was filed: 10 bad.
    for i in range(9):
        _, token = world.person(f"annoyed{i}")
        kind = "mutes" if i < 6 else "blocks"
        assert client.put(f"/api/v1/me/{kind}/{alice_id}", headers=auth(token)).status_code == 200
    with world.db.unit_of_work() as s:
        enforcement.note_report(s, shop_id=world.shop.shop_id, account_id=alice_id)
    caps = client.get("/api/v1/me/invite-caps", headers=auth(alice)).json()
    p = invites.reputation_params(world.settings)
    expected = rules.shrunk_cap(world.settings.invites.sender_daily_invites, bad=10, sent=0, p=p)
    assert caps["bad_outcomes"] == 10
    assert caps["invites_per_day"] == expected
    assert 0 < expected < world.settings.invites.sender_daily_invites  # 11/50 = 22 %: 6
    codes = []
    for i in range(expected + 2):
        rid, rtoken = world.person(f"fan{i}")
        client.put("/api/v1/me/invite-preferences", headers=auth(rtoken), json=OPEN_ALL)
        resp = client.post(
            f"/api/v1/instances/{instance_id}/invites",
            headers=auth(alice),
            json={"recipient_id": rid},
        )
        codes.append(resp.json().get("code", resp.status_code))
    assert codes == [201] * expected + ["sender_cap", "sender_cap"]
    # Fresh invites do not count as clean yet; a day later they do, and lift the cap.
    assert client.get("/api/v1/me/invite-caps", headers=auth(alice)).json()["invites_counted"] == 0
    clock.advance(24 * 3600 + 1)
    later = client.get("/api/v1/me/invite-caps", headers=auth(alice)).json()
    assert later["invites_counted"] == expected
    assert later["invites_per_day"] == rules.shrunk_cap(
        world.settings.invites.sender_daily_invites, bad=10, sent=expected, p=p
    )
    assert later["invites_per_day"] > expected


def test_enough_bad_outcomes_stop_a_sender_whatever_their_volume(
    world: World, client: TestClient
) -> None:
    alice_id, _ = world.person("alice")
    p = invites.reputation_params(world.settings)
    with world.db.unit_of_work() as s:
        for _ in range(80):
            enforcement.note_report(s, shop_id=world.shop.shop_id, account_id=alice_id)
        caps = invites.sender_caps(s, world.settings, sender_id=alice_id)
    assert caps.bad == 80
    assert caps.invites_per_day == 0
    assert caps.group_links_per_hour == 0
    # Even with a thousand clean invites behind them: volume counts only up to V.
    assert rules.shrunk_cap(20, bad=80, sent=1000, p=p) == 0
