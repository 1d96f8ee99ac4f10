"""The Idempotency-Key middleware in-process: replay byte for byte, key reuse refused,
5xx releases the key, a running first request makes a replay wait or 409, a stale
in_progress key is taken over, invalid keys are refused, expired records are purged."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from huzhu.accounts import service as accounts
from huzhu.app import create_app
from huzhu.db import Database
from huzhu.idempotency import service
from huzhu.idempotency.models import IdempotencyRecord
from huzhu.idempotency.rules import principal_of
from huzhu.idempotency.service import KeyedRequest
from huzhu.kit import clock
from huzhu.notify.models import WebhookEndpoint
from tests.conftest import make_settings
from tests.factories import auth, make_shop

URL = "/api/v1/webhooks/endpoints"
BODY = {"url": "http://127.0.0.1:9/hook"}


@dataclass
class Env:
    app: FastAPI
    client: TestClient
    db: Database
    token: str
    boom_calls: list[int]

    def headers(self, key: str, token: str | None = None) -> dict[str, str]:
        return {**auth(token or self.token), "Idempotency-Key": key}

    def endpoints(self) -> int:
        with self.db.unit_of_work() as s:
            return int(s.scalar(select(func.count()).select_from(WebhookEndpoint)) or 0)


@pytest.fixture
def env(db_url: str) -> Iterator[Env]:
    settings = make_settings(
        db_url, jobs={"run_in_process": False}, idempotency={"wait_seconds": 0.3}
    )
    app = create_app(settings)
    db: Database = app.state.db
    calls: list[int] = []

    @app.post("/api/v1/test-flaky")
    def flaky() -> dict[str, int]:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first call breaks")
        return {"calls": len(calls)}

    with db.unit_of_work() as s:
        shop_id = make_shop(s)
        token, _ = accounts.create_integrator_token(s, shop_id=shop_id, name="erp")
    yield Env(app, TestClient(app, raise_server_exceptions=False), db, token, calls)
    db.dispose()


def test_replay_returns_the_first_response_without_its_secret(env: Env) -> None:
    first = env.client.post(URL, json=BODY, headers=env.headers("k-1"))
    again = env.client.post(URL, json=BODY, headers=env.headers("k-1"))
    assert first.status_code == again.status_code == 201
    # Everything the first answer said, but the shown-once secret (tests/idempotency/
    # test_credentials.py reads the table for every credential route).
    assert again.json() == {**first.json(), "secret": None, "withheld": ["secret"]}
    assert first.json()["secret"]
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert env.endpoints() == 1


def test_same_key_with_a_different_body_is_refused(env: Env) -> None:
    env.client.post(URL, json=BODY, headers=env.headers("k-2"))
    other = env.client.post(
        URL, json={"url": "http://127.0.0.1:9/other"}, headers=env.headers("k-2")
    )
    assert other.status_code == 422
    assert other.headers["content-type"].startswith("application/problem+json")
    assert other.json()["code"] == "idempotency_key_reused"
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert env.endpoints() == 1


def test_keys_are_scoped_per_caller(env: Env) -> None:
    with env.db.unit_of_work() as s:
        shop_id = make_shop(s)
        other_token, _ = accounts.create_integrator_token(s, shop_id=shop_id, name="x")
    a = env.client.post(URL, json=BODY, headers=env.headers("shared"))
    b = env.client.post(URL, json=BODY, headers=env.headers("shared", other_token))
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]
    assert "idempotent-replayed" not in b.headers


def test_server_error_is_not_stored_so_the_key_can_be_retried(env: Env) -> None:
    first = env.client.post("/api/v1/test-flaky", headers=env.headers("k-3"))
    assert first.status_code == 500
    retry = env.client.post("/api/v1/test-flaky", headers=env.headers("k-3"))
    assert retry.status_code == 200
    assert retry.json() == {"calls": 2}
    replay = env.client.post("/api/v1/test-flaky", headers=env.headers("k-3"))
    assert replay.json() == {"calls": 2}
    assert replay.headers["idempotent-replayed"] == "true"


def _hold(env: Env, key: str, *, locked_for: float) -> None:
    """Plant an in_progress record, as a first request still running would."""
    import json

    from huzhu.idempotency.rules import request_hash

    body = json.dumps(BODY).encode()
    with env.db.unit_of_work() as s:
        decision = service.begin(
            s,
            env.app.state.settings,
            KeyedRequest(
                principal=principal_of(f"Bearer {env.token}".encode()),
                key=key,
                method="POST",
                path=URL,
                request_hash=request_hash(method="POST", path=URL, query=b"", body=body),
            ),
        )
        assert decision.record_id is not None
        record = s.get(IdempotencyRecord, decision.record_id)
        assert record is not None
        record.locked_until = clock.utcnow() + timedelta(seconds=locked_for)


def test_replay_while_the_first_runs_answers_409_after_the_wait(env: Env) -> None:
    _hold(env, "k-4", locked_for=60)
    resp = env.client.post(
        URL,
        content=b'{"url": "http://127.0.0.1:9/hook"}',
        headers={**env.headers("k-4"), "Content-Type": "application/json"},
    )
    assert resp.status_code == 409
    assert resp.json()["code"] == "idempotency_in_progress"
    assert resp.headers["retry-after"] == "1"
    assert env.endpoints() == 0


def test_stale_in_progress_key_is_taken_over(env: Env) -> None:
    _hold(env, "k-5", locked_for=-1)  # its holder crashed: the lock ran out
    resp = env.client.post(
        URL,
        content=b'{"url": "http://127.0.0.1:9/hook"}',
        headers={**env.headers("k-5"), "Content-Type": "application/json"},
    )
    assert resp.status_code == 201
    assert env.endpoints() == 1


def test_too_long_or_empty_key_is_refused(env: Env) -> None:
    long = env.client.post(URL, json=BODY, headers=env.headers("k" * 201))
    assert long.status_code == 422
    assert long.json()["code"] == "idempotency_key_invalid"
    assert env.client.post(URL, json=BODY, headers=env.headers("k" * 200)).status_code == 201
    assert env.client.post(URL, json=BODY, headers=env.headers(" ")).status_code == 422


def test_requests_without_a_key_and_skipped_paths_are_not_recorded(env: Env) -> None:
    env.client.post(URL, json=BODY, headers=auth(env.token))
    env.client.post("/api/v1/instances/1/assists", json={}, headers=env.headers("k-6"))
    env.client.get(URL, headers=env.headers("k-7"))
    with env.db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0


def test_expired_records_are_purged_and_the_key_runs_again(env: Env) -> None:
    env.client.post(URL, json=BODY, headers=env.headers("k-8"))
    clock.advance(env.app.state.settings.idempotency.ttl_seconds + 1)
    again = env.client.post(URL, json=BODY, headers=env.headers("k-8"))
    assert again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert env.endpoints() == 2
    clock.advance(env.app.state.settings.idempotency.ttl_seconds + 1)
    with env.db.unit_of_work() as s:
        ttl = timedelta(seconds=env.app.state.settings.idempotency.ttl_seconds)
        assert service.purge_expired(s, before=clock.utcnow() - ttl, limit=10) == 1
        assert s.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0
