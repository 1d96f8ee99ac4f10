"""The job runner and the outbox through a stall of the database, made for real: on
PostgreSQL the pool's only connection held by someone else, or the database refusing
every connection (briefly down); on SQLite the write lock held by another connection.
While it lasts the runner's polls fail and are logged, nothing is marked failed and no
attempt is spent; once it ends the next polls run every job exactly once and deliver
every outbox event."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

import huzhu.notify.tasks  # noqa: F401  (registers the periodic dispatch and delivery)
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.errors import is_overload
from huzhu.jobs.models import Job
from huzhu.jobs.registry import handler
from huzhu.jobs.runner import JobRunner
from huzhu.jobs.service import enqueue
from huzhu.kit import clock
from huzhu.notify import service
from tests.conftest import make_settings
from tests.factories import make_shop
from tests.notify.receiver import webhook_receiver
from tests.support import stalls

JOBS = 6
# The database each handler of test.stalls_once reaches into (set by the test).
_databases: dict[str, Database] = {}
_stalled_once: set[str] = set()


@handler("test.stall_effect")
def _effect(session: Session, settings: Settings, payload: dict[str, Any]) -> None:
    session.execute(
        text("INSERT INTO test_stall_effect (job_key) VALUES (:k)"), {"k": payload["k"]}
    )


@handler("test.stalls_once")
def _stalls_once(session: Session, settings: Settings, payload: dict[str, Any]) -> None:
    """Writes its effect, then (the first time) needs a second unit of work while its own
    holds the pool's only connection (PostgreSQL) or the write lock (SQLite): the wait
    for it runs out as it would under a crowd."""
    session.execute(
        text("INSERT INTO test_stall_effect (job_key) VALUES (:k)"), {"k": payload["k"]}
    )
    if payload["k"] not in _stalled_once:
        _stalled_once.add(payload["k"])
        with _databases["db"].unit_of_work() as other:
            other.execute(text("INSERT INTO test_stall_effect (job_key) VALUES ('never')"))


def _settings(db_url: str) -> Settings:
    # One connection and a short wait, so a stall is reached at once; the waits are
    # settings, and nothing below depends on how long anything takes.
    return make_settings(db_url, db={"pool_size": 1, "wait_seconds": 0.2, "retry_after_seconds": 1})


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    db = Database(_settings(db_url).db)
    with db.unit_of_work() as s:
        s.execute(text("CREATE TABLE test_stall_effect (job_key VARCHAR(50) NOT NULL)"))
    _databases["db"] = db
    _stalled_once.clear()
    yield db
    _databases.clear()
    db.dispose()


def _effects(db: Database) -> list[str]:
    with db.unit_of_work() as s:
        return sorted(r[0] for r in s.execute(text("SELECT job_key FROM test_stall_effect")))


def _jobs(db: Database) -> list[tuple[str, int, str | None]]:
    with db.unit_of_work() as s:
        return [
            (job.status, job.attempts, job.last_error)
            for job in s.scalars(select(Job).order_by(Job.id))
        ]


@contextmanager
def _pool_taken(db: Database) -> Iterator[None]:
    with db.engine.connect() as held:
        held.exec_driver_sql("SELECT 1")
        yield


def _busy(database: Database) -> AbstractContextManager[None]:
    if database.settings.is_sqlite:
        return stalls.write_lock_taken(database.settings.sqlite_path)
    return _pool_taken(database)


def _catch_up_after(db_url: str, database: Database, stall: AbstractContextManager[None]) -> None:
    settings = _settings(db_url)
    runner = JobRunner(database, settings)
    with webhook_receiver() as receiver:
        with database.unit_of_work() as s:
            shop_id = make_shop(s)
            service.create_endpoint(s, settings, shop_id=shop_id, url=receiver.url)
            for i in range(JOBS):
                enqueue(s, kind="test.stall_effect", payload={"k": f"j{i}"}, max_attempts=1)
            events = [
                service.record_event(
                    s, shop_id=shop_id, type="assist.counted", subject_type="instance", subject_id=i
                ).id
                for i in range(JOBS)
            ]
        with stall:
            runner.run_periodic()  # dispatch and delivery fail, logged; the loop goes on
            with pytest.raises(Exception) as stalled:  # noqa: PT011 (any stall error)
                runner.run_due()
            assert is_overload(stalled.value), repr(stalled.value)
        assert receiver.requests == []
        runner.tick()  # the database is back: the next polls catch up
        runner.tick()
        delivered = sorted(int(r.headers["Huzhu-Event-Id"]) for r in receiver.requests)
    assert delivered == sorted(events)
    assert _jobs(database) == [("done", 1, None)] * JOBS
    assert _effects(database) == sorted(f"j{i}" for i in range(JOBS))


def test_the_runner_and_the_outbox_catch_up_after_the_pool_or_lock_was_taken(
    db_url: str, database: Database
) -> None:
    _catch_up_after(db_url, database, _busy(database))


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_runner_and_the_outbox_catch_up_after_postgresql_was_down(
    db_url: str, database: Database
) -> None:
    _catch_up_after(db_url, database, stalls.database_down(db_url))


def test_a_job_the_database_stalls_under_is_put_back_without_spending_an_attempt(
    db_url: str, database: Database
) -> None:
    # Put back for an hour: the app clock runs with real time, so with a pause of a
    # second a loaded machine could let it pass between two lines and make the job due
    # early. Only the clock moved on purpose below makes it due.
    settings = _settings(db_url).model_copy(deep=True)
    settings.db.retry_after_seconds = 3600
    runner = JobRunner(database, settings)
    with database.unit_of_work() as s:
        enqueue(s, kind="test.stalls_once", payload={"k": "once"}, max_attempts=1)
    assert runner.run_one()
    # Its unit rolled back whole; the job waits for the pause, its only attempt unspent.
    assert _effects(database) == []
    assert _jobs(database) == [("pending", 0, None)]
    assert not runner.run_one()
    clock.advance(settings.db.retry_after_seconds)
    assert runner.run_one()
    assert _jobs(database) == [("done", 1, None)]
    assert _effects(database) == ["once"]
