"""Graceful shutdown: SIGTERM lets `huzhu serve` answer the request it holds while it
refuses new connections, and lets `huzhu worker` finish the work in its hands (a job, a
webhook attempt) without taking more — what it did not take, the next worker does, once.

Every "in flight" here is made certain, never timed: the request is in the server's
hands once it has answered `100 Continue` for its body; the webhook attempt once the
receiver has it (and holds it on a gate); the job once its row says running while the
test holds the lock its work needs.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from huzhu.accounts import service as accounts
from huzhu.assists.lottery.service import DRAW_JOB
from huzhu.campaigns.models import LotteryDraw
from huzhu.db import Database
from huzhu.items.models import Item
from huzhu.jobs.models import Job
from huzhu.jobs.rules import JobStatus
from huzhu.notify import service as notify
from huzhu.notify.models import Event, WebhookDelivery
from tests.cli.crash_world import due_lottery
from tests.conftest import PostgresCopies, make_settings
from tests.factories import make_participant, make_shop
from tests.notify.receiver import Receiver, webhook_receiver
from tests.support.servers import start_server
from tests.support.services import with_database
from tests.support.workers import start_worker

BOUND_SECONDS = 120  # an upper bound on waiting for what must happen, never a measure
WORKER_ENV = {"HUZHU_WEBHOOKS__ALLOW_PRIVATE_TARGETS": "true"}


def _eventually(done: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + BOUND_SECONDS
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {BOUND_SECONDS}s")
        time.sleep(0.05)


def _read_until(conn: socket.socket, end: bytes) -> bytes:
    data = b""
    while end not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    db = Database(make_settings(db_url).db)
    yield db
    db.dispose()


def test_sigterm_answers_the_request_in_flight_and_refuses_new_connections(
    db_url: str, database: Database, tmp_path: Path
) -> None:
    with database.unit_of_work() as s:
        token, _ = accounts.create_integrator_token(s, shop_id=make_shop(s), name="it")
    body = json.dumps({"sku": "mug-1", "name": "Mug", "regular_price_cents": 1500}).encode()
    head = (
        "POST /api/v1/items HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n"
    ).encode()
    server = start_server(db_url=db_url, log_dir=tmp_path)
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=BOUND_SECONDS) as conn:
            conn.sendall(head)
            # The app has asked for the body: the request is in the server's hands.
            assert _read_until(conn, b"\r\n\r\n").startswith(b"HTTP/1.1 100"), server.log()
            server.process.terminate()
            _eventually(lambda: _refuses_connections(server.port), "new connections refused")
            conn.sendall(body)
            answer = _read_until(conn, b"}")
        assert answer.startswith(b"HTTP/1.1 201"), answer
        server.process.wait(timeout=BOUND_SECONDS)
    finally:
        server.stop()
    with database.unit_of_work() as s:
        assert s.scalar(select(func.count()).where(Item.sku == "mug-1")) == 1


@pytest.fixture
def gated_receiver() -> Iterator[Receiver]:
    with webhook_receiver() as receiver:
        receiver.gate = threading.Event()
        try:
            yield receiver
        finally:
            receiver.gate.set()


def test_sigterm_lets_the_worker_finish_its_webhook_attempt_and_stop(
    db_url: str, database: Database, tmp_path: Path, gated_receiver: Receiver
) -> None:
    settings = make_settings(db_url, webhooks={"allow_private_targets": True})
    with database.unit_of_work() as s:
        shop_id = make_shop(s)
        notify.create_endpoint(s, settings, shop_id=shop_id, url=gated_receiver.url)
        event_id = notify.record_event(
            s, shop_id=shop_id, type="test.ping", subject_type="shop", subject_id=shop_id
        ).id
    worker = start_worker(db_url=db_url, log_dir=tmp_path, extra_env=WORKER_ENV, full_cli=True)
    try:
        assert gated_receiver.arrived.wait(BOUND_SECONDS), worker.log()
        worker.process.terminate()  # while the receiver holds the attempt
        assert gated_receiver.gate is not None
        gated_receiver.gate.set()
        assert worker.process.wait(timeout=BOUND_SECONDS) == 0, worker.log()
    finally:
        worker.stop()
    with database.unit_of_work() as s:
        delivery = s.scalars(select(WebhookDelivery)).one()
        assert (delivery.event_id, delivery.status, delivery.attempts) == (
            event_id,
            "delivered",
            1,
        )
    assert len(gated_receiver.requests) == 1


@pytest.fixture
def postgres_url(postgres_copies: PostgresCopies) -> Iterator[str]:
    """PostgreSQL only: the job is held on a row lock, which SQLite does not have (its
    one write lock would stop the worker's claim before the job)."""
    name = postgres_copies.take()
    yield with_database(postgres_copies.admin, name)
    postgres_copies.give_back(name)


@pytest.mark.postgres
def test_sigterm_lets_the_worker_finish_its_job_and_leave_the_next_to_another(
    postgres_url: str, tmp_path: Path
) -> None:
    db_url = postgres_url
    settings = make_settings(db_url)
    database = Database(settings.db)
    with database.unit_of_work() as s:
        shop_id = make_shop(s)
        entrants = [make_participant(s, settings, shop_id=shop_id, name=f"e{i}")[0] for i in (1, 2)]
        first = due_lottery(s, shop_id=shop_id, entrants=entrants, minutes_ago=10)
        second = due_lottery(s, shop_id=shop_id, entrants=entrants, minutes_ago=5)

    def job_of(campaign_id: int) -> Job:
        with database.unit_of_work() as s:
            jobs = s.scalars(select(Job).where(Job.kind == DRAW_JOB)).all()
            return next(j for j in jobs if j.payload["campaign_id"] == campaign_id)

    with database.engine.connect() as holder:
        # The first draw books its prizes on its campaign's row: hold that row.
        holder.execute(text("SELECT id FROM campaign WHERE id = :id FOR UPDATE"), {"id": first})
        worker = start_worker(db_url=db_url, log_dir=tmp_path, extra_env=WORKER_ENV, full_cli=True)
        try:
            _eventually(lambda: job_of(first).status == JobStatus.RUNNING, "the draw claimed")
            worker.process.terminate()
            holder.rollback()  # the draw may go on
            assert worker.process.wait(timeout=BOUND_SECONDS) == 0, worker.log()
        finally:
            worker.stop()
    done, waiting = job_of(first), job_of(second)
    assert (done.status, done.attempts) == (JobStatus.DONE, 1)
    assert (waiting.status, waiting.attempts) == (JobStatus.PENDING, 0), worker.log()

    successor = start_worker(db_url=db_url, log_dir=tmp_path, extra_env=WORKER_ENV, full_cli=True)
    try:
        _eventually(lambda: job_of(second).status == JobStatus.DONE, "the next worker drew it")
    finally:
        assert successor.stop() == 0, successor.log()
    with database.unit_of_work() as s:
        assert (job_of(second).attempts, len(s.scalars(select(LotteryDraw)).all())) == (1, 2)
        drawn = s.scalars(select(Event.subject_id).where(Event.type == "lottery.drawn")).all()
        assert sorted(drawn) == sorted([first, second])
    database.dispose()
