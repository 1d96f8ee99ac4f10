"""Voiding: one void frees its slot, recomputes progress and tells the initiator; and, a
property, whatever sequence of assists and voids a bargain goes through, the cents come
back exactly — the free slots' cuts sum to the cents remaining, progress is the sum of
the claimed slots and of the counted assists, and no slot is claimed twice; a ring is
voided once, instance by instance, and voids racing new assists recount correctly."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from huzhu.assists import service as assists
from huzhu.assists.models import Assist, InstanceSlot
from huzhu.assists.voiding import service as voiding
from huzhu.notify import service as notify
from huzhu.notify.models import Event, InboxMessage
from tests.assists.conftest import BARGAIN_RULES, UNLOCK_RULES, World, post_assist, post_start
from tests.factories import auth

# ("assist", helper number) or ("void", which counted assist, by position)
Step = tuple[str, int]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("assist"), st.integers(0, 9)),
        st.tuples(st.just("void"), st.integers(0, 9)),
    ),
    min_size=1,
    max_size=14,
)


def _check(world: World, instance_id: int) -> None:
    with world.db.unit_of_work() as s:
        instance = assists.get_instance(s, instance_id)
        free = s.scalars(
            select(InstanceSlot.value).where(
                InstanceSlot.instance_id == instance_id, InstanceSlot.assist_id.is_(None)
            )
        ).all()
        claimed = s.scalars(
            select(InstanceSlot.assist_id).where(
                InstanceSlot.instance_id == instance_id, InstanceSlot.assist_id.is_not(None)
            )
        ).all()
        counted = s.execute(
            select(func.count(), func.coalesce(func.sum(Assist.value), 0)).where(
                Assist.instance_id == instance_id, Assist.status == "counted"
            )
        ).one()
        view = assists.describe(instance)
        assert sum(free) == view.cents_remaining == instance.target_value - instance.progress_value
        assert view.helpers_still_needed == len(free)
        assert instance.progress_value == counted[1]
        assert instance.slots_used == counted[0] == len(claimed) == len(set(claimed))
        assert (instance.status == "succeeded") == (len(free) == 0)


def test_void_frees_the_slot_recomputes_progress_and_tells_the_initiator(
    world: World, client: TestClient
) -> None:
    campaign_id, _ = world.campaign("bargain", BARGAIN_RULES)
    alice_id, alice = world.person("alice")
    instance_id = post_start(client, alice, campaign_id).json()["id"]
    given = [post_assist(client, world.person(f"h{i}")[1], instance_id).json() for i in range(5)]
    assert client.get(f"/api/v1/instances/{instance_id}").json()["status"] == "succeeded"
    resp = client.post(
        f"/api/v1/assists/{given[1]['assist_id']}/void",
        headers=auth(world.operator),
        json={"reason": "it came from a brushing tool"},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "voided"
    view = client.get(f"/api/v1/instances/{instance_id}").json()
    assert view["status"] == "active"
    assert view["voided_count"] == 1
    assert view["cents_remaining"] == given[1]["value"]
    assert view["helpers_still_needed"] == 1
    with world.db.unit_of_work() as s:
        message = s.scalars(
            select(InboxMessage).where(
                InboxMessage.account_id == alice_id, InboxMessage.kind == "assist_voided"
            )
        ).one()
        _, body = notify.render_inbox_message(
            s, world.settings, message, language="en", time_zone="UTC"
        )
        assert "Assists removed: 1, because it came from a brushing tool." in body
        assert "helpers still needed at most: 1." in body
    again = client.post(
        f"/api/v1/assists/{given[1]['assist_id']}/void",
        headers=auth(world.operator),
        json={"reason": "twice"},
    )
    assert again.json()["code"] == "assist_not_voidable"
    # The freed cut goes to the next helper, and the bargain succeeds again.
    assert (
        post_assist(client, world.person("h9")[1], instance_id).json()["value"] == given[1]["value"]
    )
    assert client.get(f"/api/v1/instances/{instance_id}").json()["status"] == "succeeded"


def test_a_voided_assist_notice_is_in_the_starters_inbox_and_nobody_elses(
    world: World, client: TestClient
) -> None:
    campaign_id, _ = world.campaign("bargain", BARGAIN_RULES)
    _, alice = world.person("alice")
    instance_id = post_start(client, alice, campaign_id).json()["id"]
    helper = world.person("h0")[1]
    assist_id = post_assist(client, helper, instance_id).json()["assist_id"]
    voided = client.post(
        f"/api/v1/assists/{assist_id}/void",
        headers=auth(world.operator),
        json={"reason": "it came from a brushing tool"},
    )
    assert voided.status_code == 200, voided.text
    assert client.get("/api/v1/me/inbox/unread", headers=auth(alice)).json() == {"unread": 1}
    (notice,) = client.get("/api/v1/me/inbox", headers=auth(alice)).json()["items"]
    assert notice["kind"] == "assist_voided"
    assert "it came from a brushing tool" in notice["body"]
    assert notice["read_at"] is None
    assert client.get("/api/v1/me/inbox", headers=auth(helper)).json()["items"] == []
    read = client.post(f"/api/v1/me/inbox/{notice['id']}/read", headers=auth(alice))
    assert read.status_code == 200, read.text
    assert client.get("/api/v1/me/inbox/unread", headers=auth(alice)).json() == {"unread": 0}


def _run(world: World, client: TestClient, campaign_id: int, n: int, script: list[Step]) -> None:
    instance_id = client.post(
        f"/api/v1/campaigns/{campaign_id}/instances", headers=auth(world.person(f"i{n}")[1])
    ).json()["id"]
    counted: list[int] = []
    for action, k in script:
        if action == "assist":
            resp: Any = client.post(
                f"/api/v1/instances/{instance_id}/assists",
                headers=auth(world.person(f"h{k}")[1]),
            )
            if resp.status_code == 201:
                counted.append(resp.json()["assist_id"])
        elif counted:
            assist_id = counted.pop(k % len(counted))
            resp = client.post(
                f"/api/v1/assists/{assist_id}/void",
                headers=auth(world.operator),
                json={"reason": "a test ring"},
            )
            assert resp.status_code == 200, resp.text
        _check(world, instance_id)


def test_voids_give_back_exactly_the_cents_they_took(world: World, client: TestClient) -> None:
    campaign_id, _ = world.campaign(
        "bargain", BARGAIN_RULES | {"max_helpers": 4, "daily_assists_per_helper": 10_000}
    )
    runs = iter(range(10_000))

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    @given(script=steps)
    def prop(script: list[Step]) -> None:
        _run(world, client, campaign_id, next(runs), script)

    prop()


def test_voiding_a_ring_removes_each_assist_once_and_tells_each_initiator_how_many(
    world: World, client: TestClient
) -> None:
    campaign_id, _ = world.campaign("bargain", BARGAIN_RULES | {"max_helpers": 6})
    instances, ring = [], []
    for n in range(2):
        starter = world.person(f"starter{n}")
        instance_id = client.post(
            f"/api/v1/campaigns/{campaign_id}/instances", headers=auth(starter[1])
        ).json()["id"]
        instances.append(instance_id)
        for k in range(4):
            resp = client.post(
                f"/api/v1/instances/{instance_id}/assists", headers=auth(world.person(f"r{k}")[1])
            )
            assert resp.status_code == 201, resp.text
            if k < 3:  # r0..r2 are the ring; r3 is a real friend of both
                ring.append(resp.json()["assist_id"])
    with world.db.unit_of_work() as s:
        summary = voiding.void_assists(
            s,
            shop_id=world.shop.shop_id,
            assist_ids=[*ring, 10**12],
            reason="they came from fake accounts",
            actor="rule:test",
        )
    assert summary.voided == 6
    assert summary.skipped == 1  # the unknown id
    assert summary.per_instance == {instances[0]: 3, instances[1]: 3}
    for instance_id in instances:
        _check(world, instance_id)
    with world.db.unit_of_work() as s:
        inbox = s.scalars(
            select(InboxMessage).where(
                InboxMessage.account_id == world.person("starter0")[0],
                InboxMessage.kind == "assist_voided",
            )
        ).all()
        events = s.scalars(select(Event).where(Event.type == "assist.voided")).all()
        words = [
            notify.render_inbox_message(s, world.settings, m, language="en", time_zone="UTC")
            for m in inbox
        ]
    assert [t for t, _ in words] == ["Assists removed: 3"]
    assert words[0][1].startswith("Assists removed: 3, because they came from fake accounts")
    assert sorted(e.payload["voided"] for e in events) == [3, 3]
    # Confirming the same ring again removes nothing twice.
    with world.db.unit_of_work() as s:
        again = voiding.void_assists(
            s, shop_id=world.shop.shop_id, assist_ids=ring, reason="again", actor="rule:test"
        )
    assert again.voided == 0
    assert again.skipped == 6


def test_voiding_recounts_correctly_under_concurrent_new_assists(
    world: World, client: TestClient
) -> None:
    """Voids and new assists race on one instance; whatever the interleaving, progress
    is the sum of the claimed slots and every counted assist holds exactly one."""
    campaign_id, _ = world.campaign(
        "unlock", UNLOCK_RULES | {"helpers_needed": 60, "daily_assists_per_helper": 100}
    )
    instance_id = client.post(
        f"/api/v1/campaigns/{campaign_id}/instances", headers=auth(world.person("host")[1])
    ).json()["id"]
    first = [
        client.post(
            f"/api/v1/instances/{instance_id}/assists", headers=auth(world.person(f"a{k}")[1])
        ).json()["assist_id"]
        for k in range(20)
    ]
    late = [world.person(f"b{k}")[1] for k in range(30)]

    def void_half() -> None:
        for assist_id in first[::2]:
            with world.db.unit_of_work() as s:
                voiding.void_assists(
                    s,
                    shop_id=world.shop.shop_id,
                    assist_ids=[assist_id],
                    reason="a ring",
                    actor="rule:test",
                )

    def assist(token: str) -> int:
        return client.post(
            f"/api/v1/instances/{instance_id}/assists", headers=auth(token)
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        voider = pool.submit(void_half)
        codes = list(pool.map(assist, late))
        voider.result()
    assert codes.count(201) == 30
    _check_unlock(world, instance_id, counted=20 - 10 + 30, voided=10)


def _check_unlock(world: World, instance_id: int, *, counted: int, voided: int) -> None:
    with world.db.unit_of_work() as s:
        instance = assists.get_instance(s, instance_id)
        claimed = s.scalars(
            select(InstanceSlot.assist_id).where(
                InstanceSlot.instance_id == instance_id, InstanceSlot.assist_id.is_not(None)
            )
        ).all()
        statuses = s.scalars(select(Assist.status).where(Assist.instance_id == instance_id)).all()
    assert statuses.count("counted") == counted == instance.slots_used == len(set(claimed))
    assert statuses.count("voided") == voided == instance.voided_count
    assert instance.progress_value == counted  # an unlock's slots are worth one each
