"""The job runner: a job runs once under concurrent runners, a crashed job is picked up
again, failures back off exponentially and end as failed, errors carry no personal data."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from huzhu.config import Settings
from huzhu.db import Database
from huzhu.jobs import repository
from huzhu.jobs.models import Job
from huzhu.jobs.registry import handler, periodic
from huzhu.jobs.runner import JobRunner
from huzhu.jobs.service import enqueue
from huzhu.kit import clock

_calls: Counter[str] = Counter()


@handler("test.side_effect")
def _side_effect(session: Session, settings: Settings, payload: dict[str, Any]) -> None:
    session.execute(text("INSERT INTO test_side_effect (job_key) VALUES (:k)"), {"k": payload["k"]})
    if payload.get("slow"):
        time.sleep(0.002)  # widen the window in which a second runner could interfere


@handler("test.flaky")
def _flaky(session: Session, settings: Settings, payload: dict[str, Any]) -> None:
    _calls[payload["k"]] += 1
    session.execute(text("INSERT INTO test_side_effect (job_key) VALUES (:k)"), {"k": payload["k"]})
    if _calls[payload["k"]] <= payload["fail_times"]:
        raise ValueError(f"customer +8613800138000 unreachable ({payload['k']})")


@pytest.fixture(autouse=True)
def _fresh_calls() -> None:
    _calls.clear()


@pytest.fixture
def side_effects(database: Database) -> None:
    with database.unit_of_work() as s:
        s.execute(text("CREATE TABLE test_side_effect (job_key VARCHAR(50) NOT NULL)"))


def _effects(database: Database) -> list[str]:
    with database.unit_of_work() as s:
        return [r[0] for r in s.execute(text("SELECT job_key FROM test_side_effect"))]


def _job(database: Database, job_id: int) -> Job:
    with database.unit_of_work() as s:
        job = s.get(Job, job_id)
        assert job is not None
        return job


def _enqueue(database: Database, kind: str, **kwargs: Any) -> int:
    with database.unit_of_work() as s:
        return enqueue(s, kind=kind, **kwargs).id


def test_each_job_runs_once_with_four_concurrent_runners(
    database: Database, settings: Settings, side_effects: None
) -> None:
    with database.unit_of_work() as s:
        for i in range(120):
            enqueue(s, kind="test.side_effect", payload={"k": f"j{i}", "slow": True})
    runners = [JobRunner(database, settings, worker_id=f"w{n}") for n in range(4)]
    ran: list[int] = []
    barrier = threading.Barrier(4)

    def work(runner: JobRunner) -> None:
        barrier.wait()
        ran.append(runner.run_due(limit=1_000))

    threads = [threading.Thread(target=work, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    effects = _effects(database)
    assert sorted(effects) == sorted(f"j{i}" for i in range(120))
    assert sum(ran) == 120
    with database.unit_of_work() as s:
        jobs = list(s.scalars(select(Job)))
    assert {j.status for j in jobs} == {"done"}
    assert {j.attempts for j in jobs} == {1}


def test_job_whose_worker_died_is_claimed_again_after_its_lease(
    database: Database, settings: Settings, side_effects: None
) -> None:
    job_id = _enqueue(database, "test.side_effect", payload={"k": "crash"})
    now = clock.utcnow()
    with database.unit_of_work() as s:  # a worker claims the job, then dies
        lease_until = now + timedelta(seconds=settings.jobs.lease_seconds)
        assert repository.claim_next(s, worker="dead", now=now, lease_until=lease_until)
    survivor = JobRunner(database, settings, worker_id="survivor")
    assert survivor.run_one() is False  # the lease still holds
    clock.advance(settings.jobs.lease_seconds + 1)
    assert survivor.run_one() is True
    job = _job(database, job_id)
    assert (job.status, job.attempts, job.locked_by) == ("done", 2, "survivor")
    assert _effects(database) == ["crash"]


def test_job_under_a_live_lease_is_not_claimed(
    database: Database, settings: Settings, side_effects: None
) -> None:
    _enqueue(database, "test.side_effect", payload={"k": "busy"})
    first = JobRunner(database, settings, worker_id="first")
    now = clock.utcnow()
    with database.unit_of_work() as s:
        assert repository.claim_next(
            s, worker="first", now=now, lease_until=now.replace(year=now.year + 1)
        )
    assert JobRunner(database, settings, worker_id="second").run_one() is False
    assert first.run_one() is False
    assert _effects(database) == []


def test_failing_job_is_retried_with_exponential_backoff(
    database: Database, settings: Settings, side_effects: None
) -> None:
    job_id = _enqueue(database, "test.flaky", payload={"k": "backoff", "fail_times": 2})
    runner = JobRunner(database, settings)
    base = settings.jobs.backoff_base_seconds

    assert runner.run_one() is True
    first = _job(database, job_id)
    assert (first.status, first.attempts) == ("pending", 1)
    assert (first.run_at - clock.utcnow()).total_seconds() == pytest.approx(base, abs=0.5)
    assert runner.run_one() is False  # not due yet

    clock.advance(base + 0.1)
    assert runner.run_one() is True
    second = _job(database, job_id)
    assert (second.status, second.attempts) == ("pending", 2)
    assert (second.run_at - clock.utcnow()).total_seconds() == pytest.approx(2 * base, abs=0.5)

    clock.advance(2 * base + 0.1)
    assert runner.run_one() is True
    done = _job(database, job_id)
    assert (done.status, done.attempts, done.last_error) == ("done", 3, None)
    # The failed attempts' writes were rolled back: one side effect, from the success.
    assert _effects(database) == ["backoff"]


def test_job_is_failed_after_max_attempts_without_personal_data_in_the_error(
    database: Database, settings: Settings, side_effects: None
) -> None:
    job_id = _enqueue(
        database, "test.flaky", payload={"k": "doomed", "fail_times": 99}, max_attempts=3
    )
    runner = JobRunner(database, settings)
    for _ in range(5):
        runner.run_one()
        clock.advance(3600)
    job = _job(database, job_id)
    assert (job.status, job.attempts) == ("failed", 3)
    assert job.finished_at is not None
    assert job.last_error is not None
    assert job.last_error.startswith("ValueError at ")
    assert "8613800138000" not in job.last_error
    assert _effects(database) == []


def test_crash_on_the_last_attempt_ends_failed_without_running_again(
    database: Database, settings: Settings, side_effects: None
) -> None:
    job_id = _enqueue(database, "test.side_effect", payload={"k": "last"}, max_attempts=1)
    now = clock.utcnow()
    with database.unit_of_work() as s:
        assert repository.claim_next(s, worker="dead", now=now, lease_until=now)
    clock.advance(1)
    assert JobRunner(database, settings).run_one() is True
    job = _job(database, job_id)
    assert job.status == "failed"
    assert job.last_error is not None
    assert "lease expired" in job.last_error
    assert _effects(database) == []


def test_job_of_unknown_kind_is_retried_not_lost(database: Database, settings: Settings) -> None:
    job_id = _enqueue(database, "nobody.handles.this")
    JobRunner(database, settings).run_one()
    job = _job(database, job_id)
    assert job.status == "pending"
    assert job.last_error is not None
    assert job.last_error.startswith("UnknownJobKind")


def test_same_dedupe_key_schedules_one_job(database: Database) -> None:
    with database.unit_of_work() as s:
        a = enqueue(s, kind="test.side_effect", payload={"k": "a"}, dedupe_key="expire:1")
        b = enqueue(s, kind="test.side_effect", payload={"k": "b"}, dedupe_key="expire:1")
        assert a.id == b.id
    with database.unit_of_work() as s:  # also across transactions
        c = enqueue(s, kind="test.side_effect", payload={"k": "c"}, dedupe_key="expire:1")
        assert c.id == a.id
        assert s.scalars(select(Job)).all() == [c]


_timed: list[float] = []


@periodic("test.timed_by_the_app_clock", every_seconds=3600.0)
def _timed_task(session: Session, settings: Settings) -> None:
    _timed.append(clock.utcnow().timestamp())


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_periodic_tasks_follow_the_clock_the_runner_is_given(
    database: Database, settings: Settings
) -> None:
    """A simulation runs hours in seconds: timed by the app clock, an hourly task runs
    once per simulated hour, however little real time passes."""
    runner = JobRunner(database, settings, seconds=lambda: clock.utcnow().timestamp())
    _timed.clear()
    for _ in range(3):
        runner.run_periodic()
        runner.run_periodic()  # the same hour: not again
        clock.advance(3600)
    assert len(_timed) == 3
    assert _timed[2] - _timed[0] >= 7200
