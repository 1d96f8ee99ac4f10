"""Where the assist's writes (repository/) run: the hot path's group commit over one
SQLite connection in the event loop or over an asyncpg pool, and counting a held assist
on the connection of the ORM unit of work that reviews it (`count_held_in`).

Group commit: assists that arrive while the loop is busy are written together (SQLite:
their statements in one transaction; PostgreSQL: one function call each in one
statement) under one COMMIT. A commit
costs far more than an assist's statements (WAL frames for every page touched; one
round trip and WAL flush on PostgreSQL), and on a hot instance every assist takes the
same row lock, so one commit per batch is what lets the hot path keep up. Nothing is
answered before its batch commits, so an acknowledged assist is never lost; a refusal
writes nothing (every refusal is decided before the first write), so one helper's
refusal never undoes another's assist.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.orm import Session

from huzhu.assists.errors import HotPathBusy
from huzhu.assists.hotpath.repository import acts, postgres, sqlite
from huzhu.db import use_wal
from huzhu.kit.batching import settle

BUSY_WAIT_SECONDS = 10.0
SQLITE_OPEN_TIMEOUT = 30.0
MAX_BATCH = 128
CHECKPOINT_SECONDS = 0.5
PG_MAX_INFLIGHT = 4
PG_DEADLOCK_RETRIES = 3

Result = acts.GiveOutcome | BaseException
RunBatch = Callable[[list[acts.GiveParams]], Awaitable[list[Result]]]


class AssistStore(Protocol):
    async def facts(self, instance_id: int) -> acts.FactsRow | None: ...

    async def give(self, params: acts.GiveParams) -> acts.GiveOutcome: ...

    async def close(self) -> None: ...


class GroupCommit:
    """Collects submissions made in the same turn of the loop into one batch, with at
    most `max_inflight` batches running at once."""

    def __init__(self, run_batch: RunBatch, *, max_inflight: int) -> None:
        self._run_batch = run_batch
        self._max_inflight = max_inflight
        self._pending: list[tuple[acts.GiveParams, asyncio.Future[acts.GiveOutcome]]] = []
        self._inflight = 0
        self._kick_scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, params: acts.GiveParams) -> acts.GiveOutcome:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[acts.GiveOutcome] = loop.create_future()
        self._pending.append((params, future))
        if not self._kick_scheduled and self._inflight < self._max_inflight:
            # call_soon: the other requests parsed in this turn join the batch first.
            self._kick_scheduled = True
            loop.call_soon(self._kick)
        return await future

    def _kick(self) -> None:
        self._kick_scheduled = False
        while self._pending and self._inflight < self._max_inflight:
            batch = self._pending[:MAX_BATCH]
            del self._pending[:MAX_BATCH]
            self._inflight += 1
            task = asyncio.get_running_loop().create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(
        self, batch: list[tuple[acts.GiveParams, asyncio.Future[acts.GiveOutcome]]]
    ) -> None:
        try:
            await settle([f for _, f in batch], self._run_batch([p for p, _ in batch]))
        finally:
            self._inflight -= 1
            if self._pending:
                self._kick()


class Checkpointer:
    """Copies the WAL back into the database file from a thread of its own, every
    CHECKPOINT_SECONDS, without waiting for anyone (PASSIVE): SQLite releases the GIL
    while it copies, so the event loop keeps serving. The ORM's connections keep
    SQLite's automatic checkpoints; they commit from threads, not from the loop."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="huzhu-wal-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, timeout=SQLITE_OPEN_TIMEOUT)
        try:
            while not self._stop.wait(CHECKPOINT_SECONDS):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error:  # busy or locked this time: the next round copies it
                    continue
        finally:
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


