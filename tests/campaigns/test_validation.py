"""Deceptive or impossible campaign configs are refused over HTTP with a 422
problem+json whose `errors` name the field (DESIGN.md "Rules people can trust" and the
channel profiles); honest configs of the same shape are accepted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from huzhu.config import LEGAL_TOP_PRIZE_CENTS, CampaignSettings
from huzhu.kit import clock
from tests.campaigns.conftest import Env, bodies

Body = dict[str, Any]


def assert_refused(resp: httpx.Response, field: str, *, status: int = 422) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = resp.json()
    assert field in [e["field"] for e in problem["errors"]], problem
    return problem


def _without_prizes(b: Body) -> Body:
    return b | {"prizes": []}


def _top_prize(b: Body) -> Body:
    return b | {"prizes": [{"name": "car", "value_cents": 5_000_001, "quantity": 1}]}


def _past(b: Body) -> Body:
    return b | {"ends_at": (clock.utcnow() - timedelta(hours=1)).isoformat()}


def _draw_in_past(b: Body) -> Body:
    return b | {"draw_at": (clock.utcnow() - timedelta(hours=1)).isoformat()}


def _giving_away(cents: int) -> Callable[[Body], Body]:
    """A bargain whose cut (price − floor) is `cents`, from an honest reference price."""

    def bend(b: Body) -> Body:
        price = int(b["floor_cents"]) + cents
        return b | {"price_cents": price, "reference_price_cents": price}

    return bend


# (kind, how the valid body is bent, the field the refusal must name)
CASES: list[tuple[str, Callable[[Body], Body], str]] = [
    # a bargain whose target (price − floor = 5 cents) cannot be cut in 10 assists
    ("bargain", lambda b: b | {"price_cents": 1_005, "floor_cents": 1_000}, "max_helpers"),
    ("bargain", lambda b: b | {"max_helpers": 201}, "max_helpers"),
    ("bargain", lambda b: b | {"floor_cents": 10_000}, "floor_cents"),
    ("bargain", lambda b: b | {"floor_cents": 20_000}, "floor_cents"),
    ("bargain", lambda b: b | {"reference_price_cents": 9_999}, "price_cents"),
    ("bargain", lambda b: b | {"countdown_resets": True}, "countdown_resets"),
    ("unlock", lambda b: b | {"extend_on_assist": True}, "extend_on_assist"),
    ("bargain", lambda b: b | {"budget_cents": 8_999}, "budget_cents"),
    ("bargain", _past, "ends_at"),
    ("lottery", _top_prize, "prizes.0.value_cents"),
    ("lottery", _without_prizes, "prizes"),
    ("lottery", lambda b: b | {"publish_commitment": False}, "publish_commitment"),
    ("lottery", lambda b: b | {"entry_cap": 1}, "entry_cap"),
    ("lottery", _draw_in_past, "draw_at"),
    ("lottery", lambda b: b | {"budget_cents": 219_999}, "budget_cents"),
    ("lottery", lambda b: b | {"inventory_total": 10}, "inventory_total"),
    ("groupbuy", lambda b: b | {"virtual_members": 2}, "virtual_members"),
    ("groupbuy", lambda b: b | {"auto_fill": True}, "auto_fill"),
    ("groupbuy", lambda b: b | {"group_price_cents": 5_000}, "group_price_cents"),
    ("groupbuy", lambda b: b | {"reference_price_cents": 4_000}, "price_cents"),
    # stock for less than one team: no team could ever open and fill
    ("groupbuy", lambda b: b | {"team_size": 3, "inventory_total": 2}, "inventory_total"),
    ("unlock", lambda b: b | {"helpers_needed": 201}, "helpers_needed"),
    ("unlock", lambda b: b | {"budget_cents": 499}, "budget_cents"),
    # what one activity may give away, beyond the platform's ceilings (¥50,000 by default)
    ("bargain", _giving_away(5_000_001), "floor_cents"),
    ("unlock", lambda b: b | {"reward_cents": 5_000_001}, "reward_cents"),
]


@pytest.mark.parametrize(
    ("kind", "bend", "field"), CASES, ids=[f"{k}-{f}-{i}" for i, (k, _, f) in enumerate(CASES)]
)
def test_deceptive_or_impossible_config_is_refused_naming_the_field(
    sqlite_env: Env, kind: str, bend: Callable[[Body], Body], field: str
) -> None:
    resp = sqlite_env.client.post(
        "/api/v1/campaigns", json=bend(bodies()[kind]), headers=sqlite_env.headers()
    )
    problem = assert_refused(resp, field)
    assert problem["code"] == "campaign_config_refused"


@pytest.mark.parametrize("channel", ["own_app", "wechat_miniprogram", "qr_offline", "web"])
def test_a_reward_for_sharing_is_refused_on_every_channel(sqlite_env: Env, channel: str) -> None:
    body = bodies()["unlock"] | {"channel": channel, "share_reward_cents": 100}
    resp = sqlite_env.client.post("/api/v1/campaigns", json=body, headers=sqlite_env.headers())
    assert_refused(resp, "share_reward_cents")


def test_a_reward_for_sharing_a_group_buy_on_wechat_web_is_refused(sqlite_env: Env) -> None:
    body = bodies()["groupbuy"] | {"share_reward_cents": 1}
    resp = sqlite_env.client.post("/api/v1/campaigns", json=body, headers=sqlite_env.headers())
    assert_refused(resp, "share_reward_cents")


@pytest.mark.parametrize("kind", ["bargain", "lottery", "unlock"])
def test_assist_mechanics_on_wechat_web_links_are_refused_with_the_way_out(
    sqlite_env: Env, kind: str
) -> None:
    body = bodies()[kind] | {"channel": "wechat_web"}
    resp = sqlite_env.client.post("/api/v1/campaigns", json=body, headers=sqlite_env.headers())
    problem = assert_refused(resp, "channel")
    message = next(e["message"] for e in problem["errors"] if e["field"] == "channel")
    assert "wechat_miniprogram" in message
    assert "own_app" in message


def test_a_group_buy_may_be_shared_on_wechat_web(sqlite_env: Env) -> None:
    created = sqlite_env.create(bodies()["groupbuy"])
    assert created["channel"] == "wechat_web"


def test_a_countdown_refusal_says_why(sqlite_env: Env) -> None:
    body = bodies()["bargain"] | {"countdown_resets": True, "extend_on_assist": True}
    resp = sqlite_env.client.post("/api/v1/campaigns", json=body, headers=sqlite_env.headers())
    problem = assert_refused(resp, "countdown_resets")
    assert {"countdown_resets", "extend_on_assist"} <= {e["field"] for e in problem["errors"]}
    assert "never restarts or extends" in problem["detail"]


def test_a_bargain_exactly_reachable_at_one_cent_per_helper_is_accepted(sqlite_env: Env) -> None:
    body = bodies()["bargain"] | {"price_cents": 1_010, "floor_cents": 1_000}
    assert sqlite_env.create(body)["rules"]["max_helpers"] == 10


def test_a_top_prize_at_the_legal_ceiling_is_accepted(sqlite_env: Env) -> None:
    body = bodies()["lottery"] | {
        "prizes": [{"name": "car", "value_cents": 5_000_000, "quantity": 1}],
        "budget_cents": 5_000_000,
    }
    assert sqlite_env.create(body)["rules"]["prizes"][0]["value_cents"] == 5_000_000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"inventory_total": 0}, "inventory_total"),
        ({"channel": "fax"}, "channel"),
        ({"budget_cents": -1}, "budget_cents"),
    ],
)
def test_shape_errors_name_the_field_too(sqlite_env: Env, body: Body, field: str) -> None:
    resp = sqlite_env.client.post(
        "/api/v1/campaigns", json=bodies()["bargain"] | body, headers=sqlite_env.headers()
    )
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("application/problem+json")
    fields = [e["field"] for e in resp.json()["errors"]]
    assert any(f.split(".")[-1] == field for f in fields), fields


def test_an_edit_into_a_deceptive_config_is_refused_naming_the_field(sqlite_env: Env) -> None:
    campaign_id = sqlite_env.create(bodies()["bargain"])["id"]
    sqlite_env.act(campaign_id, "launch")
    url = f"/api/v1/campaigns/{campaign_id}"
    headers = sqlite_env.headers()
    client = sqlite_env.client
    assert_refused(client.patch(url, json={"floor_cents": 10_000}, headers=headers), "floor_cents")
    assert_refused(client.patch(url, json={"channel": "wechat_web"}, headers=headers), "channel")
    assert_refused(client.patch(url, json={"max_helpers": 0}, headers=headers), "max_helpers")
    assert_refused(client.patch(url, json={"team_size": 3}, headers=headers), "team_size")
    cut_too_big = _giving_away(5_000_001)(bodies()["bargain"])
    edit = {k: cut_too_big[k] for k in ("price_cents", "reference_price_cents")}
    assert_refused(client.patch(url, json=edit, headers=headers), "floor_cents")
    assert client.get(url, headers=headers).json()["version"] == 1


def test_a_launched_lotterys_published_terms_never_change(sqlite_env: Env) -> None:
    campaign_id = sqlite_env.create(bodies()["lottery"])["id"]
    sqlite_env.act(campaign_id, "launch")
    url = f"/api/v1/campaigns/{campaign_id}"
    later = (clock.utcnow() + timedelta(days=9)).isoformat()
    for change, field in (
        ({"prizes": [{"name": "pen", "value_cents": 100, "quantity": 1}]}, "prizes"),
        ({"draw_at": later}, "draw_at"),
        ({"entry_cap": 50}, "entry_cap"),
    ):
        resp = sqlite_env.client.patch(url, json=change, headers=sqlite_env.headers())
        problem = assert_refused(resp, field, status=409)
        assert problem["code"] == "rules_frozen"
    renamed = sqlite_env.client.patch(
        url, json={"name": "Spring draw!"}, headers=sqlite_env.headers()
    )
    assert renamed.status_code == 200
    assert renamed.json()["version"] == 1


def test_an_edit_past_the_unlock_reward_ceiling_is_refused_naming_the_rule(
    sqlite_env: Env,
) -> None:
    campaign_id = sqlite_env.create(bodies()["unlock"])["id"]
    url = f"/api/v1/campaigns/{campaign_id}"
    resp = sqlite_env.client.patch(
        url, json={"reward_cents": 5_000_001}, headers=sqlite_env.headers()
    )
    problem = assert_refused(resp, "reward_cents")
    refusal = next(e for e in problem["errors"] if e["field"] == "reward_cents")
    assert "at most ¥50000.00 on this platform" in refusal["message"]
    # The stable code and its parameters, for a client that words it in its own language.
    assert refusal["code"] == "reward_above_limit"
    assert refusal["params"] == {"limit_cents": 5_000_000, "reward_cents": 5_000_001}
    assert (
        sqlite_env.client.get(url, headers=sqlite_env.headers()).json()["rules"]["reward_cents"]
        == 500
    )


def test_a_platform_may_lower_the_legal_top_prize_but_never_raise_it() -> None:
    assert LEGAL_TOP_PRIZE_CENTS == 5_000_000  # ¥50,000, the 2020 promotion rules' cap
    assert CampaignSettings().max_top_prize_cents == LEGAL_TOP_PRIZE_CENTS
    assert CampaignSettings(max_top_prize_cents=100_000).max_top_prize_cents == 100_000
    with pytest.raises(ValidationError):
        CampaignSettings(max_top_prize_cents=LEGAL_TOP_PRIZE_CENTS + 1)
