"""The enforcement API on SQLite and PostgreSQL: analysts act and lift, restrictions are
enforced at instance start and on the assist hot path with why and until when, the
person sees their standing and appeals once, the analyst's decision undoes a lifted
action, and every step is in the audit log and the person's inbox."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from huzhu.app import create_app
from huzhu.db import Database
from huzhu.kit import clock
from tests.conftest import make_settings
from tests.enforcement.support import UNLOCK_RULES, ReviewShop, review_shop
from tests.factories import auth, make_campaign


@pytest.fixture
def env(db_url: str) -> Iterator[tuple[TestClient, ReviewShop]]:
    settings = make_settings(db_url, jobs={"run_in_process": False})
    app = create_app(settings)
    db: Database = app.state.db
    with TestClient(app) as client:
        yield client, review_shop(db, settings)
    db.dispose()


def _act(client: TestClient, shop: ReviewShop, name: str, kind: str, reason: str) -> Any:
    return client.post(
        "/api/v1/enforcement/actions",
        json={"account_id": shop.id_of(name), "kind": kind, "reason": reason},
        headers=auth(shop.analyst),
    )


def _campaign(shop: ReviewShop) -> int:
    with shop.db.unit_of_work() as s:
        campaign_id, _ = make_campaign(s, shop_id=shop.shop_id, kind="unlock", rules=UNLOCK_RULES)
    return campaign_id


def _start(client: TestClient, shop: ReviewShop, campaign_id: int, name: str) -> Any:
    return client.post(f"/api/v1/campaigns/{campaign_id}/instances", headers=auth(shop.token(name)))


def test_participation_restriction_is_enforced_appealed_lifted_and_audited(
    env: tuple[TestClient, ReviewShop],
) -> None:
    client, shop = env
    campaign_id = _campaign(shop)
    instance_id = _start(client, shop, campaign_id, "friend").json()["id"]

    applied = _act(client, shop, "bob", "participation_restriction", "fake assists for hire")
    assert applied.status_code == 201, applied.text
    action = applied.json()
    assert (action["kind"], action["rung"], action["actor"]) == (
        "participation_restriction",
        4,
        f"operator:{shop.analyst_operator_id}",
    )
    assert shop.account("bob")[0] == "restricted"

    refused = _start(client, shop, campaign_id, "bob")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "account_restricted"
    assert refused.json()["restricted_until"] == action["expires_at"].replace("Z", "+00:00")
    hot = client.post(f"/api/v1/instances/{instance_id}/assists", headers=auth(shop.token("bob")))
    assert (hot.status_code, hot.json()["code"]) == (403, "account_restricted")
    invites = client.get(
        f"/api/v1/enforcement/accounts/{shop.id_of('bob')}", headers=auth(shop.analyst)
    )
    assert invites.json()["invites_blocked"] is True

    mine = client.get("/api/v1/me/enforcement", headers=auth(shop.token("bob"))).json()
    assert mine["standing"]["status"] == "restricted"
    assert [(a["id"], a["reason"]) for a in mine["actions"]] == [
        (action["id"], "fake assists for hire")
    ]
    assert "evidence" not in mine["actions"][0]

    url = f"/api/v1/enforcement/actions/{action['id']}/appeal"
    stranger = client.post(url, json={"text": "not me"}, headers=auth(shop.token("carol")))
    assert (stranger.status_code, stranger.json()["code"]) == (404, "enforcement_action_not_found")
    appeal = client.post(
        url, json={"text": "those were my classmates"}, headers=auth(shop.token("bob"))
    )
    assert appeal.status_code == 201, appeal.text
    twice = client.post(url, json={"text": "again"}, headers=auth(shop.token("bob")))
    assert (twice.status_code, twice.json()["code"]) == (409, "already_appealed")

    pending = client.get("/api/v1/appeals?status=pending", headers=auth(shop.analyst)).json()
    assert [a["id"] for a in pending["items"]] == [appeal.json()["id"]]
    decided = client.post(
        f"/api/v1/appeals/{appeal.json()['id']}/decide",
        json={"decision": "lift", "reason": "the classmates are real"},
        headers=auth(shop.analyst),
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "lifted"
    again = client.post(
        f"/api/v1/appeals/{appeal.json()['id']}/decide",
        json={"decision": "uphold", "reason": "x"},
        headers=auth(shop.analyst),
    )
    assert (again.status_code, again.json()["code"]) == (409, "appeal_already_decided")
    lifted_again = client.post(
        f"/api/v1/enforcement/actions/{action['id']}/lift",
        json={"reason": "x"},
        headers=auth(shop.analyst),
    )
    assert (lifted_again.status_code, lifted_again.json()["code"]) == (409, "action_already_lifted")

    assert shop.account("bob") == ("active", None, None)
    assert _start(client, shop, campaign_id, "bob").status_code == 201
    standing = client.get(
        f"/api/v1/enforcement/accounts/{shop.id_of('bob')}", headers=auth(shop.analyst)
    )
    assert (standing.json()["rung"], standing.json()["invites_blocked"]) == (0, False)

    assert [k for k, _, _ in shop.inbox("bob")] == [
        "enforcement.applied",
        "appeal_outcome.filed",
        "appeal_outcome.decided",
        "enforcement.lifted",
    ]
    audit = client.get(
        f"/api/v1/audit?account_id={shop.id_of('bob')}", headers=auth(shop.owner())
    ).json()["items"]
    operator = f"operator:{shop.analyst_operator_id}"
    # Both looks at bob's standing are there too; bob's look at his own is not.
    assert [(a["actor"], a["action"]) for a in reversed(audit)] == [
        (operator, "enforcement.applied"),
        (operator, "standing.read"),
        (f"account:{shop.id_of('bob')}", "appeal.filed"),
        (operator, "appeal.lifted"),
        (operator, "enforcement.lifted"),
        (operator, "standing.read"),
    ]
    events = [(t, p) for t, p in shop.events() if t.startswith(("enforcement.", "appeal."))]
    assert [t for t, _ in events] == [
        "enforcement.applied",
        "appeal.filed",
        "appeal.lifted",
        "enforcement.lifted",
    ]
    # The appellant's own words stay in the audit log; webhooks get the facts.
    assert "reason" not in events[1][1]
    assert "classmates" not in str(events[1][1])
    assert audit[-3]["reason"] == "those were my classmates"


def test_upheld_appeal_keeps_the_ban_and_a_lift_restores_what_remains(
    env: tuple[TestClient, ReviewShop],
) -> None:
    client, shop = env
    restriction = _act(client, shop, "eve", "participation_restriction", "ring member").json()
    ban = _act(client, shop, "eve", "ban", "ring organiser").json()
    assert (ban["expires_at"], shop.account("eve")[0]) == (None, "banned")
    assert shop.account("eve")[2] == "ring organiser"
    appeal = client.post(
        f"/api/v1/enforcement/actions/{ban['id']}/appeal",
        json={"text": "I only helped friends"},
        headers=auth(shop.token("eve")),
    ).json()
    upheld = client.post(
        f"/api/v1/appeals/{appeal['id']}/decide",
        json={"decision": "uphold", "reason": "48 accounts on one device"},
        headers=auth(shop.analyst),
    ).json()
    assert upheld["status"] == "upheld"
    assert shop.account("eve")[0] == "banned"
    assert shop.inbox("eve")[-1][1] == "Your appeal was not accepted"

    lifted = client.post(
        f"/api/v1/enforcement/actions/{ban['id']}/lift",
        json={"reason": "device shared by a family"},
        headers=auth(shop.analyst),
    )
    assert lifted.status_code == 200
    status, until, reason = shop.account("eve")
    assert (status, reason) == ("restricted", "ring member")
    assert clock.as_utc(until).isoformat() == restriction["expires_at"].replace("Z", "+00:00")


def test_restriction_lapses_by_the_clock_without_any_job(
    env: tuple[TestClient, ReviewShop],
) -> None:
    client, shop = env
    campaign_id = _campaign(shop)
    _act(client, shop, "dan", "participation_restriction", "spam")
    assert _start(client, shop, campaign_id, "dan").status_code == 403
    clock.advance(30 * 24 * 3600 + 1)
    shop.refresh_token("dan")  # participant tokens live 30 days too
    assert _start(client, shop, campaign_id, "dan").status_code == 201
    mine = client.get("/api/v1/me/enforcement", headers=auth(shop.token("dan"))).json()
    assert mine["standing"]["status"] == "active"
    assert mine["standing"]["rung"] == 4  # the record remains for the next step


def test_bad_targets_are_clear_problems(env: tuple[TestClient, ReviewShop]) -> None:
    client, shop = env
    unknown = client.post(
        "/api/v1/enforcement/actions",
        json={"account_id": 2**40, "reason": "x"},
        headers=auth(shop.analyst),
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "account_not_found")
    no_case = client.post(
        "/api/v1/enforcement/actions",
        json={"account_id": shop.id_of("a"), "reason": "x", "case_id": 2**40},
        headers=auth(shop.analyst),
    )
    assert (no_case.status_code, no_case.json()["code"]) == (404, "review_case_not_found")
    no_action = client.get("/api/v1/enforcement/actions/999999", headers=auth(shop.analyst))
    assert (no_action.status_code, no_action.json()["code"]) == (
        404,
        "enforcement_action_not_found",
    )
    no_appeal = client.post(
        "/api/v1/appeals/999999/decide",
        json={"decision": "lift", "reason": "x"},
        headers=auth(shop.analyst),
    )
    assert (no_appeal.status_code, no_appeal.json()["code"]) == (404, "appeal_not_found")
    other = review_shop(shop.db, shop.settings)
    foreign = client.post(
        "/api/v1/enforcement/actions",
        json={"account_id": shop.id_of("a"), "reason": "x"},
        headers=auth(other.analyst),
    )
    assert (foreign.status_code, foreign.json()["code"]) == (404, "account_not_found")


def test_lifting_an_action_directly_closes_its_pending_appeal(
    env: tuple[TestClient, ReviewShop],
) -> None:
    client, shop = env
    action = _act(client, shop, "fay", "invite_restriction_7d", "spam").json()
    appeal = client.post(
        f"/api/v1/enforcement/actions/{action['id']}/appeal",
        json={"text": "wrong person"},
        headers=auth(shop.token("fay")),
    ).json()
    client.post(
        f"/api/v1/enforcement/actions/{action['id']}/lift",
        json={"reason": "wrong person indeed"},
        headers=auth(shop.analyst),
    )
    closed = client.get(f"/api/v1/appeals/{appeal['id']}", headers=auth(shop.analyst)).json()
    assert (closed["status"], closed["decision_reason"]) == ("lifted", "wrong person indeed")
    late = client.post(
        f"/api/v1/appeals/{appeal['id']}/decide",
        json={"decision": "uphold", "reason": "x"},
        headers=auth(shop.analyst),
    )
    assert (late.status_code, late.json()["code"]) == (409, "appeal_already_decided")
    assert [k for k, _, _ in shop.inbox("fay")] == [
        "enforcement.applied",
        "appeal_outcome.filed",
        "enforcement.lifted",
    ]
    assert [a for _, a, _, _ in shop.audit()][-2:] == ["enforcement.lifted", "appeal.lifted"]
