"""Fixtures of the invites tests: the assists tests' world (a shop, people, campaigns,
instances written as rows) and helpers to start an instance and issue links."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from huzhu.app import create_app
from huzhu.db import Database
from tests.assists.conftest import BARGAIN_RULES, World, _shop_with_owner, write_instance
from tests.conftest import make_settings
from tests.factories import auth


def make_world(db_url: str, **overrides: Any) -> World:
    """Cap counters live outside the database (process memory, Redis): a prefix of its
    own per world keeps one test's counts from another's, whose ids repeat."""
    overrides["redis"] = {"key_prefix": uuid.uuid4().hex} | overrides.get("redis", {})
    overrides["jobs"] = {"run_in_process": False} | overrides.get("jobs", {})
    settings = make_settings(db_url, **overrides)
    db = Database(settings.db)
    return World(settings=settings, db=db, shop=_shop_with_owner(db, settings))


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    w = make_world(db_url)
    try:
        yield w
    finally:
        w.db.dispose()


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(
        create_app(world.settings), raise_server_exceptions=False, client=("203.0.113.7", 50000)
    ) as c:
        yield c


def start(world: World, initiator: str, *, slots: int = 5, kind: str = "bargain") -> int:
    """An active instance of `initiator` (written as rows)."""
    campaign = world.campaign(kind, BARGAIN_RULES)
    account_id, _ = world.person(initiator)
    with world.db.unit_of_work() as s:
        return write_instance(
            s,
            shop_id=world.shop.shop_id,
            campaign=campaign,
            kind=kind,
            initiator_id=account_id,
            slots=[100] * slots,
        )


def issue(client: TestClient, token: str, instance_id: int, **body: Any) -> Any:
    return client.post(
        f"/api/v1/instances/{instance_id}/share-links",
        headers=auth(token),
        json={"channel": "friend"} | body,
    )
