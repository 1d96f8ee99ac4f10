"""FastAPI dependencies shared by every router: settings, the database and the unit of
work. Who is calling is the accounts domain's (accounts/deps.py: `require`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from huzhu.config import Settings
from huzhu.db import Database, LoopStep, defer_to_loop
from huzhu.db.admission import run_in_turn
from huzhu.errors import Overloaded, is_overload, overloaded


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def admit_unit_of_work(request: Request) -> AsyncIterator[None]:
    """A request unit of work's turn (db/admission.py), held from before the session
    opens until after it commits; 503 `overloaded` when none came within
    HUZHU_DB__WAIT_SECONDS.

    A sync route's unit of work hops between thread-pool threads (dependency, route,
    commit) while it holds a connection (on SQLite, the single write lock). Without
    turns a crowd of requests fills the thread pool with threads blocked on a
    connection (the lock) while the holders wait for a free thread to commit — a
    deadlock that ends in the pool's (the busy) timeout. Waiting here, in the event
    loop, costs no thread and is bounded.
    """
    async with get_database(request).admission().turn():
        yield


T = TypeVar("T")


async def in_one_unit_of_work(source: Request | Database, work: Callable[[Session], T]) -> T:
    """Run `work` in one unit of work, from its first statement to its commit in ONE
    thread call: the one way to run a unit of work outside SessionDep (page routes, the
    hot path's rare reads, review cases opened in the background, routes that must not
    hold a session across awaits). Unlike SessionDep's units, it holds SQLite's write
    lock only while its statements run, never while it waits for a thread
    (docs/architecture.md, "SQLite write lock across thread hops"). On SQLite the call
    runs on the database's own writer thread (Database.sqlite_writer), so it takes no
    pool thread and no request turn; on PostgreSQL in the pool, in a request turn.
    Either way it waits at most HUZHU_DB__WAIT_SECONDS to start (db/admission.py),
    then raises `Overloaded` (503) without having run. What the
    unit tells the inline scorer is told from the event loop once it committed.
    `source`: the request (its app's database) or the database itself."""
    db = source if isinstance(source, Database) else get_database(source)

    def _run() -> tuple[T, list[LoopStep]]:
        with db.unit_of_work() as session:
            steps = defer_to_loop(session)
            result = work(session)
        return result, steps

    writer = db.sqlite_writer()
    settings = db.settings
    try:
        if writer is None:
            async with db.admission().turn():
                result, steps = await run_in_threadpool(_run)
        else:
            result, steps = await run_in_turn(
                writer,
                _run,
                wait_seconds=settings.wait_seconds,
                retry_after=settings.retry_after_seconds,
            )
    except Exception as exc:
        # The database could not take the unit (busy past the wait, refusing, gone):
        # one HuzhuError for every caller — routes, pages, forms, the middleware.
        if isinstance(exc, Overloaded) or not is_overload(exc):
            raise
        raise overloaded(settings.retry_after_seconds) from exc
    for step in steps:
        await step()
    return result


def get_session(
    request: Request, _admitted: Annotated[None, Depends(admit_unit_of_work, scope="function")]
) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent."""
    with get_database(request).unit_of_work() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": the commit happens when the route returns, before the response goes
# out, so a client never sees 2xx for a change that then failed to commit.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