class SqliteAssistStore:
    """One connection per process, used only from the event loop. A batch runs from
    BEGIN to COMMIT without an await, so nothing else touches the connection meanwhile.

    `BEGIN IMMEDIATE` is tried without a busy timeout and retried after a short sleep:
    blocking the loop in SQLite's busy handler could wait on an ORM unit of work (in
    the thread pool, or the job runner) whose own commit needs the loop to proceed."""

    def __init__(
        self, path: str, *, wait_seconds: float = BUSY_WAIT_SECONDS, retry_after: int = 1
    ) -> None:
        self.wait_seconds = wait_seconds  # then HotPathBusy (503), nothing written
        self.retry_after = retry_after
        # A normal busy timeout while opening (switching to WAL may wait for a writer).
        self.conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=SQLITE_OPEN_TIMEOUT
        )
        use_wal(self.conn)
        for pragma in (
            "PRAGMA synchronous=NORMAL",
            # The transaction itself reads the instance and the helper's account before
            # writing under the same write lock, so per-row foreign-key probes would
            # only repeat those reads (the ORM connections keep them on).
            "PRAGMA foreign_keys=OFF",
            "PRAGMA cache_size=-65536",
            "PRAGMA mmap_size=268435456",
            # Checkpoints are the Checkpointer thread's: run by this connection's COMMIT
            # they would stop the event loop for milliseconds every few batches.
            "PRAGMA wal_autocheckpoint=0",
            # Last: the pragmas above may wait for a lock (a server starting beside a
            # writer); from here on the loop never waits in SQLite's busy handler.
            "PRAGMA busy_timeout=0",
        ):
            self.conn.execute(pragma)
        self.group = GroupCommit(self._run_batch, max_inflight=1)
        self.checkpointer = Checkpointer(path)

    async def facts(self, instance_id: int) -> acts.FactsRow | None:
        row = self.conn.execute(sqlite.FACTS, (instance_id,)).fetchone()
        return acts.facts_row(row) if row is not None else None

    async def give(self, params: acts.GiveParams) -> acts.GiveOutcome:
        return await self.group.submit(params)

    async def _run_batch(self, batch: list[acts.GiveParams]) -> list[Result]:
        """The whole batch in one transaction, without a savepoint per assist: every
        refusal is decided before its first write, so only an error in the middle of an
        assist's writes could leave part of it behind. Then the batch is rolled back
        whole and each assist runs again alone, so the failure stays its own."""
        await self._begin_immediate()
        try:
            results: list[Result] = [sqlite.give(self.conn, params) for params in batch]
            self.conn.execute("COMMIT")
            return results
        except BaseException as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if len(batch) == 1 or not isinstance(exc, Exception):
                raise
        return [await self._run_alone(params) for params in batch]

    async def _run_alone(self, params: acts.GiveParams) -> Result:
        await self._begin_immediate()
        try:
            outcome = sqlite.give(self.conn, params)
            self.conn.execute("COMMIT")
            return outcome
        except Exception as exc:  # this assist fails alone; nothing of it is kept
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            return exc

    async def _begin_immediate(self) -> None:
        pause = 0.0005
        deadline = time.monotonic() + self.wait_seconds
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() > deadline:
                    raise HotPathBusy(retry_after=self.retry_after) from exc
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.01)

    async def close(self) -> None:
        self.checkpointer.stop()
        self.conn.close()


async def _keep_session(conn: Any) -> None:
    """What the pool runs on a connection coming back, after asyncpg has rolled back any
    open transaction: nothing more. asyncpg's default reset is a round trip of four
    statements (unlock advisory locks, close cursors, unlisten, reset settings) after
    every batch, holding the batch's slot meanwhile; this pool's connections only ever run
    single statements (and a transaction-scoped advisory lock at startup), so they never
    carry any of that."""


