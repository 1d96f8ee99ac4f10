"""Bounded waits for the database: overload is answered, never queued without end.

A request's unit of work waits for its turn in the event loop (where waiting costs no
thread) at most `HUZHU_DB__WAIT_SECONDS`, then gives up with `Overloaded` (503 with
Retry-After). The turns are fewer than the pool's connections, so a unit admitted never
waits inside a thread for a connection that units waiting for a thread hold: the
starvation that ended in "QueuePool limit reached" under a crowd. SQLite's turns are
the write lock's: a few request units at once, and the units that run whole in one call
queued for its writer thread (`run_in_turn`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor
from contextlib import asynccontextmanager
from typing import TypeVar, cast

import anyio

from huzhu.config import DatabaseSettings
from huzhu.errors import overloaded

T = TypeVar("T")


class Admission:
    """How many request units of work of one process may hold a connection at once, and
    how long one waits for its turn. One per process and event loop (the app's lifespan
    makes it)."""

    def __init__(self, settings: DatabaseSettings) -> None:
        self.wait_seconds = settings.wait_seconds
        self.retry_after = settings.retry_after_seconds
        self.permits = request_permits(settings)
        self._gate = anyio.Semaphore(self.permits)

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold one turn for the block; `Overloaded` when none came within the wait."""
        admitted = False
        with anyio.move_on_after(self.wait_seconds):  # bounds the wait, not the unit
            await self._gate.acquire()
            admitted = True
        if not admitted:
            raise overloaded(self.retry_after)
        try:
            yield
        finally:
            self._gate.release()


def request_permits(settings: DatabaseSettings) -> int:
    """Request units of work admitted at once per process. SQLite: its setting (one
    writer; the others wait in the event loop). PostgreSQL: the sync pool's connections
    less one, kept for the embedded job runner and /readyz."""
    if settings.is_sqlite:
        return settings.sqlite_concurrent_units
    sync, _hot = settings.pool_sizes
    return max(1, sync - 1)


class _Ticket:
    """A unit queued on an executor: it runs only if its caller still waits for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = "queued"

    def start(self) -> bool:
        with self._lock:
            if self._state != "queued":
                return False
            self._state = "started"
            return True

    def give_up(self) -> bool:
        with self._lock:
            if self._state != "queued":
                return False
            self._state = "abandoned"
            return True


async def run_in_turn(
    executor: Executor, work: Callable[[], T], *, wait_seconds: float, retry_after: int
) -> T:
    """`work` on `executor` if it starts within `wait_seconds`, else `Overloaded`
    without running it. Once started it runs to its end and its result is awaited:
    a unit that may have committed is never answered as shed."""
    ticket = _Ticket()

    def _run() -> tuple[bool, T | None]:
        if not ticket.start():
            return False, None
        return True, work()

    future = asyncio.get_running_loop().run_in_executor(executor, _run)
    done, _ = await asyncio.wait({future}, timeout=wait_seconds)
    if not done and ticket.give_up():
        raise overloaded(retry_after)
    ran, result = await future
    assert ran  # it started: give_up() lost the race to start()
    return cast(T, result)
