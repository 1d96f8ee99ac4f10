"""A participant's guardrails over HTTP: caps lowered at once and raised only after the
wait, the shop's ceiling refused whole, the history of changes, the confirmation before a
money step (428 without one, 409 for one that no longer matches), a cap or the cooling-off
refusing with the numbers, and the quote's numbers taken from the ledger."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from huzhu.app import create_app
from huzhu.campaigns.models import CampaignVersion
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.kit import clock
from tests.conftest import make_settings
from tests.factories import auth, confirmed, make_campaign, make_participant, make_shop

PRICE = 4_900
REGULAR = 9_900


@dataclass
class World:
    client: TestClient
    db: Database
    settings: Settings
    campaign_id: int
    version_id: int
    people: list[str]

    def open_team(self, who: str) -> int:
        answer = self.client.post(
            f"/api/v1/campaigns/{self.campaign_id}/teams",
            headers=confirmed(self.client, who, "open_team", self.campaign_id),
        )
        assert answer.status_code == 201, answer.text
        return int(answer.json()["team"]["team_id"])


def _world(db_url: str, **guardrails: int) -> Iterator[World]:
    settings = make_settings(db_url, guardrails=guardrails)
    db = Database(settings.db)
    with db.unit_of_work() as s:
        shop_id = make_shop(s)
        campaign_id, version_id = make_campaign(
            s,
            shop_id=shop_id,
            kind="groupbuy",
            budget_cents=10**8,
            rules={
                "team_size": 3,
                "price_cents": REGULAR,
                "group_price_cents": PRICE,
                "instance_ttl_seconds": 7200,
            },
        )
        people = [make_participant(s, settings, shop_id=shop_id, name=f"p{i}")[1] for i in range(6)]
    try:
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            yield World(client, db, settings, campaign_id, version_id, people)
    finally:
        db.dispose()


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    yield from _world(db_url)


def _caps(client: TestClient, who: str) -> dict[str, dict[str, object]]:
    answer = client.get("/api/v1/me/guardrails", headers=auth(who))
    assert answer.status_code == 200, answer.text
    return {c["cap"]: c for c in answer.json()["caps"]}


def test_a_lower_cap_applies_at_once_and_a_raise_waits_a_day(world: World) -> None:
    client, me = world.client, world.people[0]
    before = _caps(client, me)["daily_spend_cents"]
    assert (before["limit"], before["chosen"], before["default"]) == (100_000, False, 100_000)

    lowered = client.put(
        "/api/v1/me/guardrails", json={"daily_spend_cents": 6_000}, headers=auth(me)
    )
    assert lowered.status_code == 200, lowered.text
    now = _caps(client, me)["daily_spend_cents"]
    assert (now["limit"], now["chosen"], now["waiting_value"]) == (6_000, True, None)

    raised = client.put(
        "/api/v1/me/guardrails", json={"daily_spend_cents": 50_000}, headers=auth(me)
    )
    assert raised.status_code == 200, raised.text
    waiting = _caps(client, me)["daily_spend_cents"]
    assert (waiting["limit"], waiting["waiting_value"]) == (6_000, 50_000)
    waits = datetime.fromisoformat(str(waiting["waiting_from"])) - clock.utcnow()
    assert 86_000 < waits.total_seconds() <= 86_400

    clock.advance(86_401)
    after = _caps(client, me)["daily_spend_cents"]
    assert (after["limit"], after["waiting_value"]) == (50_000, None)

    history = client.get("/api/v1/me/guardrails/history", headers=auth(me)).json()
    assert [(h["cap"], h["value"]) for h in history] == [
        ("daily_spend_cents", 50_000),
        ("daily_spend_cents", 6_000),
    ]
    # Another person's caps are untouched.
    assert _caps(client, world.people[1])["daily_spend_cents"]["limit"] == 100_000


def test_lowering_again_cancels_a_raise_still_waiting(world: World) -> None:
    client, me = world.client, world.people[0]
    client.put("/api/v1/me/guardrails", json={"daily_joins": 2}, headers=auth(me))
    client.put("/api/v1/me/guardrails", json={"daily_joins": 8}, headers=auth(me))
    client.put("/api/v1/me/guardrails", json={"daily_joins": 1}, headers=auth(me))
    clock.advance(86_401)
    assert _caps(client, me)["daily_joins"]["limit"] == 1


def test_a_cap_above_the_ceiling_is_refused_whole(world: World) -> None:
    client, me = world.client, world.people[0]
    answer = client.put(
        "/api/v1/me/guardrails",
        json={"daily_spend_cents": 1_000, "monthly_spend_cents": 50_000_000},
        headers=auth(me),
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == "cap_above_ceiling"
    # Nothing half-written: the daily cap asked for beside it did not change either.
    assert _caps(client, me)["daily_spend_cents"]["limit"] == 100_000
    assert client.get("/api/v1/me/guardrails/history", headers=auth(me)).json() == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"daily_starts": True},
        {"daily_starts": "3"},
        {"daily_starts": -1},
        {"daily_starts": 2, "weekly_starts": 1},
        {"daily_spend_cents": 10.5},
    ],
)
def test_a_malformed_cap_change_is_a_clear_4xx(world: World, body: dict[str, object]) -> None:
    answer = world.client.put("/api/v1/me/guardrails", json=body, headers=auth(world.people[0]))
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert _caps(world.client, world.people[0])["daily_starts"]["chosen"] is False


def test_a_money_step_without_a_confirmation_is_428(world: World) -> None:
    answer = world.client.post(
        f"/api/v1/campaigns/{world.campaign_id}/teams", headers=auth(world.people[0])
    )
    assert answer.status_code == 428, answer.text
    assert answer.json()["code"] == "confirmation_required"


def _join(world: World, team_id: int, who: str, token: str | None) -> httpx.Response:
    headers = auth(who)
    if token is not None:
        headers["Huzhu-Confirmation"] = token
    return world.client.post(f"/api/v1/teams/{team_id}/join", headers=headers)


def _token(world: World, who: str, action: str, target_id: int) -> str:
    quote = world.client.post(
        "/api/v1/me/confirmations",
        json={"action": action, "target_id": target_id},
        headers=auth(who),
    )
    assert quote.status_code == 200, quote.text
    return str(quote.json()["token"])


def test_a_confirmation_that_no_longer_matches_is_409_with_its_reason(world: World) -> None:
    team_id = world.open_team(world.people[0])
    joiner, other = world.people[1], world.people[2]
    mine = _token(world, joiner, "join_team", team_id)
    cases = {
        "malformed": _join(world, team_id, joiner, "not-a-token"),
        "other": _join(world, team_id, other, mine),
    }
    another_team = world.open_team(world.people[3])
    cases["other_team"] = _join(world, another_team, joiner, mine)
    for name, answer in cases.items():
        assert answer.status_code == 409, (name, answer.text)
    reasons = {n: a.json()["reason"] for n, a in cases.items()}
    assert reasons == {"malformed": "malformed", "other": "other", "other_team": "other"}

    clock.advance(601)
    expired = _join(world, team_id, joiner, mine)
    assert expired.json()["reason"] == "expired"


def test_a_price_changed_since_confirming_is_409_and_nothing_is_charged(world: World) -> None:
    me = world.people[0]
    token = _token(world, me, "open_team", world.campaign_id)
    with world.db.unit_of_work() as s:
        s.execute(
            update(CampaignVersion)
            .where(CampaignVersion.id == world.version_id)
            .values(
                rules={
                    "team_size": 3,
                    "price_cents": REGULAR,
                    "group_price_cents": PRICE + 1_000,
                    "instance_ttl_seconds": 7200,
                }
            )
        )
    headers = auth(me) | {"Huzhu-Confirmation": token}
    answer = world.client.post(f"/api/v1/campaigns/{world.campaign_id}/teams", headers=headers)
    assert answer.status_code == 409, answer.text
    assert (answer.json()["reason"], answer.json()["amount_cents"]) == (
        "price_changed",
        PRICE + 1_000,
    )
    spending = world.client.get("/api/v1/me/spending", headers=auth(me)).json()
    assert spending["month"]["lines"] == []


def test_the_quote_shows_the_ledger_and_a_cap_refuses_with_its_numbers(world: World) -> None:
    client, me = world.client, world.people[0]
    world.open_team(me)
    first = world.open_team(world.people[1])
    joined = _join(world, first, me, _token(world, me, "join_team", first))
    assert joined.status_code == 201, joined.text
    second = world.open_team(world.people[2])
    # Confirmed while it fitted; the person then lowers their cap below it.
    token = _token(world, me, "join_team", second)
    client.put("/api/v1/me/guardrails", json={"daily_spend_cents": 10_000}, headers=auth(me))

    quote = client.post(
        "/api/v1/me/confirmations",
        json={"action": "join_team", "target_id": second},
        headers=auth(me),
    ).json()
    assert quote["amount_cents"] == PRICE
    assert quote["regular_price_cents"] == REGULAR
    assert quote["committed_today_cents"] == 2 * PRICE
    assert quote["committed_month_cents"] == 2 * PRICE
    assert quote["on_hold_cents"] == 2 * PRICE  # two teams not yet full: authorized only
    assert quote["in_progress"] == 2
    assert (quote["refused"], quote["refused_cap"], quote["token"]) == (
        "cap_reached",
        "daily_spend_cents",
        None,
    )

    refused = _join(world, second, me, token)
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["code"] == "cap_reached"
    assert (body["cap"], body["limit"], body["used"], body["needed"]) == (
        "daily_spend_cents",
        10_000,
        2 * PRICE,
        PRICE,
    )
    assert datetime.fromisoformat(body["resets_at"]) > clock.utcnow()


def test_the_step_after_n_in_an_hour_waits_with_retry_after(db_url: str) -> None:
    for world in _world(db_url, cooling_off_steps=2, cooling_off_minutes=30):
        me = world.people[0]
        world.open_team(me)
        teams = [world.open_team(world.people[i]) for i in (1, 2)]
        tokens = [_token(world, me, "join_team", team) for team in teams]
        assert _join(world, teams[0], me, tokens[0]).status_code == 201
        quote = world.client.post(
            "/api/v1/me/confirmations",
            json={"action": "join_team", "target_id": teams[1]},
            headers=auth(me),
        ).json()
        assert (quote["refused"], quote["token"]) == ("cooling_off", None)
        waiting = _join(world, teams[1], me, tokens[1])
        assert waiting.status_code == 429, waiting.text
        assert waiting.json()["code"] == "cooling_off"
        assert 1_700 < int(waiting.headers["retry-after"]) <= 1_800
        clock.advance(1_801)
        again = _join(world, teams[1], me, _token(world, me, "join_team", teams[1]))
        assert again.status_code == 201, again.text
