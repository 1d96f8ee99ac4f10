"""What goes in the log and how owners read it over the API: an operator's look at an
instance's assists or a person's standing and a void by hand are entries (with who and
why), a participant reading their own data is not; `GET /api/v1/audit` filters by kind,
actor, account, subject and date, pages like every list, and refuses bad filters."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from huzhu.audit import service as audit
from tests.assists.conftest import BARGAIN_RULES, World, post_assist, post_start
from tests.factories import auth


def _log(client: TestClient, world: World, query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/audit?{query}", headers=auth(world.operator))
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_operator_reads_and_a_void_are_logged_and_owners_filter_them(
    world: World, client: TestClient
) -> None:
    campaign_id, _ = world.campaign("bargain", BARGAIN_RULES)
    alice_id, alice = world.person("alice")
    instance_id = post_start(client, alice, campaign_id).json()["id"]
    given = [post_assist(client, world.person(f"h{i}")[1], instance_id).json() for i in range(2)]

    assert client.get("/api/v1/me/enforcement", headers=auth(alice)).status_code == 200
    assert client.get(f"/api/v1/instances/{instance_id}", headers=auth(alice)).status_code == 200
    assert _log(client, world) == []  # a person's look at their own data is no operator read

    looked = client.get(f"/api/v1/instances/{instance_id}/assists", headers=auth(world.operator))
    assert looked.status_code == 200
    standing = client.get(f"/api/v1/enforcement/accounts/{alice_id}", headers=auth(world.operator))
    assert standing.status_code == 200
    voided = client.post(
        f"/api/v1/assists/{given[0]['assist_id']}/void",
        json={"reason": "same phone as the initiator"},
        headers=auth(world.operator),
    )
    assert voided.status_code == 200, voided.text

    entries = _log(client, world)
    operator = entries[0]["actor"]
    assert operator.startswith("operator:")
    assert [(e["actor"], e["action"], e["subject_type"], e["subject_id"]) for e in entries] == [
        (operator, "assist.voided", "instance", instance_id),
        (operator, "standing.read", "account", alice_id),
        (operator, "assists.read", "instance", instance_id),
    ]
    assert entries[0]["reason"] == "same phone as the initiator"
    assert entries[0]["details"] == {"assist_ids": [given[0]["assist_id"]]}
    assert entries[2]["details"] == {"assists_shown": 2, "cursor": None}
    assert [e["account_id"] for e in entries] == [alice_id, alice_id, alice_id]
    assert [e["seq"] for e in entries] == [3, 2, 1]

    kinds = {
        "kind=assists": ["assists.read"],
        "kind=assist": ["assist.voided"],
        "kind=assist.voided": ["assist.voided"],
        "actor=operator": ["assist.voided", "standing.read", "assists.read"],
        f"actor={operator}": ["assist.voided", "standing.read", "assists.read"],
        "actor=operator:0": [],
        "actor=rule": [],
        f"subject_type=account&subject_id={alice_id}": ["standing.read"],
        f"account_id={alice_id + 1000}": [],
        "since=2000-01-01T00:00:00Z&until=2999-01-01": [
            "assist.voided",
            "standing.read",
            "assists.read",
        ],
        "since=2999-01-01T00:00:00Z": [],
        "kind=a%": [],  # a LIKE wildcard is a character, not a pattern
    }
    for query, actions in kinds.items():
        assert [e["action"] for e in _log(client, world, query)] == actions, query

    first = client.get("/api/v1/audit?limit=2", headers=auth(world.operator)).json()
    rest = client.get(
        f"/api/v1/audit?limit=2&cursor={first['next_cursor']}", headers=auth(world.operator)
    ).json()
    assert [e["seq"] for e in first["items"] + rest["items"]] == [3, 2, 1]
    assert rest["next_cursor"] is None

    with world.db.unit_of_work() as s:
        assert [r.fault for r in audit.verify(s, shop_id=world.shop.shop_id)] == [None]


def test_bad_filters_are_told_not_failed(world: World, client: TestClient) -> None:
    for query, field in (
        ("since=yesterday", "since"),
        ("until=0.5", "until"),  # a number is no time, though pydantic would read one
        ("since=1733560000", "since"),
        ("account_id=0", "account_id"),
        ("subject_id=abc", "subject_id"),
        ("kind=" + "k" * 61, "kind"),
        ("limit=201", "limit"),
    ):
        response = client.get(f"/api/v1/audit?{query}", headers=auth(world.operator))
        assert response.status_code == 422, query
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in response.text, query
    participant = world.person("p")[1]
    refused = client.get("/api/v1/audit", headers=auth(participant))
    assert refused.status_code == 403


def test_campaign_changes_are_logged_with_who_made_them(world: World, client: TestClient) -> None:
    campaign_id, _ = world.campaign("bargain", BARGAIN_RULES)
    for act in ("pause", "resume"):
        done = client.post(f"/api/v1/campaigns/{campaign_id}/{act}", headers=auth(world.operator))
        assert done.status_code == 200, done.text
    renamed = client.patch(
        f"/api/v1/campaigns/{campaign_id}", json={"name": "Renamed"}, headers=auth(world.operator)
    )
    assert renamed.status_code == 200, renamed.text
    refused = client.post(f"/api/v1/campaigns/{campaign_id}/resume", headers=auth(world.operator))
    assert refused.status_code == 409  # a refused change is no change: nothing logged
    entries = _log(client, world, "kind=campaign")
    assert [(e["action"], e["subject_id"], e["details"]) for e in reversed(entries)] == [
        ("campaign.paused", campaign_id, {"status": "paused"}),
        ("campaign.resumed", campaign_id, {"status": "live"}),
        ("campaign.updated", campaign_id, {"fields": ["name"], "version": 2}),
    ]
    assert {e["actor"] for e in entries} == {entries[0]["actor"]}
    assert entries[0]["actor"].startswith("operator:")
