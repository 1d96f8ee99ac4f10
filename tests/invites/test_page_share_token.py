"""invites.service.page_share_token: the starter's share link per channel for a page that
sets it on every view — reused while at least half its life is left, else issued anew;
never a revoked link or one under a retired key; the same refusals as issuing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from huzhu.assists.models import Instance
from huzhu.enforcement import service as enforcement
from huzhu.enforcement.errors import InviteRestricted
from huzhu.errors import HuzhuError
from huzhu.invites import service
from huzhu.invites.errors import InstanceNotOpen, NotYourInstance
from huzhu.invites.models import ShareLink
from huzhu.kit import clock
from tests.assists.conftest import World
from tests.invites.conftest import make_world, start

TTL = 3600


def _token(world: World, who: str, instance_id: int, channel: str = "friend") -> str:
    account_id, _ = world.person(who)
    with world.db.unit_of_work() as s:
        return service.page_share_token(
            s,
            world.settings,
            shop_id=world.shop.shop_id,
            account_id=account_id,
            instance_id=instance_id,
            channel=channel,
        )


def _links(world: World, instance_id: int) -> int:
    with world.db.unit_of_work() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(ShareLink)
                .where(ShareLink.instance_id == instance_id)
            )
            or 0
        )


@pytest.fixture
def short_links(db_url: str) -> Iterator[World]:
    world = make_world(db_url, invites={"link_ttl_seconds": TTL})
    try:
        yield world
    finally:
        world.db.dispose()


def test_a_live_link_is_reused_per_channel_until_half_its_life_is_gone(short_links: World) -> None:
    world = short_links
    instance_id = start(world, "alice")
    friend = _token(world, "alice", instance_id)
    assert _token(world, "alice", instance_id) == friend
    timeline = _token(world, "alice", instance_id, "timeline")
    assert timeline != friend
    claims = service.verify_share_token(world.settings, timeline, now=clock.utcnow())
    assert claims.channel == "timeline"
    assert _links(world, instance_id) == 2
    clock.advance(TTL / 2 - 5)  # just over half left: still reused
    assert _token(world, "alice", instance_id) == friend
    clock.advance(10)  # under half left: a fresh one
    fresh = _token(world, "alice", instance_id)
    assert fresh != friend
    assert _links(world, instance_id) == 3
    # The old link still works for whoever holds it.
    service.verify_share_token(world.settings, friend, now=clock.utcnow())


def test_a_revoked_link_is_never_handed_out_again(world: World) -> None:
    instance_id = start(world, "alice")
    token = _token(world, "alice", instance_id)
    alice_id, _ = world.person("alice")
    with world.db.unit_of_work() as s:
        link = service.live_link(s, world.settings, token)
        service.revoke_share_link(
            s, shop_id=world.shop.shop_id, account_id=alice_id, link_id=link.id
        )
    assert _token(world, "alice", instance_id) != token


def test_the_same_refusals_as_issuing_apply(world: World) -> None:
    instance_id = start(world, "alice")
    with pytest.raises(NotYourInstance):
        _token(world, "bob", instance_id)
    alice_id, _ = world.person("alice")
    _token(world, "alice", instance_id)  # a live link exists: still refused below
    with world.db.unit_of_work() as s:
        for _ in range(2):  # warning, then a one-day invite restriction
            enforcement.enforce(
                s,
                account_id=alice_id,
                rung_or_kind="next",
                reason="spam invites",
                evidence={},
                actor="rule:spam_reports",
                case_id=None,
            )
    with pytest.raises(InviteRestricted):
        _token(world, "alice", instance_id)
    with pytest.raises(HuzhuError, match="group"):
        _token(world, "carol", start(world, "carol"), "group")
    ended = start(world, "dan")
    with world.db.unit_of_work() as s:
        row = s.get(Instance, ended)
        assert row is not None
        row.status = "expired"
    with pytest.raises(InstanceNotOpen):
        _token(world, "dan", ended)
