"""Share links over HTTP on both backends: issue, open (recorded with hashed hints only),
revoke, expire, QR codes, and the per-group hourly cap."""

from __future__ import annotations

import io
from datetime import datetime

import segno
from fastapi.testclient import TestClient
from sqlalchemy import select

from huzhu.invites.models import ShareLink, ShareOpen
from huzhu.kit import clock
from huzhu.notify.models import Event
from tests.assists.conftest import World
from tests.factories import auth
from tests.invites.conftest import issue, start

UA = "Mozilla/5.0 (Linux; Android 14) MicroMessenger/8.0.49"


def _open(client: TestClient, token: str) -> object:
    return client.post(f"/api/v1/shares/{token}/open", headers={"User-Agent": UA})


def test_an_opened_link_shows_the_instance_and_records_the_open_with_hashes_only(
    world: World, client: TestClient
) -> None:
    instance_id = start(world, "alice")
    _, alice = world.person("alice")
    resp = issue(client, alice, instance_id, channel="timeline")
    assert resp.status_code == 201, resp.text
    link = resp.json()
    assert link["url"].endswith("/s/" + link["token"])
    opened = client.post(f"/api/v1/shares/{link['token']}/open", headers={"User-Agent": UA})
    assert opened.status_code == 201, opened.text
    body = opened.json()
    assert body["instance"]["id"] == instance_id
    assert body["channel"] == "timeline"
    assert body["instance"]["helpers_still_needed"] == 5
    with world.db.unit_of_work() as s:
        row = s.get(ShareOpen, body["open_id"])
        assert row is not None
        assert row.share_link_id == link["id"]
        assert row.channel == "timeline"
        # Keyed hashes (64 hex), never the raw user agent or address.
        assert row.ua_hash is not None
        assert len(row.ua_hash) == 64
        assert UA not in row.ua_hash
        assert row.ip_prefix_hash is not None
        assert len(row.ip_prefix_hash) == 64
        assert "203.0.113" not in row.ip_prefix_hash
        types = s.scalars(select(Event.type).where(Event.subject_id == link["id"])).all()
        assert {"share_link.issued", "share.opened"} <= set(types)


def test_only_the_initiator_may_issue_a_link_for_an_instance(
    world: World, client: TestClient
) -> None:
    instance_id = start(world, "alice")
    _, bob = world.person("bob")
    resp = issue(client, bob, instance_id)
    assert resp.status_code == 403
    assert resp.json()["code"] == "not_your_instance"


def test_a_revoked_link_is_refused_as_revoked(world: World, client: TestClient) -> None:
    instance_id = start(world, "alice")
    _, alice = world.person("alice")
    link = issue(client, alice, instance_id).json()
    revoked = client.post(f"/api/v1/me/share-links/{link['id']}/revoke", headers=auth(alice))
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    resp = client.post(f"/api/v1/shares/{link['token']}/open")
    assert resp.status_code == 410
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["code"] == "link_revoked"
    # Someone else cannot revoke (or even see) it.
    _, bob = world.person("bob")
    other = client.post(f"/api/v1/me/share-links/{link['id']}/revoke", headers=auth(bob))
    assert other.status_code == 404


def test_a_link_works_until_its_last_second_and_is_expired_one_second_later(
    world: World, client: TestClient
) -> None:
    instance_id = start(world, "alice")
    _, alice = world.person("alice")
    link = issue(client, alice, instance_id, ttl_seconds=600).json()
    expires = datetime.fromisoformat(link["expires_at"])
    clock.advance((expires - clock.utcnow()).total_seconds() - 1)
    assert client.post(f"/api/v1/shares/{link['token']}/open").status_code == 201
    clock.advance(2)  # one second past the expiry
    resp = client.post(f"/api/v1/shares/{link['token']}/open")
    assert resp.status_code == 410
    assert resp.json()["code"] == "link_expired"


def test_a_link_never_outlives_its_instance(world: World, client: TestClient) -> None:
    instance_id = start(world, "alice")  # the instance expires in an hour
    _, alice = world.person("alice")
    link = issue(client, alice, instance_id, ttl_seconds=7 * 24 * 3600).json()
    assert (datetime.fromisoformat(link["expires_at"]) - clock.utcnow()).total_seconds() <= 3600


def test_qr_codes_of_a_live_link_in_png_and_svg(world: World, client: TestClient) -> None:
    instance_id = start(world, "alice")
    _, alice = world.person("alice")
    link = issue(client, alice, instance_id, channel="qr").json()
    png = client.get(link["qr_png_url"].split("8000", 1)[-1])
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    svg = client.get(f"/api/v1/shares/{link['token']}/qr.svg")
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content
    client.post(f"/api/v1/me/share-links/{link['id']}/revoke", headers=auth(alice))
    assert client.get(f"/api/v1/shares/{link['token']}/qr.svg").json()["code"] == "link_revoked"


