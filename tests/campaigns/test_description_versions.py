"""A campaign's description is part of its frozen version, over HTTP on SQLite and
PostgreSQL: editing it on a launched campaign makes a new version like a rule change,
and an instance — its API view and its page — keeps the words it started under (an edit
of max_helpers no longer leaves a description naming the old number beside it)."""

from __future__ import annotations

from typing import Any

from huzhu.accounts.rules import Role
from tests.campaigns.conftest import Env, bodies
from tests.factories import auth, make_participant


def _start(env: Env, campaign_id: int) -> dict[str, Any]:
    resp = env.client.post(
        f"/api/v1/campaigns/{campaign_id}/instances", headers=env.headers(Role.PARTICIPANT)
    )
    assert resp.status_code == 201, resp.text
    started: dict[str, Any] = resp.json()
    return started


def _versions(env: Env, campaign_id: int) -> list[tuple[int, str, int]]:
    resp = env.client.get(f"/api/v1/campaigns/{campaign_id}/versions", headers=env.headers())
    return [(v["version"], v["description"], v["rules"]["max_helpers"]) for v in resp.json()]


def test_an_instance_keeps_the_description_of_the_version_it_started_under(env: Env) -> None:
    body = bodies()["bargain"] | {"description": "Ask 10 friends to cut it to the floor."}
    created = env.create(body)
    assert env.act(created["id"], "launch").status_code == 200
    instance = _start(env, created["id"])
    edited = env.client.patch(
        f"/api/v1/campaigns/{created['id']}",
        json={"max_helpers": 5, "description": "Ask 5 friends to cut it to the floor."},
        headers=env.headers(),
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["version"], edited.json()["description"]) == (
        2,
        "Ask 5 friends to cut it to the floor.",
    )
    assert _versions(env, created["id"]) == [
        (1, "Ask 10 friends to cut it to the floor.", 10),
        (2, "Ask 5 friends to cut it to the floor.", 5),
    ]
    view = env.client.get(f"/api/v1/instances/{instance['id']}").json()
    assert (view["campaign_version"], view["description"]) == (
        1,
        "Ask 10 friends to cut it to the floor.",
    )
    page = env.client.get(f"/i/{instance['id']}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "Ask 10 friends to cut it to the floor." in page.text
    assert "Ask 5 friends" not in page.text
    public = env.client.get(f"/api/v1/campaigns/{created['id']}/public").json()
    assert (public["version"], public["description"]) == (
        2,
        "Ask 5 friends to cut it to the floor.",
    )
    later = _start_as_another(env, created["id"])
    assert env.client.get(f"/api/v1/instances/{later}").json()["description"] == (
        "Ask 5 friends to cut it to the floor."
    )


def _start_as_another(env: Env, campaign_id: int) -> int:
    with env.db.unit_of_work() as s:
        _, token = make_participant(
            s, env.settings, shop_id=env.shop.shop_id, name=f"bo-{campaign_id}"
        )
    resp = env.client.post(f"/api/v1/campaigns/{campaign_id}/instances", headers=auth(token))
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


def test_a_description_only_edit_of_a_live_campaign_makes_a_new_version(env: Env) -> None:
    created = env.create(bodies()["bargain"] | {"description": "First words."})
    assert env.act(created["id"], "launch").status_code == 200
    edited = env.client.patch(
        f"/api/v1/campaigns/{created['id']}",
        json={"description": "Second words."},
        headers=env.headers(),
    )
    assert edited.json()["version"] == 2
    assert edited.json()["rules"] == created["rules"]
    assert [(v, d) for v, d, _ in _versions(env, created["id"])] == [
        (1, "First words."),
        (2, "Second words."),
    ]
    # The same words again change nothing.
    again = env.client.patch(
        f"/api/v1/campaigns/{created['id']}",
        json={"description": "Second words."},
        headers=env.headers(),
    )
    assert again.json()["version"] == 2


def test_a_draft_s_description_changes_in_place(env: Env) -> None:
    created = env.create(bodies()["unlock"] | {"description": "Draft words."})
    edited = env.client.patch(
        f"/api/v1/campaigns/{created['id']}",
        json={"description": "Better draft words."},
        headers=env.headers(),
    )
    assert (edited.json()["version"], edited.json()["description"]) == (1, "Better draft words.")
    versions = env.client.get(
        f"/api/v1/campaigns/{created['id']}/versions", headers=env.headers()
    ).json()
    assert [(v["version"], v["description"]) for v in versions] == [(1, "Better draft words.")]
