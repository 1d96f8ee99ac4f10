"""Fixtures of the campaigns tests: an app (job runner off, tests drive jobs), a shop
with a token per role, and valid create bodies of each kind to bend into bad ones."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from huzhu.accounts import service as accounts
from huzhu.accounts.rules import Role
from huzhu.app import create_app
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.kit import clock
from tests.conftest import PostgresCopies, make_settings
from tests.factories import ShopFixture, auth, make_shop, make_shop_with_roles
from tests.support import services


def bodies() -> dict[str, dict[str, Any]]:
    """A valid create body per kind (fresh dicts: tests mutate them)."""
    common = {"description": "", "budget_cents": 1_000_000, "inventory_total": 100}
    draw_at = (clock.utcnow() + timedelta(days=2)).isoformat()
    return {
        "bargain": {
            **common,
            "kind": "bargain",
            "name": "Cut the kettle",
            "channel": "wechat_miniprogram",
            "price_cents": 10_000,
            "floor_cents": 1_000,
            "max_helpers": 10,
            "reference_price_cents": 12_000,
        },
        "groupbuy": {
            **common,
            "kind": "groupbuy",
            "name": "Team tea",
            "channel": "wechat_web",
            "team_size": 3,
            "price_cents": 5_000,
            "group_price_cents": 3_000,
        },
        "lottery": {
            **common,
            "kind": "lottery",
            "name": "Spring draw",
            "channel": "own_app",
            "draw_at": draw_at,
            "entry_cap": 5,
            "base_entries": 1,
            "prizes": [
                {"name": "bike", "value_cents": 200_000, "quantity": 1},
                {"name": "mug", "value_cents": 2_000, "quantity": 10},
            ],
        },
        "unlock": {
            **common,
            "kind": "unlock",
            "name": "Free coffee",
            "channel": "qr_offline",
            "helpers_needed": 3,
            "reward_cents": 500,
            "reward_name": "coffee",
        },
    }


@dataclass
class Env:
    settings: Settings
    db: Database
    shop: ShopFixture
    client: TestClient

    def headers(self, role: Role = Role.OPERATOR) -> dict[str, str]:
        return auth(self.shop.tokens[role])

    def create(self, body: dict[str, Any], role: Role = Role.OPERATOR) -> dict[str, Any]:
        resp = self.client.post("/api/v1/campaigns", json=body, headers=self.headers(role))
        assert resp.status_code == 201, resp.text
        created: dict[str, Any] = resp.json()
        return created

    def other_shop(self) -> dict[str, str]:
        """Headers of an integrator of a new shop of its own (no password hashing)."""
        with self.db.unit_of_work() as s:
            shop_id = make_shop(s)
            token, _ = accounts.create_integrator_token(s, shop_id=shop_id, name="other")
        return auth(token)

    def act(self, campaign_id: int, action: str, **kwargs: Any) -> Any:
        return self.client.post(
            f"/api/v1/campaigns/{campaign_id}/{action}", headers=self.headers(), **kwargs
        )


def _env(db_url: str) -> Iterator[Env]:
    settings = make_settings(db_url, jobs={"run_in_process": False})
    db = Database(settings.db)
    try:
        shop = make_shop_with_roles(db, settings)
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            yield Env(settings=settings, db=db, shop=shop, client=client)
    finally:
        db.dispose()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """One app and shop per module and backend: a shop with a login per role costs
    seconds of password hashing, so tests share it and make a cheap integrator-only
    shop (`Env.other_shop`) where they need one to themselves."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("campaigns") / "campaigns.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield from _env(f"sqlite:///{path}")
        return
    copies: PostgresCopies = request.getfixturevalue("postgres_copies")
    name = copies.take()
    try:
        yield from _env(services.with_database(copies.admin, name))
    finally:
        copies.give_back(name)


@pytest.fixture(scope="module")
def sqlite_env(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """One app on SQLite shared by a module's tests whose subject does not depend on the
    backend (config validation), so a long table of cases stays fast."""
    path = tmp_path_factory.mktemp("campaigns") / "campaigns.db"
    shutil.copyfile(sqlite_template, path)
    yield from _env(f"sqlite:///{path}")
