"""Activity notices in the starter's inbox, over HTTP on both backends: many assists in
an hour make one "friends helped" message whose count is the ledger's, updated in place
while unread; once read, the next assists wait for the next hour's message; success and
expiry are told once. Written off the hot path, by the runner reading the outbox."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

import huzhu.all_tasks  # noqa: F401  (the notices' periodic read, as a worker has it)
from huzhu.assists.models import Assist
from huzhu.jobs.runner import JobRunner
from huzhu.kit import clock
from tests.assists.conftest import UNLOCK_RULES, World, post_assist, post_start
from tests.factories import auth

SETTLE = 3  # past notify.OUTBOX_SETTLE_SECONDS


def _inbox(client: TestClient, token: str, kind: str, lang: str = "en") -> list[dict[str, Any]]:
    resp = client.get("/api/v1/me/inbox", headers=auth(token) | {"Accept-Language": lang})
    assert resp.status_code == 200, resp.text
    return [m for m in resp.json()["items"] if m["kind"] == kind]


def _ledger(world: World, instance_id: int) -> int:
    with world.db.unit_of_work() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(Assist)
                .where(Assist.instance_id == instance_id, Assist.status == "counted")
            )
            or 0
        )


def _notices(world: World) -> None:
    clock.advance(SETTLE)
    JobRunner(world.db, world.settings).run_periodic(force=True)


def _started(world: World, client: TestClient, helpers_needed: int) -> tuple[int, str]:
    campaign_id, _ = world.campaign("unlock", UNLOCK_RULES | {"helpers_needed": helpers_needed})
    alice = world.person("alice")[1]
    started = post_start(client, alice, campaign_id)
    assert started.status_code == 201, started.text
    return int(started.json()["id"]), alice


def test_many_assists_in_an_hour_make_one_message_counted_from_the_ledger(
    world: World, client: TestClient
) -> None:
    instance_id, alice = _started(world, client, helpers_needed=30)
    for i in range(12):
        assert post_assist(client, world.person(f"h{i}")[1], instance_id).status_code == 201
    _notices(world)
    (message,) = _inbox(client, alice, "assist_received")
    assert message["params"]["count"] == _ledger(world, instance_id) == 12
    assert message["title"] == "12 friends helped in the last hour"
    assert "a helper is named only if they chose to be" in message["body"]
    for i in range(12, 15):
        assert post_assist(client, world.person(f"h{i}")[1], instance_id).status_code == 201
    clock.advance(600)
    _notices(world)
    (updated,) = _inbox(client, alice, "assist_received")
    assert updated["id"] == message["id"]  # updated in place while unread
    assert updated["params"]["count"] == _ledger(world, instance_id) == 15
    zh = _inbox(client, alice, "assist_received", lang="zh-CN")[0]
    assert zh["title"] == "过去一小时有 15 位好友助力"


def test_after_it_is_read_the_next_assists_wait_for_the_next_hours_message(
    world: World, client: TestClient
) -> None:
    instance_id, alice = _started(world, client, helpers_needed=30)
    for i in range(3):
        post_assist(client, world.person(f"h{i}")[1], instance_id)
    _notices(world)
    (first,) = _inbox(client, alice, "assist_received")
    read = client.post(f"/api/v1/me/inbox/{first['id']}/read", headers=auth(alice))
    assert read.status_code == 200, read.text
    for i in range(3, 5):
        post_assist(client, world.person(f"h{i}")[1], instance_id)
    _notices(world)
    (still,) = _inbox(client, alice, "assist_received")
    assert still["params"]["count"] == 3  # what was read stays what was read
    clock.advance(3600)
    JobRunner(world.db, world.settings).run_due()
    newest, older = _inbox(client, alice, "assist_received")
    assert older["id"] == first["id"]
    assert newest["params"]["count"] == 2
    assert newest["params"]["count"] + older["params"]["count"] == _ledger(world, instance_id)


def test_success_is_told_once_and_expiry_says_nothing_was_charged(
    world: World, client: TestClient
) -> None:
    instance_id, alice = _started(world, client, helpers_needed=3)
    for i in range(3):
        post_assist(client, world.person(f"h{i}")[1], instance_id)
    _notices(world)
    _notices(world)
    (success,) = _inbox(client, alice, "instance_succeeded")
    assert success["title"] == "Your activity succeeded"
    assert "is unlocked" in success["body"]
    # A second activity that nobody fills ends at its expiry, and says so.
    other, bob = _started_by(world, client, "bob")
    clock.advance(UNLOCK_RULES["instance_ttl_seconds"] + 1)
    JobRunner(world.db, world.settings).run_due()
    (ended,) = _inbox(client, bob, "expired_refunded")
    assert ended["params"]["instance_id"] == other
    assert ended["body"].endswith("Nothing was charged.")


def _started_by(world: World, client: TestClient, name: str) -> tuple[int, str]:
    campaign_id, _ = world.campaign("unlock", UNLOCK_RULES | {"helpers_needed": 5})
    token = world.person(name)[1]
    started = post_start(client, token, campaign_id)
    assert started.status_code == 201, started.text
    return int(started.json()["id"]), token
