"""Price claims that hold, over HTTP on SQLite and PostgreSQL: a campaign naming an item
may state a reference price ("was ¥X") of at most the lowest price recorded for the item
in the 7 days before launch — refused at create, edit and launch with the recorded
figure and when it was recorded — and every campaign price joins the item's history.
The window's edges are crossed by moving the engine's clock (`clock.advance`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from huzhu.accounts.rules import Role
from huzhu.campaigns import flows
from huzhu.campaigns.errors import ReferencePriceAboveLowest
from huzhu.kit import clock
from tests.campaigns.conftest import Env, bodies
from tests.items.test_api import history, make_item

DAY = 24 * 3600


def _bargain(item_id: int | None, *, price: int, reference: int, **more: Any) -> dict[str, Any]:
    body = bodies()["bargain"] | {"price_cents": price, "reference_price_cents": reference}
    if item_id is not None:
        body["item_id"] = item_id
    return body | more


# Operator sign-ins expire within days: tests that move the clock by a week act as an
# integrator, whose token does not.
INTEGRATOR = Role.INTEGRATOR


def _record(env: Env, item_id: int, price: int) -> dict[str, Any]:
    resp = env.client.post(
        f"/api/v1/items/{item_id}/prices",
        json={"price_cents": price},
        headers=env.headers(INTEGRATOR),
    )
    assert resp.status_code == 201, resp.text
    recorded: dict[str, Any] = resp.json()
    return recorded


def _refused_with(resp: httpx.Response, *, lowest: int, recorded_at: str) -> dict[str, Any]:
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = resp.json()
    assert problem["code"] == "reference_price_above_lowest"
    assert problem["lowest_price_cents"] == lowest
    assert datetime.fromisoformat(problem["lowest_recorded_at"]) == datetime.fromisoformat(
        recorded_at
    )
    assert problem["window_days"] == 7
    assert [e["field"] for e in problem["errors"]] == ["reference_price_cents"]
    return problem


def _campaign_count(env: Env) -> int:
    resp = env.client.get("/api/v1/campaigns?limit=200", headers=env.headers(Role.SUPPORT))
    return len(resp.json()["items"])


def test_a_reference_above_the_lowest_recorded_price_is_refused_at_create(env: Env) -> None:
    item = make_item(env, price=10_000)
    low = _record(env, item["id"], 9_000)
    campaigns_before = _campaign_count(env)
    resp = env.client.post(
        "/api/v1/campaigns",
        json=_bargain(item["id"], price=9_000, reference=10_000),
        headers=env.headers(),
    )
    problem = _refused_with(resp, lowest=9_000, recorded_at=low["observed_at"])
    assert problem["reference_price_cents"] == 10_000
    assert "¥90.00" in problem["detail"]
    # Nothing written: no campaign, and no campaign price in the item's history.
    assert _campaign_count(env) == campaigns_before
    assert [h["source"] for h in history(env, item["id"])] == ["recorded", "regular"]


def test_a_bargain_s_price_itself_is_its_reference_when_none_is_stated(env: Env) -> None:
    item = make_item(env, price=10_000)
    low = _record(env, item["id"], 8_000)
    body = _bargain(item["id"], price=9_000, reference=9_000)
    del body["reference_price_cents"]
    resp = env.client.post("/api/v1/campaigns", json=body, headers=env.headers())
    _refused_with(resp, lowest=8_000, recorded_at=low["observed_at"])


def test_a_reference_at_the_lowest_price_is_accepted_and_every_campaign_price_recorded(
    env: Env,
) -> None:
    item = make_item(env, price=10_000)
    _record(env, item["id"], 9_500)
    created = env.create(_bargain(item["id"], price=9_000, reference=9_500))
    assert created["rules"]["item_id"] == item["id"]
    edited = env.client.patch(
        f"/api/v1/campaigns/{created['id']}", json={"price_cents": 8_500}, headers=env.headers()
    )
    assert edited.status_code == 200, edited.text
    assert env.act(created["id"], "launch").status_code == 200
    campaign_prices = [
        (h["price_cents"], h["campaign_id"])
        for h in history(env, item["id"])
        if h["source"] == "campaign"
    ]
    # Launch, edit, create: newest first.
    assert campaign_prices == [
        (8_500, created["id"]),
        (8_500, created["id"]),
        (9_000, created["id"]),
    ]
    public = env.client.get(f"/api/v1/campaigns/{created['id']}/public").json()
    claim = public["bargain"]["reference"]
    # The campaign's own prices are left out of its own claim.
    assert (claim["basis"], claim["lowest_price_cents"], claim["item_id"]) == (
        "recorded_lowest",
        9_500,
        item["id"],
    )


def test_a_campaign_s_price_binds_the_next_campaign_s_reference(env: Env) -> None:
    item = make_item(env, price=10_000)
    first = env.create(_bargain(item["id"], price=7_000, reference=10_000))
    assert env.act(first["id"], "launch").status_code == 200
    own = [h for h in history(env, item["id"]) if h["campaign_id"] == first["id"]]
    resp = env.client.post(
        "/api/v1/campaigns",
        json=_bargain(item["id"], price=7_000, reference=10_000),
        headers=env.headers(),
    )
    # The newest of the equal lowest prices is the one named.
    _refused_with(resp, lowest=7_000, recorded_at=own[0]["observed_at"])


def test_the_window_is_seven_days_before_launch_on_both_edges(env: Env) -> None:
    item = make_item(env, price=10_000)
    low = _record(env, item["id"], 8_000)
    clock.advance(3 * DAY)
    _record(env, item["id"], 10_000)
    body = _bargain(item["id"], price=9_000, reference=10_000)
    # A minute inside the window, the ¥80 still binds ...
    clock.advance(4 * DAY - 60)
    resp = env.client.post("/api/v1/campaigns", json=body, headers=env.headers(INTEGRATOR))
    _refused_with(resp, lowest=8_000, recorded_at=low["observed_at"])
    # ... a minute past it, it no longer does, and ¥100 (recorded on day 3) is the lowest.
    clock.advance(120)
    created = env.create(body, role=INTEGRATOR)
    launched = env.client.post(
        f"/api/v1/campaigns/{created['id']}/launch", headers=env.headers(INTEGRATOR)
    )
    assert launched.status_code == 200, launched.text
    claim = env.client.get(f"/api/v1/campaigns/{created['id']}/public").json()["bargain"][
        "reference"
    ]
    assert (claim["basis"], claim["lowest_price_cents"]) == ("recorded_lowest", 10_000)


def test_launch_is_refused_when_a_lower_price_was_recorded_since_the_draft(env: Env) -> None:
    item = make_item(env, price=10_000)
    draft = env.create(_bargain(item["id"], price=9_000, reference=10_000))
    low = _record(env, item["id"], 9_500)
    _refused_with(env.act(draft["id"], "launch"), lowest=9_500, recorded_at=low["observed_at"])
    got = env.client.get(f"/api/v1/campaigns/{draft['id']}", headers=env.headers()).json()
    assert (got["status"], got["launched_at"]) == ("draft", None)
    assert history(env, item["id"])[0]["source"] == "recorded"  # no launch price
    # Once every price but the campaign's own is older than the window, nothing backs or
    # contradicts the claim: it launches, and says the claim is the shop's own.
    clock.advance(7 * DAY + 60)
    launched = env.client.post(
        f"/api/v1/campaigns/{draft['id']}/launch", headers=env.headers(INTEGRATOR)
    )
    assert launched.status_code == 200, launched.text
    claim = env.client.get(f"/api/v1/campaigns/{draft['id']}/public").json()["bargain"]["reference"]
    assert claim == {
        "basis": "shop_claim",
        "item_id": item["id"],
        "window_days": 7,
        "lowest_price_cents": None,
        "recorded_at": None,
    }


def test_scheduling_is_refused_too_and_activation_checks_again(env: Env) -> None:
    """Scheduling checks the claim at once; the activate job checks it again when the
    campaign goes live, and a claim the history no longer backs stays scheduled."""
    item = make_item(env, price=10_000)
    starts = (clock.utcnow() + timedelta(hours=1)).isoformat()
    draft = env.create(_bargain(item["id"], price=9_000, reference=10_000))
    low = _record(env, item["id"], 9_800)
    url = f"/api/v1/campaigns/{draft['id']}/schedule"
    refused = env.client.post(url, json={"starts_at": starts}, headers=env.headers())
    _refused_with(refused, lowest=9_800, recorded_at=low["observed_at"])
    fixed = env.client.patch(
        f"/api/v1/campaigns/{draft['id']}",
        json={"reference_price_cents": 9_800},
        headers=env.headers(),
    )
    assert fixed.status_code == 200, fixed.text
    assert (
        env.client.post(url, json={"starts_at": starts}, headers=env.headers()).status_code == 200
    )
    # A lower price before the start: activation refuses to go live with the old claim.
    _record(env, item["id"], 9_600)
    clock.advance(3600 + 60)
    with env.db.unit_of_work() as s, pytest.raises(ReferencePriceAboveLowest):
        flows.activate_if_due(s, draft["id"])
    got = env.client.get(f"/api/v1/campaigns/{draft['id']}", headers=env.headers(INTEGRATOR))
    assert (got.json()["status"], got.json()["launched_at"]) == ("scheduled", None)


def _snapshot(env: Env, campaign_id: int) -> tuple[Any, ...]:
    headers = env.headers(Role.SUPPORT)
    campaign = env.client.get(f"/api/v1/campaigns/{campaign_id}", headers=headers).json()
    versions = env.client.get(f"/api/v1/campaigns/{campaign_id}/versions", headers=headers)
    events = env.client.get("/api/v1/events?limit=200", headers=env.headers()).json()
    return campaign, versions.json(), [e["id"] for e in events["items"]]


def test_a_refused_edit_of_a_live_campaign_writes_nothing(env: Env) -> None:
    item = make_item(env, price=10_000)
    created = env.create(_bargain(item["id"], price=8_000, reference=10_000))
    assert env.act(created["id"], "launch").status_code == 200
    before, prices_before = _snapshot(env, created["id"]), history(env, item["id"])
    resp = env.client.patch(
        f"/api/v1/campaigns/{created['id']}",
        json={
            "reference_price_cents": 12_000,
            "budget_cents": 2_000_000,
            "description": "Was ¥120!",
        },
        headers=env.headers(),
    )
    regular = prices_before[-1]
    _refused_with(resp, lowest=10_000, recorded_at=regular["observed_at"])
    assert _snapshot(env, created["id"]) == before
    assert history(env, item["id"]) == prices_before


def test_naming_an_item_with_a_lower_history_in_an_edit_is_refused(env: Env) -> None:
    dear, cheap = make_item(env, price=10_000), make_item(env, price=6_000)
    draft = env.create(_bargain(dear["id"], price=9_000, reference=10_000))
    resp = env.client.patch(
        f"/api/v1/campaigns/{draft['id']}", json={"item_id": cheap["id"]}, headers=env.headers()
    )
    _refused_with(resp, lowest=6_000, recorded_at=history(env, cheap["id"])[0]["observed_at"])
    got = env.client.get(f"/api/v1/campaigns/{draft['id']}", headers=env.headers()).json()
    assert got["rules"]["item_id"] == dear["id"]


def test_an_unknown_or_foreign_item_is_refused_naming_the_field(env: Env) -> None:
    foreign = env.other_shop()
    theirs = env.client.post(
        "/api/v1/items",
        json={"sku": "theirs", "name": "x", "regular_price_cents": 100},
        headers=foreign,
    ).json()
    for item_id in (theirs["id"], 2**40):
        resp = env.client.post(
            "/api/v1/campaigns",
            json=_bargain(item_id, price=9_000, reference=9_000),
            headers=env.headers(),
        )
        assert resp.status_code == 422, resp.text
        assert resp.json()["code"] == "campaign_config_refused"
        assert [e["field"] for e in resp.json()["errors"]] == ["item_id"]


def test_a_group_buy_s_reference_is_checked_like_a_bargain_s(env: Env) -> None:
    item = make_item(env, price=5_000)
    low = _record(env, item["id"], 4_500)
    body = bodies()["groupbuy"] | {"item_id": item["id"], "reference_price_cents": 5_000}
    resp = env.client.post("/api/v1/campaigns", json=body, headers=env.headers())
    _refused_with(resp, lowest=4_500, recorded_at=low["observed_at"])
    body |= {"reference_price_cents": 4_500, "price_cents": 4_500}
    created = env.create(body)
    assert env.act(created["id"], "launch").status_code == 200
    claim = env.client.get(f"/api/v1/campaigns/{created['id']}/public").json()["groupbuy"][
        "reference"
    ]
    assert (claim["basis"], claim["lowest_price_cents"]) == ("recorded_lowest", 4_500)


def test_without_an_item_the_reference_is_the_shop_s_own_claim(env: Env) -> None:
    created = env.create(_bargain(None, price=9_000, reference=12_000))
    assert created["rules"]["item_id"] is None
    assert env.act(created["id"], "launch").status_code == 200
    public = env.client.get(f"/api/v1/campaigns/{created['id']}/public").json()
    assert public["bargain"]["reference_price_cents"] == 12_000
    assert public["bargain"]["reference"]["basis"] == "shop_claim"
    assert public["bargain"]["reference"]["item_id"] is None
