"""The campaigns API: create, read, list, edit and the lifecycle over HTTP, one shop's
campaigns invisible to another, and a public view that discloses rules, not secrets."""

from __future__ import annotations

from huzhu.accounts.rules import Role
from huzhu.campaigns.models import LotterySecret
from tests.campaigns.conftest import Env, bodies


def test_operator_creates_a_draft_with_its_frozen_rules_snapshot(env: Env) -> None:
    created = env.create(bodies()["bargain"])
    assert created["status"] == "draft"
    assert created["version"] == 1
    assert created["rules"] == {
        "kind": "bargain",
        "channel": "wechat_miniprogram",
        "instance_ttl_seconds": env.settings.campaigns.default_instance_ttl_seconds,
        "daily_assists_per_helper": env.settings.campaigns.default_daily_assists_per_helper,
        "reference_price_cents": 12_000,
        "price_cents": 10_000,
        "floor_cents": 1_000,
        "max_helpers": 10,
        "split": "double_mean",
        "purchase_window_seconds": env.settings.campaigns.default_purchase_window_seconds,
        "item_id": None,
        "reference_window_days": env.settings.campaigns.reference_price_window_days,
    }
    again = env.client.get(f"/api/v1/campaigns/{created['id']}", headers=env.headers(Role.SUPPORT))
    assert again.status_code == 200
    assert again.json() == created


def test_every_kind_snapshot_has_exactly_the_documented_keys(env: Env) -> None:
    common = {
        "kind",
        "channel",
        "instance_ttl_seconds",
        "daily_assists_per_helper",
        "reference_price_cents",
    }
    documented = {
        "bargain": {
            "price_cents",
            "floor_cents",
            "max_helpers",
            "split",
            "purchase_window_seconds",
            "item_id",
            "reference_window_days",
        },
        "groupbuy": {
            "team_size",
            "price_cents",
            "group_price_cents",
            "item_id",
            "reference_window_days",
        },
        "lottery": {"draw_at", "entry_cap", "base_entries", "prizes", "commitment_hex"},
        "unlock": {"helpers_needed", "reward_cents", "reward_name"},
    }
    for kind, body in bodies().items():
        rules = env.create(body)["rules"]
        assert set(rules) == common | documented[kind], kind


def test_list_is_paginated_newest_first_and_filters_by_status(env: Env) -> None:
    headers = env.other_shop()
    ids = []
    for body in bodies().values():
        resp = env.client.post("/api/v1/campaigns", json=body, headers=headers)
        ids.append(resp.json()["id"])
    env.client.post(f"/api/v1/campaigns/{ids[0]}/launch", headers=headers)
    first = env.client.get("/api/v1/campaigns?limit=3", headers=headers).json()
    assert [c["id"] for c in first["items"]] == ids[::-1][:3]
    rest = env.client.get(
        f"/api/v1/campaigns?limit=3&cursor={first['next_cursor']}", headers=headers
    ).json()
    assert [c["id"] for c in rest["items"]] == [ids[0]]
    assert rest["next_cursor"] is None
    live = env.client.get("/api/v1/campaigns?status=live", headers=headers).json()
    assert [c["id"] for c in live["items"]] == [ids[0]]
    assert live["items"][0]["rules"]["kind"] == "bargain"


def test_another_shops_campaign_is_not_found_for_every_operation(env: Env) -> None:
    campaign_id = env.create(bodies()["unlock"])["id"]
    headers = env.other_shop()
    client = env.client
    assert client.get(f"/api/v1/campaigns/{campaign_id}", headers=headers).status_code == 404
    assert client.get("/api/v1/campaigns", headers=headers).json()["items"] == []
    patched = client.patch(
        f"/api/v1/campaigns/{campaign_id}", json={"name": "mine now"}, headers=headers
    )
    assert patched.status_code == 404
    assert patched.json()["code"] == "campaign_not_found"
    for action in ("launch", "pause", "resume", "end"):
        resp = client.post(f"/api/v1/campaigns/{campaign_id}/{action}", headers=headers)
        assert resp.status_code == 404, action
    versions = client.get(f"/api/v1/campaigns/{campaign_id}/versions", headers=headers)
    assert versions.status_code == 404
    assert (
        env.client.get(f"/api/v1/campaigns/{campaign_id}", headers=env.headers()).json()["name"]
        == "Free coffee"
    )


