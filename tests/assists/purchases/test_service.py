"""Buying a succeeded bargain and paying an unlock's reward, through the API and the
jobs: each once, spending exactly the instance's reservation."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from huzhu.assists.models import Purchase
from huzhu.assists.purchases import service as purchases
from huzhu.payments.models import PaymentTxn
from tests.assists.conftest import (
    UNLOCK_RULES,
    World,
    campaign_row,
    post_assist,
    post_start,
    succeeded_bargain,
)
from tests.factories import auth, confirmed


def test_purchase_charges_the_floor_once_and_spends_the_reservation(
    world: World, client: TestClient
) -> None:
    campaign_id, instance_id, alice = succeeded_bargain(world, client)
    url = f"/api/v1/instances/{instance_id}/purchase"
    stranger = client.post(url, headers=auth(world.person("h0")[1]))
    assert stranger.json()["code"] == "not_initiator"
    unconfirmed = client.post(url, headers=auth(alice))
    assert unconfirmed.status_code == 428, unconfirmed.text
    assert unconfirmed.json()["code"] == "confirmation_required"
    headers = confirmed(client, alice, "buy_bargain", instance_id)
    first = client.post(url, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["amount_cents"] == 5_000
    assert client.post(url, headers=headers).json()["id"] == first.json()["id"]
    campaign = campaign_row(world, campaign_id)
    assert (campaign.budget_reserved_cents, campaign.budget_spent_cents) == (0, 5_000)
    with world.db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(PaymentTxn)) == 1


def test_unlock_reward_is_paid_exactly_once(world: World, client: TestClient) -> None:
    campaign_id, _ = world.campaign("unlock", UNLOCK_RULES)
    instance_id = post_start(client, world.person("alice")[1], campaign_id).json()["id"]
    for i in range(3):
        assert post_assist(client, world.person(f"h{i}")[1], instance_id).status_code == 201
    for _ in range(2):
        with world.db.unit_of_work() as s:
            purchases.pay_unlock_reward(s, world.settings, instance_id)
    with world.db.unit_of_work() as s:
        paid = s.scalars(select(Purchase).where(Purchase.instance_id == instance_id)).one()
        assert (paid.kind, paid.amount_cents, paid.status) == ("reward", 500, "paid")
        assert s.scalar(select(func.count()).select_from(PaymentTxn)) == 1
    campaign = campaign_row(world, campaign_id)
    assert (campaign.budget_spent_cents, campaign.budget_reserved_cents) == (500, 0)
    assert client.get(f"/api/v1/instances/{instance_id}").json()["status"] == "completed"
