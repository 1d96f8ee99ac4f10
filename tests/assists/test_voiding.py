"""Property: whatever sequence of assists and voids a bargain goes through, the cents
come back exactly — the free slots' cuts sum to the cents remaining, progress is the sum
of the claimed slots and of the counted assists, and no slot is claimed twice."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from huzhu.assists import service
from huzhu.assists.models import Assist, InstanceSlot
from tests.assists.conftest import BARGAIN_RULES, World
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
        instance = service.get_instance(s, instance_id)
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
        view = service.describe(instance)
        assert sum(free) == view.cents_remaining == instance.target_value - instance.progress_value
        assert view.helpers_still_needed == len(free)
        assert instance.progress_value == counted[1]
        assert instance.slots_used == counted[0] == len(claimed) == len(set(claimed))
        assert (instance.status == "succeeded") == (len(free) == 0)


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
