"""The assist hot path and invites, on both backends: an assist carries the share it came
from (and its open), a bad or revoked link is refused like opening it, and a block
either way refuses the assist inside the hot path's own transaction."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from huzhu.assists.models import Assist
from tests.assists.conftest import World
from tests.factories import auth
from tests.invites.conftest import issue, start


def _assist(client: TestClient, token: str, instance_id: int, **params: Any) -> Any:
    return client.post(
        f"/api/v1/instances/{instance_id}/assists", headers=auth(token), params=params
    )


def _assists_on(world: World, instance_id: int) -> list[Assist]:
    with world.db.unit_of_work() as s:
        rows = s.scalars(select(Assist).where(Assist.instance_id == instance_id)).all()
        s.expunge_all()
        return list(rows)


def test_an_assist_records_the_link_and_the_open_it_came_from(
    world: World, client: TestClient
) -> None:
    instance_id = start(world, "alice")
    _, alice = world.person("alice")
    _, bob = world.person("bob")
    _, carol = world.person("carol")
    link = issue(client, alice, instance_id, channel="group", group_ref="family").json()
    opened = client.post(f"/api/v1/shares/{link['token']}/open").json()
    resp = _assist(client, bob, instance_id, share=link["token"], share_open=opened["open_id"])
    assert resp.status_code == 201, resp.text
    # An assist through the link without an open is recorded too: scoring can see it.
    assert _assist(client, carol, instance_id, share=link["token"]).status_code == 201
    rows = {r.helper_id: r for r in _assists_on(world, instance_id)}
    bob_id, carol_id = world.person("bob")[0], world.person("carol")[0]
    assert (rows[bob_id].share_link_id, rows[bob_id].share_open_id) == (
        link["id"],
        opened["open_id"],
    )
    assert rows[bob_id].channel == "group"
    assert (rows[carol_id].share_link_id, rows[carol_id].share_open_id) == (link["id"], None)


def test_an_assist_without_a_share_has_none(world: World, client: TestClient) -> None:
    instance_id = start(world, "alice")
    _, bob = world.person("bob")
    assert _assist(client, bob, instance_id).status_code == 201
    (row,) = _assists_on(world, instance_id)
    assert (row.share_link_id, row.share_open_id, row.channel) == (None, None, None)


def test_bad_shares_are_refused_and_leave_no_assist(world: World, client: TestClient) -> None:
    instance_id = start(world, "alice")
    other_instance = start(world, "dave")
    _, alice = world.person("alice")
    _, dave = world.person("dave")
    _, bob = world.person("bob")
    link = issue(client, alice, instance_id).json()
    other = issue(client, dave, other_instance).json()
    other_open = client.post(f"/api/v1/shares/{other['token']}/open").json()["open_id"]
    cases = [
        ({"share": link["token"][:-2] + "AA"}, 404, "link_tampered"),
        ({"share": other["token"]}, 422, "link_mismatch"),
        ({"share": link["token"], "share_open": other_open}, 422, "link_mismatch"),
        ({"share_open": other_open}, 422, "invalid_input"),
        ({"share_open": "x"}, 422, "invalid_input"),
    ]
    for params, status, code in cases:
        resp = _assist(client, bob, instance_id, **params)
        assert resp.status_code == status, (params, resp.text)
        assert resp.json()["code"] == code
    client.post(f"/api/v1/me/share-links/{link['id']}/revoke", headers=auth(alice))
    revoked = _assist(client, bob, instance_id, share=link["token"])
    assert revoked.status_code == 410
    assert revoked.json()["code"] == "link_revoked"
    assert _assists_on(world, instance_id) == []
    # Without the link the same helper may still help.
    assert _assist(client, bob, instance_id).status_code == 201


def test_a_block_either_way_refuses_the_assist_and_unblocking_allows_it(
    world: World, client: TestClient
) -> None:
    alice_id, alice = world.person("alice")
    _, bob = world.person("bob")
    carol_id, carol = world.person("carol")
    first = start(world, "alice")
    # The helper blocked the initiator.
    assert client.put(f"/api/v1/me/blocks/{alice_id}", headers=auth(bob)).status_code == 200
    refused = _assist(client, bob, first)
    assert refused.status_code == 403
    assert refused.json()["code"] == "blocked"
    # The initiator blocked the helper.
    assert client.put(f"/api/v1/me/blocks/{carol_id}", headers=auth(alice)).status_code == 200
    assert _assist(client, carol, first).json()["code"] == "blocked"
    assert _assists_on(world, first) == []
    with world.db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Assist)) == 0
    assert client.delete(f"/api/v1/me/blocks/{alice_id}", headers=auth(bob)).status_code == 200
    assert _assist(client, bob, first).status_code == 201
    assert _assist(client, carol, first).json()["code"] == "blocked"
    # A block binds only that pair: dave still helps.
    _, dave = world.person("dave")
    assert _assist(client, dave, first).status_code == 201