def test_roles_without_campaign_write_cannot_create(env: Env) -> None:
    for role in (Role.ANALYST, Role.SUPPORT, Role.PARTICIPANT):
        resp = env.client.post(
            "/api/v1/campaigns", json=bodies()["unlock"], headers=env.headers(role)
        )
        assert resp.status_code == 403, role
    anonymous = env.client.post("/api/v1/campaigns", json=bodies()["unlock"])
    assert anonymous.status_code == 401


def test_lifecycle_over_http_launch_pause_resume_end(env: Env) -> None:
    campaign_id = env.create(bodies()["bargain"])["id"]
    assert env.act(campaign_id, "pause").json()["code"] == "invalid_transition"
    assert env.act(campaign_id, "launch").json()["status"] == "live"
    assert env.act(campaign_id, "launch").status_code == 409
    assert env.act(campaign_id, "pause").json()["status"] == "paused"
    assert env.act(campaign_id, "resume").json()["status"] == "live"
    assert env.act(campaign_id, "end").json()["status"] == "ended"
    refused = env.act(campaign_id, "resume")
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["status"] == 409
    assert refused.json()["campaign_status"] == "ended"


def test_public_view_discloses_lottery_rules_and_commitment_but_never_the_seed(env: Env) -> None:
    campaign_id = env.create(bodies()["lottery"])["id"]
    assert env.client.get(f"/api/v1/campaigns/{campaign_id}/public").status_code == 404
    env.act(campaign_id, "launch")
    resp = env.client.get(f"/api/v1/campaigns/{campaign_id}/public")
    assert resp.status_code == 200
    view = resp.json()
    with env.db.unit_of_work() as s:
        secret = s.get(LotterySecret, campaign_id)
        assert secret is not None
        seed_hex = secret.seed_hex
    assert seed_hex not in resp.text
    lottery = view["lottery"]
    assert lottery["commitment_hex"] == secret.commitment_hex
    assert [p["quantity"] for p in lottery["prizes"]] == [1, 10]
    assert lottery["prize_count"] == 11
    assert lottery["entry_cap"] == 5
    assert view["inventory_remaining"] == 100 - 11
    assert view["places_remaining"] is None


def test_public_view_of_a_bargain_shows_most_helpers_needed_and_places_left(env: Env) -> None:
    body = bodies()["bargain"] | {"budget_cents": 9_000 * 3 + 5, "inventory_total": 10}
    campaign_id = env.create(body)["id"]
    env.act(campaign_id, "launch")
    view = env.client.get(f"/api/v1/campaigns/{campaign_id}/public").json()
    assert view["bargain"]["max_helpers"] == 10
    assert view["bargain"]["reference_price_cents"] == 12_000
    assert view["bargain"]["floor_cents"] == 1_000
    assert view["places_remaining"] == 3  # the budget covers three worst cases
    assert view["inventory_remaining"] == 10
    assert view["groupbuy"] is None
    assert view["lottery"] is None


def test_public_view_of_a_group_buy_states_expiry_and_refund_rule(env: Env) -> None:
    campaign_id = env.create(bodies()["groupbuy"] | {"instance_ttl_seconds": 7200})["id"]
    env.act(campaign_id, "launch")
    group = env.client.get(f"/api/v1/campaigns/{campaign_id}/public").json()["groupbuy"]
    assert group["team_size"] == 3
    assert group["expires_after_seconds"] == 7200
    assert "released in full" in group["refund_rule"]
    assert "2 h" in group["refund_rule"]


def test_versions_lists_every_generation_of_rules(env: Env) -> None:
    campaign_id = env.create(bodies()["unlock"])["id"]
    env.act(campaign_id, "launch")
    resp = env.client.patch(
        f"/api/v1/campaigns/{campaign_id}", json={"helpers_needed": 5}, headers=env.headers()
    )
    assert resp.status_code == 200
    assert resp.json()["version"] == 2
    versions = env.client.get(
        f"/api/v1/campaigns/{campaign_id}/versions", headers=env.headers(Role.ANALYST)
    ).json()
    assert [(v["version"], v["rules"]["helpers_needed"]) for v in versions] == [(1, 3), (2, 5)]
