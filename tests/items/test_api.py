"""A shop's items and their price history over HTTP, on SQLite and PostgreSQL: the
regular price opens the history, prices are recorded at the server's time and never in
the past, another shop's items do not exist for a caller, bad input is a 4xx."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from huzhu.accounts.rules import Role
from huzhu.kit import clock
from tests.campaigns.conftest import Env


def _sku() -> str:
    return f"sku-{uuid.uuid4().hex[:8]}"


def make_item(env: Env, *, price: int = 10_000, sku: str | None = None) -> dict[str, Any]:
    resp = env.client.post(
        "/api/v1/items",
        json={"sku": sku or _sku(), "name": "Kettle", "regular_price_cents": price},
        headers=env.headers(),
    )
    assert resp.status_code == 201, resp.text
    item: dict[str, Any] = resp.json()
    return item


def history(env: Env, item_id: int) -> list[dict[str, Any]]:
    resp = env.client.get(f"/api/v1/items/{item_id}/prices", headers=env.headers(Role.SUPPORT))
    assert resp.status_code == 200, resp.text
    items: list[dict[str, Any]] = resp.json()["items"]
    return items


def test_an_item_s_regular_price_opens_its_history(env: Env) -> None:
    item = make_item(env, price=12_300)
    assert item["regular_price_cents"] == 12_300
    [first] = history(env, item["id"])
    assert (first["price_cents"], first["source"], first["campaign_id"]) == (
        12_300,
        "regular",
        None,
    )
    listed = env.client.get("/api/v1/items", headers=env.headers(Role.SUPPORT)).json()
    assert item["id"] in [i["id"] for i in listed["items"]]
    got = env.client.get(f"/api/v1/items/{item['id']}", headers=env.headers(Role.SUPPORT))
    assert got.json() == item


def test_recorded_prices_are_timed_by_the_server_newest_first(env: Env) -> None:
    item = make_item(env)
    clock.advance(3600)
    before = clock.utcnow()
    resp = env.client.post(
        f"/api/v1/items/{item['id']}/prices", json={"price_cents": 9_900}, headers=env.headers()
    )
    assert resp.status_code == 201, resp.text
    recorded = resp.json()
    assert recorded["source"] == "recorded"
    # The moved clock is the engine's clock: the price is timed by it, an hour ahead.
    assert datetime.fromisoformat(recorded["observed_at"]) >= before
    newest, oldest = history(env, item["id"])
    assert (newest["price_cents"], oldest["price_cents"]) == (9_900, 10_000)


def test_a_price_cannot_be_dated_by_the_caller(env: Env) -> None:
    item = make_item(env)
    resp = env.client.post(
        f"/api/v1/items/{item['id']}/prices",
        json={"price_cents": 5_000, "observed_at": "2020-01-01T00:00:00+00:00"},
        headers=env.headers(),
    )
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert len(history(env, item["id"])) == 1


def test_a_changed_regular_price_joins_the_history_and_a_rename_does_not(env: Env) -> None:
    item = make_item(env)
    url = f"/api/v1/items/{item['id']}"
    assert (
        env.client.patch(url, json={"name": "Tea kettle"}, headers=env.headers()).json()["name"]
        == "Tea kettle"
    )
    assert len(history(env, item["id"])) == 1
    changed = env.client.patch(url, json={"regular_price_cents": 8_800}, headers=env.headers())
    assert changed.json()["regular_price_cents"] == 8_800
    assert [(h["price_cents"], h["source"]) for h in history(env, item["id"])] == [
        (8_800, "regular"),
        (10_000, "regular"),
    ]


def test_a_sku_in_use_is_refused_without_a_second_item(env: Env) -> None:
    sku = _sku()
    make_item(env, sku=sku)
    resp = env.client.post(
        "/api/v1/items",
        json={"sku": sku, "name": "Other", "regular_price_cents": 1},
        headers=env.headers(),
    )
    assert resp.status_code == 409
    assert resp.json()["code"] == "sku_taken"


def test_bad_prices_are_refused_with_a_problem(env: Env) -> None:
    item = make_item(env)
    for body in ({"price_cents": 0}, {"price_cents": -5}, {"price_cents": "12.5"}, {}):
        resp = env.client.post(
            f"/api/v1/items/{item['id']}/prices", json=body, headers=env.headers()
        )
        assert resp.status_code == 422, body
        assert resp.json()["code"] == "invalid_input"
    bad_item = env.client.post(
        "/api/v1/items",
        json={"sku": " padded ", "name": "x", "regular_price_cents": 0},
        headers=env.headers(),
    )
    assert bad_item.status_code == 422
    assert {e["field"] for e in bad_item.json()["errors"]} == {"sku", "regular_price_cents"}
    assert len(history(env, item["id"])) == 1


def test_another_shop_s_item_does_not_exist_for_the_caller(env: Env) -> None:
    item = make_item(env)
    other = env.other_shop()
    for method, path, body in (
        ("GET", f"/api/v1/items/{item['id']}", None),
        ("PATCH", f"/api/v1/items/{item['id']}", {"name": "mine"}),
        ("GET", f"/api/v1/items/{item['id']}/prices", None),
        ("POST", f"/api/v1/items/{item['id']}/prices", {"price_cents": 1}),
    ):
        resp = env.client.request(method, path, json=body, headers=other)
        assert resp.status_code == 404, (method, path)
        assert resp.json()["code"] == "item_not_found"
    assert len(history(env, item["id"])) == 1


def test_a_support_operator_reads_items_but_cannot_record_a_price(env: Env) -> None:
    item = make_item(env)
    resp = env.client.post(
        f"/api/v1/items/{item['id']}/prices",
        json={"price_cents": 1},
        headers=env.headers(Role.SUPPORT),
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "permission_denied"
