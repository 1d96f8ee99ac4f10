"""Bounded waits for the database (db/admission.py) and what counts as overload
(errors.is_overload): a turn or a queued unit that does not come within the wait is
`Overloaded` (503 with Retry-After) and never runs; one that started runs to its end;
the connection budget of N processes never passes HUZHU_DB__MAX_CONNECTIONS."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from huzhu.config import DatabaseSettings
from huzhu.db.admission import Admission, run_in_turn
from huzhu.errors import Overloaded, is_overload

WAIT = 0.05  # a setting: the outcomes below do not depend on how long anything takes


@given(
    pool_size=st.integers(1, 200),
    max_connections=st.integers(2, 2_000),
    processes=st.integers(1, 64),
)
def test_processes_together_stay_within_max_connections(
    pool_size: int, max_connections: int, processes: int
) -> None:
    settings = DatabaseSettings(
        url="postgresql://u@h/db",
        pool_size=pool_size,
        max_connections=max_connections,
        processes=processes,
    )
    sync, hot = settings.pool_sizes
    assert sync >= 1
    assert hot >= 1
    assert sync <= pool_size
    assert hot <= pool_size
    if max_connections >= 2 * processes:  # below that, each process needs its two
        assert processes * (sync + hot) <= max_connections


def test_a_turn_not_given_within_the_wait_is_overloaded_and_the_next_one_comes() -> None:
    settings = DatabaseSettings(
        url="sqlite:///x.db", sqlite_concurrent_units=1, wait_seconds=WAIT, retry_after_seconds=7
    )

    async def scenario() -> None:
        admission = Admission(settings)
        async with admission.turn():
            with pytest.raises(Overloaded) as shed:
                async with admission.turn():
                    pytest.fail("a second turn while the only one is held")
        assert (shed.value.status, shed.value.extra["retry_after"]) == (503, 7)
        async with admission.turn():  # the held one came back
            pass

    asyncio.run(scenario())


def test_a_queued_unit_not_started_within_the_wait_never_runs() -> None:
    ran: list[str] = []
    release = threading.Event()

    async def scenario() -> None:
        with ThreadPoolExecutor(1) as writer:
            busy = asyncio.get_running_loop().run_in_executor(writer, release.wait)
            with pytest.raises(Overloaded):
                await run_in_turn(
                    writer, lambda: ran.append("late"), wait_seconds=WAIT, retry_after=1
                )
            release.set()
            await busy
            # The writer is free again: the next unit runs, and the shed one never did.
            assert await run_in_turn(writer, lambda: "next", wait_seconds=WAIT, retry_after=1)
        assert ran == []

    asyncio.run(scenario())


def test_a_unit_that_started_is_awaited_to_its_end_past_the_wait() -> None:
    started, finish = threading.Event(), threading.Event()

    def long_unit() -> str:
        started.set()
        finish.wait()
        return "committed"

    async def scenario() -> str:
        with ThreadPoolExecutor(1) as writer:
            unit = asyncio.ensure_future(
                run_in_turn(writer, long_unit, wait_seconds=WAIT, retry_after=1)
            )
            await asyncio.get_running_loop().run_in_executor(None, started.wait)
            # Let the wait run out while the unit is running, then let it finish.
            await asyncio.sleep(WAIT * 4)
            finish.set()
            return await unit

    assert asyncio.run(scenario()) == "committed"


def test_what_counts_as_overload(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"timeout": WAIT},
        pool_size=1,
        max_overflow=0,
        pool_timeout=WAIT,
    )
    with engine.connect() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.commit()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    with engine.connect() as conn, pytest.raises(OperationalError) as locked:
        conn.execute(text("INSERT INTO t VALUES (1)"))
    holder.execute("ROLLBACK")
    assert is_overload(locked.value)  # SQLite busy past its timeout
    with engine.connect() as conn:
        with pytest.raises(PoolTimeout) as no_connection, engine.connect():
            pass
        assert is_overload(no_connection.value)  # the pool's wait ran out
        with pytest.raises(OperationalError) as broken:
            conn.execute(text("SELECT * FROM no_such_table"))
        assert not is_overload(broken.value)  # a mistake, not overload: stays a 500
    engine.dispose()
    refused = create_engine("postgresql+psycopg://u@127.0.0.1:1/none")
    with pytest.raises(OperationalError) as down:
        refused.connect()
    assert is_overload(down.value)  # PostgreSQL out of reach
    assert not is_overload(ValueError("x"))
