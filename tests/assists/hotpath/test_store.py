"""SQLite group commit: a batch runs without a savepoint per assist, so an error in the
middle of one assist's writes must roll the batch back and run each assist alone — the
failure stays its own, the others count, and nothing of the failed one is kept.

The failure is real: a trigger makes SQLite abort one helper's INSERT into `assist`
after that assist has already passed its checks and claimed nothing yet, while its
neighbours in the same batch have written everything."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from huzhu.assists.hotpath.repository import acts as sql
from huzhu.assists.hotpath.repository import postgres
from huzhu.assists.hotpath.store import PostgresAssistStore, SqliteAssistStore
from huzhu.assists.models import Assist, HelperDay, Instance, InstanceSlot
from huzhu.assists.rules import SuccessPlan, day_key
from huzhu.db import Database
from huzhu.kit import clock
from huzhu.notify.models import Event
from tests.assists.conftest import BARGAIN_RULES, World, _shop_with_owner, write_instance
from tests.conftest import make_settings


@pytest.fixture
def sqlite_world(sqlite_url: str) -> World:
    settings = make_settings(sqlite_url, jobs={"run_in_process": False})
    db = Database(settings.db)
    return World(settings=settings, db=db, shop=_shop_with_owner(db, settings))


def _params(
    world: World, campaign: tuple[int, int], instance_id: int, helper_id: int
) -> sql.GiveParams:
    now = clock.utcnow()
    return sql.GiveParams(
        instance_id=instance_id,
        shop_id=world.shop.shop_id,
        campaign_id=campaign[0],
        helper_id=helper_id,
        decision=sql.Decision.COUNT,
        score=0.0,
        reasons=[],
        idempotency_key=None,
        now=now,
        day=day_key(now),
        daily_cap=100,
        success=SuccessPlan(True, now + timedelta(hours=1), None, None),
    )


def _bargain_instance(world: World, slots: list[int]) -> tuple[tuple[int, int], int]:
    """A bargain campaign and one instance of it with these slot values."""
    campaign = world.campaign("bargain", BARGAIN_RULES)
    initiator, _ = world.person("initiator")
    with world.db.unit_of_work() as s:
        instance_id = write_instance(
            s,
            shop_id=world.shop.shop_id,
            campaign=campaign,
            kind="bargain",
            initiator_id=initiator,
            slots=slots,
        )
    return campaign, instance_id


def test_a_failure_inside_a_batch_is_that_assists_alone(sqlite_world: World) -> None:
    world = sqlite_world
    campaign, instance_id = _bargain_instance(world, [300, 200, 100, 50])
    helpers = [world.person(name)[0] for name in ("ann", "bob", "cat")]
    path = str(world.settings.db.sqlite_path)
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(
            "CREATE TRIGGER fail_bob BEFORE INSERT ON assist "
            f"WHEN NEW.helper_id = {helpers[1]} BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
        )

    async def run() -> list[object]:
        store = SqliteAssistStore(path)
        try:
            # Submitted in one turn of the loop: one batch.
            return await asyncio.gather(
                *(store.give(_params(world, campaign, instance_id, h)) for h in helpers),
                return_exceptions=True,
            )
        finally:
            await store.close()

    results = asyncio.run(run())
    ann, bob, cat = results
    assert isinstance(bob, sqlite3.IntegrityError), bob
    assert isinstance(ann, sql.GiveOutcome)
    assert ann.outcome == "counted"
    assert isinstance(cat, sql.GiveOutcome)
    assert cat.outcome == "counted"
    assert {ann.slot, cat.slot} == {0, 1}
    with world.db.unit_of_work() as s:
        instance = s.get(Instance, instance_id)
        assert instance is not None
        assert (instance.slots_used, instance.progress_value) == (2, 500)
        claimed = s.scalars(
            select(InstanceSlot.assist_id).where(
                InstanceSlot.instance_id == instance_id, InstanceSlot.assist_id.is_not(None)
            )
        ).all()
        assert sorted(claimed) == sorted([ann.assist_id, cat.assist_id])
        assert s.scalar(select(func.count()).select_from(Assist)) == 2
        days = {r.helper_id: r.n for r in s.execute(select(HelperDay.helper_id, HelperDay.n))}
        assert days == {helpers[0]: 1, helpers[2]: 1}  # bob's daily count was not kept
        counted = s.scalars(
            select(Event.payload).where(
                Event.subject_id == instance_id, Event.type == "assist.counted"
            )
        ).all()
        assert sorted(p["helper_id"] for p in counted) == sorted([helpers[0], helpers[2]])
    world.db.dispose()


def test_the_checkpointer_thread_copies_the_hot_connections_commits(tmp_path: Path) -> None:
    """The hot connection never checkpoints on COMMIT (that would stop the event loop);
    the checkpointer thread copies its commits into the database file within a round."""
    path = tmp_path / "wal.db"
    store = SqliteAssistStore(str(path))
    try:
        conn = store.conn
        conn.execute("CREATE TABLE filler (n INTEGER, pad TEXT)")
        for batch in range(20):  # far past SQLite's 1000-page automatic checkpoint
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT INTO filler VALUES (?, ?)",
                [(batch * 500 + i, "x" * 400) for i in range(500)],
            )
            conn.execute("COMMIT")
        wal = path.with_name(path.name + "-wal")
        assert wal.stat().st_size > 4_000_000  # every commit went to the WAL first
        # ...and its COMMITs never checkpoint (the thread may already have copied some).
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
        # A round may copy part of the WAL (one that ran while the writes went on), so
        # wait for the whole of it, not for the first growth of the file.
        deadline = time.monotonic() + 10
        while path.stat().st_size <= 4_000_000 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size > 4_000_000  # copied by the thread
    finally:
        asyncio.run(store.close())
    with closing(sqlite3.connect(path)) as check:
        assert check.execute("SELECT count(*) FROM filler").fetchone() == (10_000,)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_postgres_batch_leaves_its_connection_without_a_reset_round_trip(world: World) -> None:
    """The hot path's pool runs single statements only, so a connection coming back
    needs no reset: right after a batch, the batch statement is the last thing its
    backend ran (asyncpg's default reset would follow every batch with a round trip of
    four statements). A transaction left open is still rolled back before reuse."""
    import asyncpg

    campaign, instance_id = _bargain_instance(world, [300, 200])
    helper, _ = world.person("ann")
    dsn = world.settings.db.asyncpg_dsn

    async def run() -> tuple[sql.GiveOutcome, str, bool]:
        store = await PostgresAssistStore.open(dsn, size=1)
        other = await asyncpg.connect(dsn)
        try:
            async with store.pool.acquire() as conn:
                pid = await conn.fetchval("SELECT pg_backend_pid()")
            outcome = await store.give(_params(world, campaign, instance_id, helper))
            last = await other.fetchval("SELECT query FROM pg_stat_activity WHERE pid = $1", pid)
            async with store.pool.acquire() as conn:
                await conn.execute("BEGIN")  # left open on purpose
            async with store.pool.acquire() as conn:
                in_transaction = conn.is_in_transaction()
            return outcome, last, in_transaction
        finally:
            await other.close()
            await store.close()

    outcome, last, in_transaction = asyncio.run(run())
    assert outcome.outcome == "counted"
    assert postgres.GIVE_FUNCTION in last
    assert not in_transaction
