"""Races over real HTTP against a running `huzhu serve`: many connections at once try
to break each limit of the assist hot path, and every acknowledged assist is checked
against the rows. SQLite with one worker; PostgreSQL with one and with two workers.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from huzhu.assists.models import Assist, Instance, InstanceSlot
from huzhu.campaigns.models import Campaign
from huzhu.config import Settings
from huzhu.db import Database
from tests.assists.conftest import BARGAIN_RULES, UNLOCK_RULES, write_instance
from tests.conftest import make_settings
from tests.factories import make_campaign, make_participant, make_shop
from tests.support.servers import LiveServer, start_server

pytestmark = pytest.mark.slow

CONNECTIONS = 64


@pytest.fixture(params=[1, 2], ids=["1worker", "2workers"])
def server(
    request: pytest.FixtureRequest, db_url: str, tmp_path: Path
) -> Iterator[tuple[LiveServer, Settings, Database]]:
    workers = int(request.param)
    if workers > 1 and db_url.startswith("sqlite"):
        pytest.skip("SQLite is served by one worker")
    server = start_server(db_url=db_url, workers=workers, log_dir=tmp_path)
    settings = make_settings(db_url)
    db = Database(settings.db)
    try:
        yield server, settings, db
    finally:
        server.stop()
        db.dispose()


async def _post_all(url: str, requests: list[tuple[str, str, dict[str, str]]]) -> list[Any]:
    """Send every (path, token, extra headers) at once over up to CONNECTIONS sockets."""
    # No connection is reused: on a loaded machine a kept-alive socket can sit idle past
    # the server's keep-alive timeout (5 s) and be closed just as the next request goes
    # out on it — a ReadError that says nothing about the engine (seen in full runs).
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        return await asyncio.gather(
            *(
                client.post(path, headers={"Authorization": f"Bearer {token}", **extra})
                for path, token, extra in requests
            )
        )


def _people(db: Database, settings: Settings, shop_id: int, prefix: str, n: int) -> list[Any]:
    with db.unit_of_work() as s:
        return [
            make_participant(s, settings, shop_id=shop_id, name=f"{prefix}{i}") for i in range(n)
        ]


def _codes(responses: list[Any]) -> Counter[Any]:
    return Counter(
        r.status_code if r.status_code < 300 else (r.status_code, r.json()["code"])
        for r in responses
    )


def _assert_progress_is_the_counted_assists(db: Database, instance_id: int) -> Instance:
    with db.unit_of_work() as s:
        instance = s.get(Instance, instance_id)
        assert instance is not None
        claimed = s.scalar(
            select(func.coalesce(func.sum(InstanceSlot.value), 0)).where(
                InstanceSlot.instance_id == instance_id, InstanceSlot.assist_id.is_not(None)
            )
        )
        counted = s.execute(
            select(func.count(), func.coalesce(func.sum(Assist.value), 0)).where(
                Assist.instance_id == instance_id, Assist.status == "counted"
            )
        ).one()
        assert instance.progress_value == claimed == counted[1]
        assert instance.slots_used == counted[0] <= instance.slots_total
        return instance


def _race_many_helpers_on_one_bargain(server: LiveServer, settings: Settings, db: Database) -> None:
    """220 helpers at once on a bargain with max_helpers=50: exactly 50 counted."""
    with db.unit_of_work() as s:
        shop_id = make_shop(s)
        campaign = make_campaign(s, shop_id=shop_id, kind="bargain", rules=BARGAIN_RULES)
        initiator, _ = make_participant(s, settings, shop_id=shop_id, name="initiator")
        cuts = [100 + i for i in range(50)]
        instance_id = write_instance(
            s,
            shop_id=shop_id,
            campaign=campaign,
            kind="bargain",
            initiator_id=initiator,
            slots=cuts,
        )
    helpers = _people(db, settings, shop_id, "h", 220)
    path = f"/api/v1/instances/{instance_id}/assists"
    responses = asyncio.run(_post_all(server.url, [(path, t, {}) for _, t in helpers]))
    codes = _codes(responses)
    assert codes == {201: 50, (409, "instance_full"): 170}, codes
    instance = _assert_progress_is_the_counted_assists(db, instance_id)
    assert instance.progress_value == instance.target_value == sum(cuts)
    assert instance.status == "succeeded"
    acknowledged = {r.json()["assist_id"] for r in responses if r.status_code == 201}
    with db.unit_of_work() as s:
        stored = set(s.scalars(select(Assist.id).where(Assist.instance_id == instance_id)))
    assert acknowledged == stored


def _race_one_helper_twenty_times(server: LiveServer, settings: Settings, db: Database) -> None:
    """The same helper sends 20 at once (half with one Idempotency-Key): counted once."""
    with db.unit_of_work() as s:
        shop_id = make_shop(s)
        campaign = make_campaign(s, shop_id=shop_id, kind="bargain", rules=BARGAIN_RULES)
        initiator, _ = make_participant(s, settings, shop_id=shop_id, name="initiator")
        instance_id = write_instance(
            s,
            shop_id=shop_id,
            campaign=campaign,
            kind="bargain",
            initiator_id=initiator,
            slots=[500] * 10,
        )
        _, token = make_participant(s, settings, shop_id=shop_id, name="eager")
    path = f"/api/v1/instances/{instance_id}/assists"
    requests = [(path, token, {"Idempotency-Key": "same"} if i % 2 else {}) for i in range(20)]
    responses = asyncio.run(_post_all(server.url, requests))
    assert all(r.status_code in (201, 409) for r in responses), _codes(responses)
    ids = {r.json()["assist_id"] for r in responses if r.status_code == 201}
    assert len(ids) == 1
    instance = _assert_progress_is_the_counted_assists(db, instance_id)
    assert instance.slots_used == 1


def _race_past_the_daily_cap(server: LiveServer, settings: Settings, db: Database) -> None:
    """One helper on 12 instances of one campaign at once, cap 3: exactly 3 counted."""
    cap = 3
    with db.unit_of_work() as s:
        shop_id = make_shop(s)
        campaign = make_campaign(
            s,
            shop_id=shop_id,
            kind="bargain",
            rules=BARGAIN_RULES | {"daily_assists_per_helper": cap},
        )
    initiators = _people(db, settings, shop_id, "i", 12)
    with db.unit_of_work() as s:
        instance_ids = [
            write_instance(
                s,
                shop_id=shop_id,
                campaign=campaign,
                kind="bargain",
                initiator_id=account,
                slots=[100] * 5,
            )
            for account, _ in initiators
        ]
        _, token = make_participant(s, settings, shop_id=shop_id, name="busy")
    requests = [(f"/api/v1/instances/{i}/assists", token, {}) for i in instance_ids]
    codes = _codes(asyncio.run(_post_all(server.url, requests)))
    assert codes == {201: cap, (429, "daily_assist_limit"): len(instance_ids) - cap}, codes
    with db.unit_of_work() as s:
        assert (
            s.scalar(
                select(func.count()).select_from(Assist).where(Assist.campaign_id == campaign[0])
            )
            == cap
        )


def _race_starts_for_the_last_budget(server: LiveServer, settings: Settings, db: Database) -> None:
    """100 participants start unlock instances at once; the budget covers 10."""
    with db.unit_of_work() as s:
        shop_id = make_shop(s)
        campaign = make_campaign(
            s, shop_id=shop_id, kind="unlock", rules=UNLOCK_RULES, budget_cents=10 * 500
        )
    people = _people(db, settings, shop_id, "p", 100)
    path = f"/api/v1/campaigns/{campaign[0]}/instances"
    codes = _codes(asyncio.run(_post_all(server.url, [(path, t, {}) for _, t in people])))
    assert codes == {201: 10, (409, "budget_exhausted"): 90}, codes
    with db.unit_of_work() as s:
        row = s.get(Campaign, campaign[0])
        assert row is not None
        assert row.budget_reserved_cents == 10 * 500 <= row.budget_cents
        started = select(func.count()).where(Instance.campaign_id == campaign[0])
        assert s.scalar(started) == 10


def test_concurrent_requests_never_exceed_a_limit_nor_lose_an_acknowledged_one(
    server: tuple[LiveServer, Settings, Database],
) -> None:
    live, settings, db = server
    _race_many_helpers_on_one_bargain(live, settings, db)
    _race_one_helper_twenty_times(live, settings, db)
    _race_past_the_daily_cap(live, settings, db)
    _race_starts_for_the_last_budget(live, settings, db)
