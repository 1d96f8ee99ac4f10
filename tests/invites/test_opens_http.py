"""Share opens over real HTTP against a running server, many at once: each answered open
is recorded exactly once with its outbox event, and the per-network ceiling holds to
the unit under concurrency (the open's unit of work runs in one thread call, so these
are the races that would show a lost or doubled open)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from huzhu.accounts.rules import Role
from huzhu.accounts.service import issue_participant_token
from huzhu.db import Database
from huzhu.invites.models import ShareOpen
from huzhu.notify.models import Event
from tests.assists.conftest import UNLOCK_RULES, write_instance
from tests.conftest import make_settings
from tests.factories import (
    auth,
    make_campaign,
    make_participant,
    make_shop,
    make_shop_with_roles,
)
from tests.support.servers import LiveServer, start_server

CEILING = 40
OPENS = 64


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    live = start_server(
        db_url=db_url,
        log_dir=tmp_path,
        extra_env={"HUZHU_INVITES__OPENS_PER_NETWORK": f"{CEILING}/minute"},
    )
    try:
        yield live
    finally:
        live.stop()


def _links(server: LiveServer, db: Database, db_url: str, count: int) -> list[str]:
    """`count` share links of one active instance, issued through the API."""
    settings = make_settings(db_url)
    with db.unit_of_work() as s:
        shop_id = make_shop(s)
        campaign = make_campaign(s, shop_id=shop_id, kind="unlock", rules=UNLOCK_RULES)
        starter, _ = make_participant(s, settings, shop_id=shop_id, name="starter")
        instance_id = write_instance(
            s, shop_id=shop_id, campaign=campaign, kind="unlock", initiator_id=starter,
            slots=[1] * 8,
        )  # fmt: skip
    token = issue_participant_token(settings, shop_id=shop_id, account_id=starter)[0]
    with server.client() as client:
        issued = [
            client.post(
                f"/api/v1/instances/{instance_id}/share-links",
                headers=auth(token),
                json={"channel": channel},
            )
            for channel in ("friend", "timeline", "qr")[:count]
        ]
    assert [r.status_code for r in issued] == [201] * count, [r.text for r in issued]
    return [str(r.json()["token"]) for r in issued]


def test_concurrent_opens_are_each_recorded_once_and_the_network_ceiling_holds(
    server: LiveServer, db_url: str
) -> None:
    db = Database(make_settings(db_url).db)
    try:
        links = _links(server, db, db_url, 3)

        def open_one(i: int) -> httpx.Response:
            with server.client() as client:
                return client.post(
                    f"/api/v1/shares/{links[i % len(links)]}/open",
                    headers={"User-Agent": f"phone-{i % 5}"},
                )

        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(open_one, range(OPENS)))
        statuses = Counter(r.status_code for r in answers)
        # Every request comes from 127.0.0.1: one network, CEILING opens a minute.
        assert statuses == {201: CEILING, 429: OPENS - CEILING}, statuses
        refused = [r for r in answers if r.status_code == 429]
        assert {r.json()["code"] for r in refused} == {"too_many_opens"}
        answered = [r.json() for r in answers if r.status_code == 201]
        open_ids = [a["open_id"] for a in answered]
        assert len(set(open_ids)) == CEILING
        assert all(a["instance"]["status"] == "active" for a in answered)

        with db.unit_of_work() as s:
            rows = s.execute(select(ShareOpen.id, ShareOpen.share_link_id)).all()
            events = list(s.scalars(select(Event.payload).where(Event.type == "share.opened")))
        assert sorted(r.id for r in rows) == sorted(open_ids)
        by_link = {a["open_id"]: a["link_id"] for a in answered}
        assert all(by_link[r.id] == r.share_link_id for r in rows)
        assert sorted(e["open_id"] for e in events) == sorted(open_ids)
    finally:
        db.dispose()


CROWD = 120


async def _crowd(url: str, opens: list[str], integrator: str, shop: str) -> Counter[str]:
    limits = httpx.Limits(max_connections=2 * CROWD, max_keepalive_connections=2 * CROWD)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
        sent = [
            client.post(f"/api/v1/shares/{opens[i % len(opens)]}/open") for i in range(CROWD)
        ] + [
            client.post(
                "/api/v1/participants/token",
                headers=auth(integrator),
                json={"shop": shop, "subject": f"crowd-{i}"},
            )
            for i in range(CROWD)
        ]
        answers = await asyncio.gather(*sent)
    return Counter(f"{r.request.url.path.rsplit('/', 1)[-1]} {r.status_code}" for r in answers)


@pytest.mark.slow
def test_opens_beside_a_crowd_of_ordinary_writes_on_sqlite_all_succeed(
    sqlite_url: str, tmp_path: Path
) -> None:
    """Opens run on the database's writer thread, ordinary writes in the pool behind the
    admission gate: with both crowds at once on SQLite's one write lock, neither waits
    for the other into "database is locked"."""
    settings = make_settings(sqlite_url)
    db = Database(settings.db)
    live = start_server(
        db_url=sqlite_url,
        log_dir=tmp_path,
        extra_env={"HUZHU_INVITES__OPENS_PER_NETWORK": "100000/minute"},
    )
    try:
        links = _links(live, db, sqlite_url, 2)
        shop = make_shop_with_roles(db, settings)
        codes = asyncio.run(_crowd(live.url, links, shop.tokens[Role.INTEGRATOR], shop.slug))
        assert codes == {"open 201": CROWD, "token 200": CROWD}, live.log()[-2000:]
        with db.unit_of_work() as s:
            assert len(s.scalars(select(ShareOpen.id)).all()) == CROWD
    finally:
        live.stop()
        db.dispose()
