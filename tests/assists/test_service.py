"""Instances through the API and the services: starting with reservations, the honest
views, expiry and the purchase window closing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from huzhu.accounts.models import Account
from huzhu.assists import service
from huzhu.assists.models import Instance, InstanceSlot
from huzhu.kit import clock
from huzhu.notify.models import Event
from tests.assists.conftest import (
    BARGAIN_RULES,
    LOTTERY_RULES,
    UNLOCK_RULES,
    World,
    campaign_row,
    post_assist,
    post_start,
    succeeded_bargain,
)
from tests.factories import auth


def test_bargain_start_reserves_the_worst_case_and_writes_the_seeded_cuts(
    world: World, client: TestClient
) -> None:
    campaign_id, _ = world.campaign("bargain", BARGAIN_RULES)
    resp = post_start(client, world.person("alice")[1], campaign_id)
    assert resp.status_code == 201, resp.text
    view = resp.json()
    assert view["cents_remaining"] == 5_000
    assert view["helpers_still_needed"] == 5
    with world.db.unit_of_work() as s:
        cuts = s.scalars(select(InstanceSlot.value).where(InstanceSlot.instance_id == view["id"]))
        assert sum(cuts) == 5_000
        types = s.scalars(select(Event.type).where(Event.subject_id == view["id"])).all()
        assert "instance.started" in types
    campaign = campaign_row(world, campaign_id)
    assert (campaign.budget_reserved_cents, campaign.inventory_reserved) == (5_000, 1)


def test_lottery_start_reserves_nothing_and_counts_the_base_entries(
    world: World, client: TestClient
) -> None:
    campaign_id, _ = world.campaign("lottery", LOTTERY_RULES)
    view = post_start(client, world.person("alice")[1], campaign_id).json()
    assert (view["progress_value"], view["target_value"], view["helpers_still_needed"]) == (
        1,
        4,
        3,
    )
    assert campaign_row(world, campaign_id).budget_reserved_cents == 0


def test_second_active_instance_of_a_campaign_is_refused(world: World, client: TestClient) -> None:
    campaign_id, _ = world.campaign("unlock", UNLOCK_RULES)
    token = world.person("alice")[1]
    assert post_start(client, token, campaign_id).status_code == 201
    again = post_start(client, token, campaign_id)
    assert again.status_code == 409
    assert again.json()["code"] == "instance_already_active"
    assert campaign_row(world, campaign_id).budget_reserved_cents == 500


def test_start_beyond_the_budget_is_refused_as_budget_exhausted(
    world: World, client: TestClient
) -> None:
    campaign_id, _ = world.campaign("unlock", UNLOCK_RULES, budget_cents=900)
    assert post_start(client, world.person("a")[1], campaign_id).status_code == 201
    refused = post_start(client, world.person("b")[1], campaign_id)
    assert refused.status_code == 409
    assert refused.json()["code"] == "budget_exhausted"
    campaign_id, _ = world.campaign("unlock", UNLOCK_RULES, inventory_total=1)
    assert post_start(client, world.person("a")[1], campaign_id).status_code == 201
    assert post_start(client, world.person("b")[1], campaign_id).json()["code"] == "out_of_stock"


def test_restricted_participant_cannot_start_and_is_told_until_when(
    world: World, client: TestClient
) -> None:
    campaign_id, _ = world.campaign("unlock", UNLOCK_RULES)
    account_id, token = world.person("alice")
    until = clock.utcnow() + timedelta(days=1)
    with world.db.unit_of_work() as s:
        account = s.get(Account, account_id)
        assert account is not None
        account.status, account.restricted_until = "restricted", until
    resp = post_start(client, token, campaign_id)
    assert resp.status_code == 403
    assert resp.json()["code"] == "account_restricted"
    assert resp.json()["restricted_until"][:19] == until.isoformat()[:19]


def test_paused_campaign_takes_no_new_instances(world: World, client: TestClient) -> None:
    campaign_id, _ = world.campaign("unlock", UNLOCK_RULES, status="paused")
    resp = post_start(client, world.person("alice")[1], campaign_id)
    assert resp.status_code == 409
    assert resp.json()["code"] == "campaign_not_open"


def test_public_view_and_my_instances_show_counts_not_helpers(
    world: World, client: TestClient
) -> None:
    campaign_id, _ = world.campaign("bargain", BARGAIN_RULES)
    instance_id = post_start(client, world.person("alice")[1], campaign_id).json()["id"]
    assert post_assist(client, world.person("bob")[1], instance_id).status_code == 201
    public = client.get(f"/api/v1/instances/{instance_id}").json()
    assert public["counted_count"] == 1
    assert public["helpers_still_needed"] == 4
    assert "bob" not in str(public)
    mine = client.get("/api/v1/me/instances", headers=auth(world.person("alice")[1])).json()
    assert [i["id"] for i in mine["items"]] == [instance_id]
    assists = client.get(
        f"/api/v1/instances/{instance_id}/assists", headers=auth(world.operator)
    ).json()
    assert assists["items"][0]["helper_id"] == world.person("bob")[0]


def test_expiry_releases_the_reservation_once(world: World, client: TestClient) -> None:
    campaign_id, _ = world.campaign("bargain", BARGAIN_RULES)
    instance_id = post_start(client, world.person("alice")[1], campaign_id).json()["id"]
    clock.advance(BARGAIN_RULES["instance_ttl_seconds"] + 1)
    for _ in range(2):
        with world.db.unit_of_work() as s:
            service.expire_instance(s, instance_id)
    campaign = campaign_row(world, campaign_id)
    assert (campaign.budget_reserved_cents, campaign.inventory_reserved) == (0, 0)
    with world.db.unit_of_work() as s:
        instance = s.get(Instance, instance_id)
        assert instance is not None
        assert instance.status == "expired"
        expired = select(func.count()).where(Event.type == "instance.expired")
        assert s.scalar(expired) == 1


def test_purchase_window_closes_and_releases(world: World, client: TestClient) -> None:
    campaign_id, instance_id, alice = succeeded_bargain(world, client)
    clock.advance(BARGAIN_RULES["purchase_window_seconds"] + 1)
    late = client.post(f"/api/v1/instances/{instance_id}/purchase", headers=auth(alice))
    assert late.json()["code"] == "purchase_not_open"
    with world.db.unit_of_work() as s:
        service.close_purchase_window(s, instance_id)
    assert campaign_row(world, campaign_id).budget_reserved_cents == 0
    assert client.get(f"/api/v1/instances/{instance_id}").json()["status"] == "expired"


@pytest.mark.parametrize("path", ["/api/v1/instances/0", "/api/v1/instances/99999999999999999999"])
def test_out_of_range_ids_are_refused_naming_the_field(client: TestClient, path: str) -> None:
    resp = client.get(path)
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "instance_id"