def test_links_for_one_group_are_capped_per_hour_and_other_groups_are_not(
    world: World, client: TestClient
) -> None:
    instance_id = start(world, "alice")
    _, alice = world.person("alice")
    cap = world.settings.invites.group_links_per_hour
    assert issue(client, alice, instance_id, channel="group").json()["code"] == "group_required"
    for _ in range(cap):
        ok = issue(client, alice, instance_id, channel="group", group_ref="family")
        assert ok.status_code == 201, ok.text
    over = issue(client, alice, instance_id, channel="group", group_ref="family")
    assert over.status_code == 429
    assert over.json()["code"] == "group_link_cap"
    assert int(over.headers["retry-after"]) > 0
    assert issue(client, alice, instance_id, channel="group", group_ref="work").status_code == 201
    with world.db.unit_of_work() as s:
        hashes = s.scalars(select(ShareLink.group_hash).where(ShareLink.channel == "group")).all()
        assert "family" not in hashes
        assert len(set(hashes)) == 2


def test_my_links_are_listed_newest_first(world: World, client: TestClient) -> None:
    instance_id = start(world, "alice")
    _, alice = world.person("alice")
    ids = [issue(client, alice, instance_id).json()["id"] for _ in range(3)]
    listed = client.get("/api/v1/me/share-links", headers=auth(alice)).json()["items"]
    assert [item["id"] for item in listed] == sorted(ids, reverse=True)
    assert all("token" not in item for item in listed)


def test_one_network_cannot_flood_opens(db_url: str) -> None:
    from huzhu.app import create_app
    from tests.invites.conftest import make_world

    world = make_world(db_url, invites={"opens_per_network": "3/minute"})
    try:
        instance_id = start(world, "alice")
        _, alice = world.person("alice")
        app = create_app(world.settings)
        with (
            TestClient(app, raise_server_exceptions=False, client=("198.51.100.7", 1)) as one,
            TestClient(app, raise_server_exceptions=False, client=("198.51.100.99", 1)) as same,
            TestClient(app, raise_server_exceptions=False, client=("192.0.2.1", 1)) as other,
        ):
            token = issue(one, alice, instance_id).json()["token"]
            assert [one.post(f"/api/v1/shares/{token}/open").status_code for _ in range(3)] == [
                201
            ] * 3
            flooded = same.post(f"/api/v1/shares/{token}/open")  # the same /24
            assert flooded.status_code == 429
            assert flooded.json()["code"] == "too_many_opens"
            assert int(flooded.headers["retry-after"]) > 0
            assert other.post(f"/api/v1/shares/{token}/open").status_code == 201
        with world.db.unit_of_work() as s:
            assert len(s.scalars(select(ShareOpen)).all()) == 4
    finally:
        world.db.dispose()


def test_the_bare_open_route_answers_as_the_documented_one(
    world: World, client: TestClient
) -> None:
    """Opens are served by a plain route in front of FastAPI's (app.py); with it taken
    away the documented route answers: the same status, headers and body, byte for byte
    but the open's id. A token past the documented 600 characters still gets FastAPI's
    422 (the plain route does not match it)."""
    instance_id = start(world, "alice")
    _, alice = world.person("alice")
    token = issue(client, alice, instance_id).json()["token"]
    bare = client.post(f"/api/v1/shares/{token}/open", headers={"User-Agent": UA})
    routes = client.app.router.routes  # type: ignore[attr-defined]
    (plain,) = [r for r in routes if type(r).__name__ == "_BareOpenRoute"]
    routes.remove(plain)
    try:
        documented = client.post(f"/api/v1/shares/{token}/open", headers={"User-Agent": UA})
    finally:
        routes.insert(1, plain)
    assert bare.status_code == documented.status_code == 201
    assert bare.headers["content-type"] == documented.headers["content-type"]
    first, second = bare.json()["open_id"], documented.json()["open_id"]
    assert second == first + 1
    assert bare.content.replace(b'"open_id":%d' % first, b"") == documented.content.replace(
        b'"open_id":%d' % second, b""
    )
    too_long = client.post(f"/api/v1/shares/{'a' * 601}/open")
    assert too_long.status_code == 422
    assert too_long.json()["code"] == "invalid_input"


def test_the_answers_url_is_the_link_its_qr_code_encodes(world: World, client: TestClient) -> None:
    """An integrator shares `url` as it is, and its QR code says the same link: the code
    served is the one of exactly that text (segno is deterministic for one input)."""
    instance_id = start(world, "alice")
    _, alice = world.person("alice")
    link = issue(client, alice, instance_id, channel="qr").json()
    assert link["url"].startswith(("http://", "https://"))
    served = client.get(f"/api/v1/shares/{link['token']}/qr.svg").content
    expected = io.BytesIO()
    segno.make(link["url"], error="m", micro=False).save(expected, kind="svg", scale=4, border=4)
    assert served == expected.getvalue()
    other = io.BytesIO()
    segno.make(link["url"] + "x", error="m", micro=False).save(other, kind="svg", scale=4, border=4)
    assert served != other.getvalue()
