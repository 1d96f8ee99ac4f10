"""An invite's links are signed when its message is read, never stored: the inbox hands
the recipient working links, and once the share-link key that signed the invite's link
is retired the message stops offering that dead link, while muting the inviter and
stopping all invites keep working."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr

from huzhu.app import create_app
from huzhu.config import Settings
from tests.factories import auth
from tests.invites.conftest import make_world, start
from tests.privacy.support import invite_directly

KEYS = {"k1": SecretStr("first share-link key"), "k2": SecretStr("second share-link key")}


def _invite_params(settings: Settings, token: str) -> dict[str, Any]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        inbox = client.get("/api/v1/me/inbox", headers=auth(token))
        assert inbox.status_code == 200, inbox.text
        (message,) = (m for m in inbox.json()["items"] if m["kind"] == "invite_received")
        return dict(message["params"])


def test_a_retired_link_key_takes_the_link_out_of_the_message_not_the_opt_outs(
    sqlite_url: str,
) -> None:
    world = make_world(sqlite_url, invites={"link_keys": KEYS, "link_active_kid": "k1"})
    _, bob = world.person("bob")
    instance_id = start(world, "alice")
    with world.db.unit_of_work() as s:
        invite_directly(s, world, instance_id=instance_id, sender="alice", recipient="bob")

    live = _invite_params(world.settings, bob)
    assert set(live) == {
        "instance_id", "instance_kind", "share_link_id",
        "sender", "share_url", "mute_url", "unsubscribe_url",
    }  # fmt: skip
    assert live["sender"] == "alice"
    token = live["share_url"].rsplit("/", 1)[-1]
    with TestClient(create_app(world.settings)) as client:
        assert client.post(f"/api/v1/shares/{token}/open").status_code == 201

    rotated = world.settings.model_copy(
        update={
            "invites": world.settings.invites.model_copy(
                update={"link_active_kid": "k2", "link_retired_kids": {"k1"}}
            )
        }
    )
    after = _invite_params(rotated, bob)
    assert "share_url" not in after
    assert (after["mute_url"], after["unsubscribe_url"]) == (
        live["mute_url"],
        live["unsubscribe_url"],
    )
    with TestClient(create_app(rotated)) as client:
        muted = client.post(after["mute_url"].removeprefix(rotated.base_url.rstrip("/")))
        assert muted.status_code == 200, muted.text
    world.db.dispose()
