"""Caps are exact under concurrency over real HTTP: 100 invites sent at once against a
sender cap of 10 deliver exactly 10 — on one worker (SQLite, in-process counters) and on
two workers (PostgreSQL, counters in Redis). The same for a recipient's daily max."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from huzhu.invites import service as invites
from huzhu.invites.models import Invite
from huzhu.notify.models import InboxMessage
from tests.assists.conftest import World
from tests.factories import auth, make_participant
from tests.invites.conftest import make_world, start
from tests.support import services
from tests.support.servers import LiveServer, start_server

OPEN_ALL: dict[str, Any] = {
    "accept_from": "everyone",
    "kinds": None,
    "quiet_start": "00:00",
    "quiet_end": "00:00",
    "time_zone": "UTC",
}


def _serve(db_url: str, tmp_path: Path, world: World, **env: str) -> LiveServer:
    """One worker on SQLite (memory counters); two on PostgreSQL with Redis counters."""
    extra = {"HUZHU_REDIS__KEY_PREFIX": world.settings.redis.key_prefix, **env}
    if db_url.startswith("sqlite"):
        return start_server(
            db_url=db_url, workers=1, log_dir=tmp_path, extra_env=extra, startup_seconds=120
        )
    extra["HUZHU_REDIS_URL"] = services.redis_url_or_skip()
    # Two workers on a busy shared machine take tens of seconds to start.
    return start_server(
        db_url=db_url, workers=2, log_dir=tmp_path, extra_env=extra, startup_seconds=120
    )


def _people(world: World, prefix: str, n: int, *, daily_max: int) -> list[tuple[int, str]]:
    with world.db.unit_of_work() as s:
        people = [
            make_participant(s, world.settings, shop_id=world.shop.shop_id, name=f"{prefix}{i}")
            for i in range(n)
        ]
        for account_id, _ in people:
            invites.set_preferences(s, account_id=account_id, daily_max=daily_max, **OPEN_ALL)
    return people


async def _burst(url: str, requests: list[tuple[str, str, dict[str, Any]]]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        return await asyncio.gather(
            *(client.post(path, headers=auth(token), json=body) for path, token, body in requests)
        )


def _count(world: World, model: Any) -> int:
    with world.db.unit_of_work() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_100_invites_at_once_against_a_sender_cap_of_10_deliver_exactly_10(
    db_url: str, tmp_path: Path
) -> None:
    world = make_world(db_url)
    try:
        instance_id = start(world, "alice")
        _, alice = world.person("alice")
        recipients = _people(world, "r", 100, daily_max=10)
        server = _serve(db_url, tmp_path, world, HUZHU_INVITES__SENDER_DAILY_INVITES="10")
        try:
            answers = asyncio.run(
                _burst(
                    server.url,
                    [
                        (f"/api/v1/instances/{instance_id}/invites", alice, {"recipient_id": rid})
                        for rid, _ in recipients
                    ],
                )
            )
        finally:
            server.stop()
        statuses = sorted(a.status_code for a in answers)
        assert statuses.count(201) == 10, (statuses, server.log()[-2000:])
        codes = {a.json()["code"] for a in answers if a.status_code != 201}
        assert codes == {"sender_cap"}, server.log()[-3000:]
        assert _count(world, Invite) == 10
        assert _count(world, InboxMessage) == 10
    finally:
        world.db.dispose()


def test_30_senders_at_once_reach_a_recipient_exactly_their_daily_max(
    db_url: str, tmp_path: Path
) -> None:
    world = make_world(db_url)
    try:
        ((bob_id, _),) = _people(world, "bob", 1, daily_max=5)
        senders = _people(world, "s", 30, daily_max=5)
        instances = [start(world, f"s{i}") for i in range(30)]
        server = _serve(db_url, tmp_path, world)
        try:
            answers = asyncio.run(
                _burst(
                    server.url,
                    [
                        (f"/api/v1/instances/{iid}/invites", token, {"recipient_id": bob_id})
                        for (_, token), iid in zip(senders, instances, strict=True)
                    ],
                )
            )
        finally:
            server.stop()
        assert [a.status_code for a in answers].count(201) == 5
        assert {a.json()["code"] for a in answers if a.status_code != 201} == {
            "recipient_daily_max"
        }
        assert _count(world, Invite) == 5
    finally:
        world.db.dispose()
