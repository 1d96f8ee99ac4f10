"""The assist hot path over HTTP (in-process client, real database, both backends):
each refusal it promises, and that a counted assist moves progress by its slot."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from huzhu.accounts.models import Account
from huzhu.assists.hotpath.ports import Assessment
from huzhu.assists.models import Assist, HelperDay, Instance, InstanceSlot
from huzhu.assists.voiding import service as voiding
from huzhu.jobs.models import Job
from huzhu.kit import clock
from huzhu.notify import service as notify
from huzhu.notify.models import Event
from huzhu.risk.rules import RiskDecision
from tests.assists.conftest import BARGAIN_RULES, UNLOCK_RULES, World, write_instance
from tests.factories import auth


def _bargain(world: World, *, slots: list[int], rules: dict[str, Any] | None = None) -> int:
    campaign = world.campaign("bargain", rules or BARGAIN_RULES)
    initiator, _ = world.person("initiator")
    with world.db.unit_of_work() as s:
        return write_instance(
            s,
            shop_id=world.shop.shop_id,
            campaign=campaign,
            kind="bargain",
            initiator_id=initiator,
            slots=slots,
        )


def _assist(client: TestClient, token: str, instance_id: int, key: str | None = None) -> Any:
    headers = auth(token) | ({"Idempotency-Key": key} if key else {})
    return client.post(f"/api/v1/instances/{instance_id}/assists", headers=headers)


def test_counted_assist_claims_the_lowest_slot_and_adds_its_value(
    world: World, client: TestClient
) -> None:
    instance_id = _bargain(world, slots=[300, 200, 100])
    _, bob = world.person("bob")
    resp = _assist(client, bob, instance_id)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["status"] == "counted"
    assert body["slot"] == 0
    assert body["value"] == 300
    with world.db.unit_of_work() as s:
        instance = s.get(Instance, instance_id)
        assert instance is not None
        assert (instance.progress_value, instance.slots_used) == (300, 1)
        slot = s.get(InstanceSlot, (instance_id, 0))
        assert slot is not None
        assert slot.assist_id == body["assist_id"]
        types = s.scalars(select(Event.type).where(Event.subject_id == instance_id)).all()
        assert "assist.counted" in types


def test_after_voids_an_assist_claims_the_lowest_freed_slot_first(
    world: World, client: TestClient
) -> None:
    """Until a void the claimed slots are 0 .. slots_used - 1 (the PostgreSQL function
    probes slot `slots_used` directly); after voids of slots 0 and 2, slot 2 is free at
    `slots_used` but slot 0 is the lowest, and the next assists take 0, then 2."""
    instance_id = _bargain(world, slots=[400, 300, 200, 100, 50])
    given = [_assist(client, world.person(f"h{k}")[1], instance_id).json() for k in range(4)]
    assert [(g["slot"], g["value"]) for g in given] == [(0, 400), (1, 300), (2, 200), (3, 100)]
    with world.db.unit_of_work() as s:
        voiding.void_assists(
            s,
            shop_id=world.shop.shop_id,
            assist_ids=[given[0]["assist_id"], given[2]["assist_id"]],
            reason="a test ring",
            actor="rule:test",
        )
    again = [_assist(client, world.person(f"n{k}")[1], instance_id).json() for k in range(3)]
    assert [(a["slot"], a["value"]) for a in again] == [(0, 400), (2, 200), (4, 50)]
    with world.db.unit_of_work() as s:
        instance = s.get(Instance, instance_id)
        assert instance is not None
        assert (instance.slots_used, instance.progress_value) == (5, 1050)


def test_the_hot_paths_events_wait_for_dispatch_only_when_an_endpoint_listens(
    world: World, client: TestClient
) -> None:
    """Written dispatched while the shop has no active endpoint (nothing to fan out);
    left for the dispatcher once one listens."""
    instance_id = _bargain(world, slots=[300, 200, 100])
    _, bob = world.person("bob")
    _, carol = world.person("carol")
    assert _assist(client, bob, instance_id).status_code == 201
    with world.db.unit_of_work() as s:
        notify.create_endpoint(
            s, world.settings, shop_id=world.shop.shop_id, url="https://hooks.example.com/h"
        )
    assert _assist(client, carol, instance_id).status_code == 201
    with world.db.unit_of_work() as s:
        rows = s.execute(
            select(Event.payload, Event.dispatched).where(Event.type == "assist.counted")
        ).all()
    by_helper = {payload["helper_id"]: dispatched for payload, dispatched in rows}
    assert by_helper == {world.person("bob")[0]: True, world.person("carol")[0]: False}


def test_second_assist_by_same_helper_is_refused(world: World, client: TestClient) -> None:
    instance_id = _bargain(world, slots=[300, 200, 100])
    _, bob = world.person("bob")
    assert _assist(client, bob, instance_id).status_code == 201
    again = _assist(client, bob, instance_id)
    assert again.status_code == 409
    assert again.json()["code"] == "already_assisted"


def test_replay_with_the_same_idempotency_key_returns_the_first_answer(
    world: World, client: TestClient
) -> None:
    instance_id = _bargain(world, slots=[300, 200, 100])
    _, bob = world.person("bob")
    first = _assist(client, bob, instance_id, key="k-1")
    replay = _assist(client, bob, instance_id, key="k-1")
    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["idempotent-replayed"] == "true"
    other_key = _assist(client, bob, instance_id, key="k-2")
    assert other_key.json()["code"] == "already_assisted"
    with world.db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Assist)) == 1


def test_own_instance_cannot_be_assisted(world: World, client: TestClient) -> None:
    instance_id = _bargain(world, slots=[300])
    _, initiator = world.person("initiator")
    resp = _assist(client, initiator, instance_id)
    assert resp.status_code == 403
    assert resp.json()["code"] == "self_assist"


def test_full_instance_refuses_and_bargain_succeeds_at_the_floor(
    world: World, client: TestClient
) -> None:
    instance_id = _bargain(world, slots=[4_000, 1_000])
    for name in ("h1", "h2"):
        assert _assist(client, world.person(name)[1], instance_id).status_code == 201
    late = _assist(client, world.person("h3")[1], instance_id)
    assert late.status_code == 409
    assert late.json()["code"] == "instance_full"
    with world.db.unit_of_work() as s:
        instance = s.get(Instance, instance_id)
        assert instance is not None
        assert instance.status == "succeeded"
        assert instance.progress_value == 5_000
        assert instance.purchase_deadline_at is not None
        kinds = s.scalars(select(Job.kind)).all()
        assert "instance.purchase_window_close" in kinds
        types = s.scalars(select(Event.type).where(Event.subject_id == instance_id)).all()
        assert types.count("instance.succeeded") == 1


def test_lottery_full_instance_answers_instance_full(world: World, client: TestClient) -> None:
    campaign = world.campaign("lottery", {"daily_assists_per_helper": 5})
    initiator, _ = world.person("initiator")
    with world.db.unit_of_work() as s:
        instance_id = write_instance(
            s,
            shop_id=world.shop.shop_id,
            campaign=campaign,
            kind="lottery",
            initiator_id=initiator,
            slots=[1],
            base=1,
        )
    assert _assist(client, world.person("h1")[1], instance_id).status_code == 201
    full = _assist(client, world.person("h2")[1], instance_id)
    assert full.status_code == 409
    assert full.json()["code"] == "instance_full"
    with world.db.unit_of_work() as s:
        instance = s.get(Instance, instance_id)
        assert instance is not None
        assert instance.status == "active"
        assert instance.progress_value == 2


def test_helper_past_the_daily_cap_is_refused_and_nothing_is_written(
    world: World, client: TestClient
) -> None:
    rules = BARGAIN_RULES | {"daily_assists_per_helper": 2}
    instances = [_bargain(world, slots=[100, 100], rules=rules) for _ in range(3)]
    _, bob = world.person("bob")
    # Three instances of three campaigns: each campaign has its own cap.
    assert all(_assist(client, bob, i).status_code == 201 for i in instances)
    campaign = world.campaign("unlock", UNLOCK_RULES | {"daily_assists_per_helper": 2})
    initiators = [world.person(f"init{i}")[0] for i in range(3)]
    with world.db.unit_of_work() as s:
        same = [
            write_instance(
                s,
                shop_id=world.shop.shop_id,
                campaign=campaign,
                kind="unlock",
                initiator_id=initiator,
                slots=[1, 1],
            )
            for initiator in initiators
        ]
    codes = [_assist(client, bob, i).status_code for i in same]
    assert codes == [201, 201, 429]
    with world.db.unit_of_work() as s:
        assert (
            s.scalar(select(func.count()).select_from(Assist).where(Assist.instance_id == same[2]))
            == 0
        )
        day = s.scalars(select(HelperDay).where(HelperDay.campaign_id == campaign[0])).one()
        assert day.n == 2


def test_restricted_helper_is_refused_until_the_restriction_ends(
    world: World, client: TestClient
) -> None:
    instance_id = _bargain(world, slots=[100, 100])
    bob_id, bob = world.person("bob")
    until = clock.utcnow().replace(microsecond=0) + timedelta(minutes=30)
    with world.db.unit_of_work() as s:
        account = s.get(Account, bob_id)
        assert account is not None
        account.status = "restricted"
        account.restricted_until = until
    resp = _assist(client, bob, instance_id)
    assert resp.status_code == 403
    assert resp.json()["code"] == "account_restricted"
    assert resp.json()["restricted_until"].startswith(until.isoformat()[:19])
    clock.advance(1801)
    assert _assist(client, bob, instance_id).status_code == 201


def test_expired_instance_takes_no_assists(world: World, client: TestClient) -> None:
    instance_id = _bargain(world, slots=[100])
    clock.advance(3601)
    resp = _assist(client, world.person("bob")[1], instance_id)
    assert resp.status_code == 409
    assert resp.json()["code"] == "instance_closed"


def test_instance_of_another_shop_is_not_found(world: World, client: TestClient) -> None:
    from tests.factories import make_participant, make_shop

    instance_id = _bargain(world, slots=[100])
    with world.db.unit_of_work() as s:
        other_shop = make_shop(s)
        _, stranger = make_participant(s, world.settings, shop_id=other_shop, name="x")
    resp = _assist(client, stranger, instance_id)
    assert resp.status_code == 404
    assert resp.json()["code"] == "instance_not_found"


def test_operator_token_is_denied_and_no_token_is_unauthenticated(
    world: World, client: TestClient
) -> None:
    instance_id = _bargain(world, slots=[100])
    denied = _assist(client, world.operator, instance_id)
    assert denied.status_code == 403
    assert denied.json()["code"] == "permission_denied"
    anonymous = client.post(f"/api/v1/instances/{instance_id}/assists")
    assert anonymous.status_code == 401


def _force(decision: str) -> Any:
    def decide(assessment: Assessment) -> RiskDecision:
        return RiskDecision(decision=decision, score=0.9, reasons=["device_fanout"])  # type: ignore[arg-type]

    return decide


def test_risk_hold_stores_the_assist_without_a_slot(world: World, client: TestClient) -> None:
    instance_id = _bargain(world, slots=[300, 200])
    client.app.state.hotpath.decide = _force("hold")  # type: ignore[attr-defined]
    resp = _assist(client, world.person("bob")[1], instance_id)
    assert resp.status_code == 202
    assert resp.json()["status"] == "held"
    with world.db.unit_of_work() as s:
        instance = s.get(Instance, instance_id)
        assert instance is not None
        assert (instance.held_count, instance.slots_used, instance.progress_value) == (1, 0, 0)
        assist = s.scalars(select(Assist)).one()
        assert assist.status == "held"
        assert assist.slot is None
        assert assist.risk_decision == "hold"
        assert assist.risk_reasons == ["device_fanout"]
        types = s.scalars(select(Event.type).where(Event.subject_id == instance_id)).all()
        assert "assist.held" in types


def test_risk_refusal_writes_nothing_and_names_the_reasons(
    world: World, client: TestClient
) -> None:
    instance_id = _bargain(world, slots=[300, 200])
    client.app.state.hotpath.decide = _force("refuse")  # type: ignore[attr-defined]
    resp = _assist(client, world.person("bob")[1], instance_id)
    assert resp.status_code == 403
    assert resp.json()["code"] == "assist_refused"
    assert resp.json()["reasons"] == ["device_fanout"]
    with world.db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Assist)) == 0
        assert s.scalar(select(func.count()).select_from(HelperDay)) == 0
