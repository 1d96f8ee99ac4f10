"""A lottery end to end through the API: the operator creates and launches it (the seed
is committed), participants start instances and friends assist over the hot path, the
job runner draws at draw_at, and the public record verifies from itself alone — with
the commitment the campaign published before anyone entered."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

import huzhu.all_tasks  # noqa: F401  (the runner needs every handler: expiry, the draw)
from huzhu.campaigns.models import Campaign
from huzhu.campaigns.rules.lottery import verify_record
from huzhu.jobs.runner import JobRunner
from huzhu.kit import clock
from tests.assists.conftest import World
from tests.factories import auth

PRIZES = [
    {"name": "bike", "value_cents": 200_000, "quantity": 1},
    {"name": "mug", "value_cents": 2_000, "quantity": 10},
]


def _launch_lottery(client: TestClient, world: World) -> int:
    body = {
        "kind": "lottery",
        "name": "Spring draw",
        "description": "",
        "channel": "own_app",
        "budget_cents": 1_000_000,
        "inventory_total": 100,
        "draw_at": (clock.utcnow() + timedelta(days=2)).isoformat(),
        "entry_cap": 5,
        "base_entries": 1,
        "prizes": PRIZES,
    }
    created = client.post("/api/v1/campaigns", json=body, headers=auth(world.operator))
    assert created.status_code == 201, created.text
    campaign_id = int(created.json()["id"])
    launched = client.post(f"/api/v1/campaigns/{campaign_id}/launch", headers=auth(world.operator))
    assert launched.status_code == 200, launched.text
    return campaign_id


def test_a_launched_lottery_is_drawn_at_its_deadline_and_verifies(
    client: TestClient, world: World
) -> None:
    campaign_id = _launch_lottery(client, world)
    public = client.get(f"/api/v1/campaigns/{campaign_id}/public").json()
    published = str(public).lower()
    assisted = {"ann": 3, "bo": 1, "cy": 0, "di": 6}  # entries 4, 2, 1 and 5 (capped)
    helper = 0
    for name, count in assisted.items():
        _, token = world.person(name)
        started = client.post(f"/api/v1/campaigns/{campaign_id}/instances", headers=auth(token))
        assert started.status_code == 201, started.text
        instance_id = started.json()["id"]
        for _ in range(count):
            helper += 1
            _, helper_token = world.person(f"helper{helper}")
            given = client.post(
                f"/api/v1/instances/{instance_id}/assists", headers=auth(helper_token)
            )
            assert given.status_code in (201, 409), given.text
    assert client.get(f"/api/v1/campaigns/{campaign_id}/draw").json()["code"] == "draw_not_found"

    clock.advance(2 * 24 * 3600 + 1)
    runner = JobRunner(world.db, world.settings, worker_id="e2e")
    runner.run_periodic(force=True)  # lottery.schedule_due finds the launched lottery
    runner.run_due()

    response = client.get(f"/api/v1/campaigns/{campaign_id}/draw")
    assert response.status_code == 200, response.text
    record = response.json()
    assert all(check.ok for check in verify_record(record)), verify_record(record)
    assert record["commitment_hex"] in published
    assert sorted(e["entries"] for e in record["entries"]) == [1, 2, 4, 5]
    assert len(record["winners"]) == 4
    with world.db.unit_of_work() as s:
        campaign = s.get(Campaign, campaign_id)
        assert campaign is not None
        values = [p["value_cents"] for p in PRIZES for _ in range(p["quantity"])]
        won = sum(values[w["slot"]] for w in record["winners"])
        assert (campaign.budget_spent_cents, campaign.budget_reserved_cents) == (won, 0)
        assert (campaign.inventory_used, campaign.inventory_reserved) == (4, 0)
    _, ann = world.person("ann")
    mine = client.get(f"/api/v1/campaigns/{campaign_id}/draw/me", headers=auth(ann)).json()
    assert mine["entries"] == 4
    assert mine["prize"] in {"bike", "mug"}
