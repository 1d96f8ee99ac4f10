"""Crash safety: `huzhu serve` and `huzhu worker` killed with SIGKILL in the middle of
concurrent assists, team joins, bargain purchases and lottery draws, then restarted.

The kill comes after a fixed number of acknowledged writes (not after a time), on both
backends. Afterwards, from the rows alone (crash_checks.py): every acknowledged write is
there exactly once, nothing unacknowledged is half-written (every instance's counters are
its assists, every order its ledger movement, every campaign's books its rows), no
budget or stock is exceeded, every due job ran to completion once, and every outbox
event reached a real local webhook receiver at least once (deduplicable by its id).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from huzhu.config import Settings
from huzhu.db import Database
from tests.cli import crash_checks as checks
from tests.cli.crash_world import STORIES, Acknowledged, CrashWorld, build_world, run_stories
from tests.conftest import make_settings
from tests.notify.receiver import Receiver, webhook_receiver
from tests.support.servers import LiveServer, start_server
from tests.support.workers import LiveWorker, start_worker

ROUNDS = 3  # of each kind of story, before the kill and again after the restart
THREADS = 8
KILL_AFTER = 25  # acknowledged writes before both processes are killed
# Jobs only in the worker, with a short lease, so a job the killed worker held is taken
# up again within the test (3 s; one worker runs at a time, so a slow job is never taken
# over). A webhook attempt it held waits out its own lease: its timeout plus 30 s.
ENV = {
    "HUZHU_JOBS__RUN_IN_PROCESS": "false",
    "HUZHU_JOBS__LEASE_SECONDS": "3",
    "HUZHU_WEBHOOKS__ALLOW_PRIVATE_TARGETS": "true",
}
SETTLE_SECONDS = 120  # an upper bound on catching up, never a measure of it


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as r:
        yield r


def _received(receiver: Receiver) -> set[int]:
    return {int(r.headers["Huzhu-Event-Id"]) for r in list(receiver.requests)}


def _start(db_url: str, log_dir: Path) -> tuple[LiveServer, LiveWorker]:
    worker = start_worker(db_url=db_url, log_dir=log_dir, extra_env=ENV)
    return start_server(db_url=db_url, log_dir=log_dir, extra_env=ENV), worker


def _wait_until(done: Callable[[], bool], *, what: str, logs: Callable[[], str]) -> None:
    deadline = time.monotonic() + SETTLE_SECONDS
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {SETTLE_SECONDS}s\n{logs()}")
        time.sleep(0.2)


def test_sigkill_mid_traffic_loses_no_acknowledged_write_and_leaves_no_half(
    db_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    settings: Settings = make_settings(db_url, webhooks={"allow_private_targets": True})
    db = Database(settings.db)
    people = 2 * ROUNDS * sum(n for _, n in STORIES)
    world: CrashWorld = build_world(db, settings, people=people, receiver_url=receiver.url)
    acked = Acknowledged()
    server, worker = _start(db_url, tmp_path)
    try:
        # Before: the stories run until the KILL_AFTER-th acknowledgement, then both
        # processes die where they stand; the stories in flight lose their answers.
        with ThreadPoolExecutor(max_workers=1) as traffic:
            before = traffic.submit(
                run_stories, world, server.url, acked, rounds=ROUNDS, threads=THREADS
            )
            assert acked.wait_for(KILL_AFTER, timeout=SETTLE_SECONDS), server.log()
            server.process.kill()
            worker.kill()
            problems = before.result()
        assert not problems, problems
        assert acked.unanswered > 0, "the kill came after the traffic: nothing was cut"
        server.stop()  # gives its port back

        # After: restarted on the same database, the service serves the next stories
        # and its worker catches up with what the killed one left.
        server, worker = _start(db_url, tmp_path)
        assert not run_stories(world, server.url, acked, rounds=ROUNDS, threads=THREADS)

        def caught_up() -> bool:
            with db.unit_of_work() as s:
                return checks.settled(s, _received(receiver))

        _wait_until(caught_up, what="catching up", logs=lambda: server.log() + worker.log())
    finally:
        server.stop()
        worker.stop()
    assert not [code for code in acked.answers if code >= 500], acked.answers
    with db.unit_of_work() as s:
        found = [
            *checks.acknowledged_writes_once(s, acked),
            *checks.instances_whole(s),
            *checks.ledger_balanced(s),
            *checks.budgets_held(s),
            *checks.jobs_done_once(s, world),
            *checks.events_delivered(s, _received(receiver)),
        ]
    db.dispose()
    assert not found, "\n".join(found)
    # The run did what it claims: writes of every kind were acknowledged, and a cap was
    # reached (the group buy's stock is smaller than the second phase's orders).
    assert acked.refused
    assert acked.starts
    assert acked.assists
    assert acked.purchases
    assert acked.team_orders
