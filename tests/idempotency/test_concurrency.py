"""The same Idempotency-Key sent 20 times at once to a real server creates exactly one
row, and all 20 callers get the same answer — on SQLite, and on PostgreSQL with two
server worker processes racing for the key."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from huzhu.accounts import service as accounts
from huzhu.db import Database
from huzhu.notify.models import WebhookEndpoint
from tests.conftest import make_settings
from tests.factories import auth, make_shop
from tests.support.servers import LiveServer, start_server

CALLERS = 20


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    workers = 2 if db_url.startswith("postgresql") else 1
    live = start_server(db_url=db_url, workers=workers, log_dir=tmp_path)
    try:
        yield live
    finally:
        live.stop()


@pytest.mark.slow
def test_same_key_twenty_times_at_once_creates_one_row(db_url: str, server: LiveServer) -> None:
    db = Database(make_settings(db_url).db)
    with db.unit_of_work() as s:
        token, _ = accounts.create_integrator_token(s, shop_id=make_shop(s), name="erp")
    headers = {**auth(token), "Idempotency-Key": f"order-{uuid.uuid4()}"}
    body = {"url": "http://127.0.0.1:9/hook", "description": "one only"}
    barrier = threading.Barrier(CALLERS)
    responses: list[httpx.Response] = []
    lock = threading.Lock()

    def call() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            barrier.wait()
            resp = client.post("/api/v1/webhooks/endpoints", json=body, headers=headers)
        with lock:
            responses.append(resp)

    threads = [threading.Thread(target=call) for _ in range(CALLERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert len(responses) == CALLERS
    assert {r.status_code for r in responses} == {201}, server.log()
    assert len({r.json()["id"] for r in responses}) == 1
    replayed = [r for r in responses if r.headers.get("idempotent-replayed") == "true"]
    assert len(replayed) == CALLERS - 1
    # The replays are one stored answer, without the shown-once signing secret.
    assert len({r.content for r in replayed}) == 1
    assert replayed[0].json()["secret"] is None
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(WebhookEndpoint)) == 1
    db.dispose()
