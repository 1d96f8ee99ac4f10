"""Fixtures of the assists tests: a shop with participants, campaigns of each kind, and
an app whose job runner is off so tests drive jobs themselves."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from huzhu.accounts import service as accounts
from huzhu.accounts.rules import Role
from huzhu.app import create_app
from huzhu.assists.models import Instance, InstanceSlot
from huzhu.campaigns.models import Campaign
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.kit import clock, ids
from tests.conftest import make_settings
from tests.factories import (
    PASSWORD,
    ShopFixture,
    auth,
    make_campaign,
    make_participant,
    make_shop,
)

BARGAIN_RULES: dict[str, Any] = {
    "instance_ttl_seconds": 3600,
    "daily_assists_per_helper": 5,
    "reference_price_cents": 10_000,
    "price_cents": 10_000,
    "floor_cents": 5_000,
    "max_helpers": 5,
    "split": "double_mean",
    "purchase_window_seconds": 600,
}
UNLOCK_RULES: dict[str, Any] = {
    "instance_ttl_seconds": 3600,
    "daily_assists_per_helper": 5,
    "reference_price_cents": 0,
    "helpers_needed": 3,
    "reward_cents": 500,
    "reward_name": "free coffee",
}
LOTTERY_RULES: dict[str, Any] = {
    "instance_ttl_seconds": 3600,
    "daily_assists_per_helper": 5,
    "reference_price_cents": 0,
    "draw_at": "2999-01-01T00:00:00+00:00",
    "entry_cap": 4,
    "base_entries": 1,
    "prizes": [{"name": "mug", "value_cents": 2000, "quantity": 2}],
    "commitment_hex": "0" * 64,
}


@dataclass
class World:
    settings: Settings
    db: Database
    shop: ShopFixture
    people: dict[str, tuple[int, str]] = field(default_factory=dict)

    def person(self, name: str) -> tuple[int, str]:
        """(account id, participant token), created on first use."""
        if name not in self.people:
            with self.db.unit_of_work() as s:
                self.people[name] = make_participant(
                    s, self.settings, shop_id=self.shop.shop_id, name=name
                )
        return self.people[name]

    def campaign(self, kind: str, rules: dict[str, Any], **kwargs: Any) -> tuple[int, int]:
        with self.db.unit_of_work() as s:
            return make_campaign(s, shop_id=self.shop.shop_id, kind=kind, rules=rules, **kwargs)

    @property
    def operator(self) -> str:
        return self.shop.tokens[Role.OWNER]


def post_start(client: TestClient, token: str, campaign_id: int) -> Any:
    """Start an instance through the API, as its participant."""
    return client.post(f"/api/v1/campaigns/{campaign_id}/instances", headers=auth(token))


def post_assist(client: TestClient, token: str, instance_id: int) -> Any:
    """Give an assist through the API, as its helper."""
    return client.post(f"/api/v1/instances/{instance_id}/assists", headers=auth(token))


def campaign_row(world: World, campaign_id: int) -> Campaign:
    with world.db.unit_of_work() as s:
        found = s.get(Campaign, campaign_id)
        assert found is not None
        return found


def succeeded_bargain(world: World, client: TestClient) -> tuple[int, int, str]:
    """(campaign id, instance id, initiator's token) of a bargain its five helpers
    filled: its purchase window is open."""
    campaign_id, _ = world.campaign("bargain", BARGAIN_RULES)
    alice = world.person("alice")[1]
    instance_id = post_start(client, alice, campaign_id).json()["id"]
    for i in range(5):
        assert post_assist(client, world.person(f"h{i}")[1], instance_id).status_code == 201
    return campaign_id, instance_id, alice


def write_instance(
    session: Session,
    *,
    shop_id: int,
    campaign: tuple[int, int],
    kind: str,
    initiator_id: int,
    slots: list[int],
    base: int = 0,
    ttl: int = 3600,
) -> int:
    """An instance and its slots as rows, for tests whose subject is the assist itself."""
    now = clock.utcnow()
    instance = Instance(
        shop_id=shop_id,
        campaign_id=campaign[0],
        campaign_version_id=campaign[1],
        kind=kind,
        initiator_id=initiator_id,
        status="active",
        seed_hex=ids.random_seed_hex(),
        slots_total=len(slots),
        slots_used=0,
        progress_value=base,
        target_value=base + sum(slots),
        reserved_cents=0,
        reserved_units=0,
        held_count=0,
        voided_count=0,
        expires_at=now + timedelta(seconds=ttl),
        created_at=now,
    )
    session.add(instance)
    session.flush()
    session.add_all(
        InstanceSlot(instance_id=instance.id, slot=i, value=v) for i, v in enumerate(slots)
    )
    session.flush()
    return instance.id


def _shop_with_owner(db: Database, settings: Settings) -> ShopFixture:
    """A shop with one owner (who may void and read any instance): lighter than every
    role, since each operator costs an argon2 hash."""
    slug = f"shop-{uuid.uuid4().hex[:8]}"
    with db.unit_of_work() as s:
        shop_id = make_shop(s, slug=slug)
        email = f"owner-{slug}@example.test"
        accounts.create_operator(
            s, shop_id=shop_id, email=email, display_name="o", password=PASSWORD, role=Role.OWNER
        )
        owner, _ = accounts.login(s, settings, email=email, password=PASSWORD)
    return ShopFixture(shop_id=shop_id, slug=slug, tokens={Role.OWNER: owner}, participant_id=0)


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    settings = make_settings(db_url, jobs={"run_in_process": False})
    db = Database(settings.db)
    try:
        yield World(settings=settings, db=db, shop=_shop_with_owner(db, settings))
    finally:
        db.dispose()


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    app = create_app(world.settings)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
