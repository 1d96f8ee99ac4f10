"""A small world for the privacy tests: a live server, a shop with an analyst, and two
people who touch each other in every way the export covers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.orm import Session

from huzhu.config import Settings
from huzhu.db import Database
from huzhu.invites import direct
from huzhu.invites import service as invites
from huzhu.invites.models import Invite
from huzhu.invites.rules import AcceptFrom
from tests.assists.conftest import World
from tests.enforcement.support import UNLOCK_RULES, ReviewShop
from tests.factories import auth, confirmed, make_campaign

OPEN_ALL = {
    "accept_from": "everyone",
    "kinds": None,
    "quiet_start": "00:00",
    "quiet_end": "00:00",
    "time_zone": "UTC",
    "daily_max": 10,
}
GROUPBUY_RULES: dict[str, Any] = {
    "team_size": 3,
    "price_cents": 9_900,
    "group_price_cents": 5_900,
    "instance_ttl_seconds": 3600,
}
# Names that appear nowhere else, so finding one in a document means it leaked.
ME = "alice-4c1f9e"
OTHER = "bob-7d2a0b"
THIRD = "carol-2f8e61"  # someone I block


@dataclass
class Story:
    """What the scripted story made: ids to look for in the export."""

    my_instance: int
    other_instance: int
    team: int
    action_id: int
    unlock_campaign: int


def ok(response: httpx.Response, *codes: int) -> Any:
    assert response.status_code in (codes or (200,)), response.text
    return response.json()


def tell_story(client: httpx.Client, shop: ReviewShop) -> Story:
    """Me and the other person: each starts an activity and assists the other's (I let
    them see my name), each
    invites the other, I issue a share link, report, mute and add them as a contact, block
    a third person, choose my inbox's summary, open a team they join, lower a cap, get a
    warning and appeal it."""
    me, other = auth(shop.token(ME)), auth(shop.token(OTHER))
    with shop.db.unit_of_work() as s:
        unlock, _ = make_campaign(s, shop_id=shop.shop_id, kind="unlock", rules=UNLOCK_RULES)
        groupbuy, _ = make_campaign(s, shop_id=shop.shop_id, kind="groupbuy", rules=GROUPBUY_RULES)
    for who in (me, other):
        ok(client.put("/api/v1/me/invite-preferences", json=OPEN_ALL, headers=who))
    mine = ok(client.post(f"/api/v1/campaigns/{unlock}/instances", headers=me), 201)["id"]
    theirs = ok(client.post(f"/api/v1/campaigns/{unlock}/instances", headers=other), 201)["id"]
    ok(client.post(f"/api/v1/instances/{mine}/assists", headers=other), 201, 202)
    given = ok(client.post(f"/api/v1/instances/{theirs}/assists", headers=me), 201, 202)
    shown = {"shown": True}
    ok(client.put(f"/api/v1/assists/{given['assist_id']}/name-consent", json=shown, headers=me))
    invite_them = {"recipient_id": shop.id_of(OTHER)}
    ok(client.post(f"/api/v1/instances/{mine}/invites", json=invite_them, headers=me), 201)
    invite_me = {"recipient_id": shop.id_of(ME)}
    ok(client.post(f"/api/v1/instances/{theirs}/invites", json=invite_me, headers=other), 201)
    ok(
        client.post(
            f"/api/v1/instances/{mine}/share-links", json={"channel": "friend"}, headers=me
        ),
        201,
    )
    report = {"kind": "spam", "account_id": shop.id_of(OTHER), "text": "asks me every hour"}
    ok(client.post("/api/v1/reports", json=report, headers=me), 201)
    ok(client.put(f"/api/v1/me/mutes/{shop.id_of(OTHER)}", headers=me), 200, 204)
    ok(client.put(f"/api/v1/me/contacts/{shop.id_of(OTHER)}", headers=me), 200, 204)
    ok(client.put(f"/api/v1/me/blocks/{shop.id_of(THIRD)}", headers=me), 200, 204)
    inbox_choices = {"muted_kinds": [], "summary": "daily"}
    ok(client.put("/api/v1/me/inbox/preferences", json=inbox_choices, headers=me))
    team = ok(
        client.post(
            f"/api/v1/campaigns/{groupbuy}/teams",
            headers=confirmed(client, shop.token(ME), "open_team", groupbuy),
        ),
        201,
    )["team"]["team_id"]
    ok(
        client.post(
            f"/api/v1/teams/{team}/join",
            headers=confirmed(client, shop.token(OTHER), "join_team", team),
        ),
        201,
    )
    ok(client.put("/api/v1/me/guardrails", json={"daily_starts": 2}, headers=me))
    warning = {"account_id": shop.id_of(ME), "kind": "warning", "reason": "too many invites"}
    action = ok(
        client.post("/api/v1/enforcement/actions", json=warning, headers=auth(shop.analyst)), 201
    )
    appeal = {"text": "I only invited my sister"}
    ok(
        client.post(f"/api/v1/enforcement/actions/{action['id']}/appeal", json=appeal, headers=me),
        201,
    )
    return Story(
        my_instance=mine,
        other_instance=theirs,
        team=team,
        action_id=action["id"],
        unlock_campaign=unlock,
    )


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, leaf) for every leaf of a JSON document; keys are part of the path."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from walk(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for inner in value:
            yield from walk(inner, f"{path}[]")
    else:
        yield path, value


def subject_hash_of(db: Database, settings: Settings, account_id: int) -> str:
    from huzhu.accounts import service as accounts

    with db.unit_of_work() as s:
        account = accounts.get_account(s, account_id)
        assert account is not None
        return account.subject_hash


def invite_directly(
    s: Session, world: World, *, instance_id: int, sender: str, recipient: str
) -> Invite:
    """`sender` invites `recipient` to `instance_id` through the invite service, the
    recipient first taking invites from everyone at any hour."""
    recipient_id = world.person(recipient)[0]
    invites.set_preferences(
        s, account_id=recipient_id, accept_from=AcceptFrom.EVERYONE, kinds=None,
        quiet_start="00:00", quiet_end="00:00", time_zone="UTC", daily_max=10,
    )  # fmt: skip
    return direct.send_invite(
        s, world.settings, shop_id=world.shop.shop_id, sender_id=world.person(sender)[0],
        instance_id=instance_id, recipient_id=recipient_id,
    )  # fmt: skip