class PostgresAssistStore:
    """An asyncpg pool; a batch is one statement (the function called once per row of an
    unnest), so one round trip and one commit whatever its size."""

    def __init__(self, pool: Any, *, wait_seconds: float, retry_after: int) -> None:
        self.pool = pool
        self.wait_seconds = wait_seconds
        self.retry_after = retry_after
        self.group = GroupCommit(self._run_batch, max_inflight=PG_MAX_INFLIGHT)

    @classmethod
    async def open(
        cls, dsn: str, *, size: int, wait_seconds: float = 10.0, retry_after: int = 1
    ) -> PostgresAssistStore:
        """`wait_seconds`: the longest a read or a batch waits for a connection before
        it is refused `HotPathBusy` (503), nothing written."""
        import asyncpg

        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=size, reset=_keep_session)
        installed = await pool.fetchval(
            "SELECT 1 FROM pg_proc WHERE proname = $1", postgres.GIVE_FUNCTION
        )
        if not installed:
            await pool.close()
            raise RuntimeError(
                f"the database lacks {postgres.GIVE_FUNCTION}: run `huzhu migrate` first"
            )
        return cls(pool, wait_seconds=wait_seconds, retry_after=retry_after)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Any]:
        """A connection of the pool within the wait; `HotPathBusy` when none comes (the
        pool busy, the server refusing or gone) or the one taken is lost: the
        transaction of a lost connection is rolled back by the server."""
        import asyncpg

        try:
            connection = await self.pool.acquire(timeout=self.wait_seconds)
        except Exception as exc:  # no connection: whatever the reason, nothing ran
            raise HotPathBusy(retry_after=self.retry_after) from exc
        try:
            yield connection
        except (
            asyncpg.PostgresConnectionError,
            asyncpg.InterfaceError,
            asyncpg.exceptions.OperatorInterventionError,
            asyncpg.exceptions.InsufficientResourcesError,
            OSError,
        ) as exc:
            raise HotPathBusy(retry_after=self.retry_after) from exc
        finally:
            await self.pool.release(connection)

    async def facts(self, instance_id: int) -> acts.FactsRow | None:
        async with self._connection() as connection:
            row = await connection.fetchrow(postgres.FACTS, instance_id)
        return acts.facts_row(row) if row is not None else None

    async def give(self, params: acts.GiveParams) -> acts.GiveOutcome:
        return await self.group.submit(params)

    async def _run_batch(self, batch: list[acts.GiveParams]) -> list[Result]:
        import asyncpg

        # Instance order: batches running at once take instance locks in the same order.
        order = sorted(range(len(batch)), key=lambda i: batch[i].instance_id)
        ordered = [batch[i] for i in order]
        for attempt in range(PG_DEADLOCK_RETRIES + 1):
            try:
                async with self._connection() as connection:
                    rows = await connection.fetch(
                        postgres.GIVE_BATCH_SQL, *postgres.batch_args(ordered)
                    )
                break
            except asyncpg.exceptions.DeadlockDetectedError:
                # Two batches met on two helpers' daily counters in opposite orders;
                # the database rolled this one back whole, so running it again is safe.
                if attempt == PG_DEADLOCK_RETRIES:
                    raise
        results: list[Result] = [acts.GiveOutcome(acts.Outcome.NOT_FOUND)] * len(batch)
        for position, row in zip(order, rows, strict=True):
            results[position] = postgres.give_outcome(row)
        return results

    async def close(self) -> None:
        await self.pool.close()


_PG_COUNT_HELD = text(postgres.COUNT_HELD_SQL)


def count_held_in(session: Session, params: acts.CountHeldParams) -> acts.GiveOutcome:
    """Count a held assist inside the session's unit of work, through the same
    definition per backend as the hot path's counted assists: on SQLite the statements on
    the session's own sqlite3 connection (its BEGIN IMMEDIATE holds the write lock), on
    PostgreSQL the count-held function. The session's loaded instance and assist are
    stale afterwards: the caller refreshes what it reads again."""
    session.flush()
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        assert isinstance(raw, sqlite3.Connection)
        return sqlite.count_held(raw, params)
    row = connection.execute(_PG_COUNT_HELD, postgres.count_held_args(params)).one()
    return postgres.count_held_outcome(row._mapping, params.assist_id)
