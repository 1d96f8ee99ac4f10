"""Observability of a real `huzhu serve` with two workers: JSON and text logs with a
request id on every request line and no token in any of them; /metrics summing every
worker, with assist outcomes, invite refusals and what the database knows; its optional
bearer token; /readyz naming what is not ready."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from huzhu.accounts.rules import Role
from huzhu.app import create_app
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.invites import direct
from huzhu.migrations import run_migrations
from tests.conftest import make_settings
from tests.enforcement.support import UNLOCK_RULES
from tests.factories import auth, make_campaign, make_participant, make_shop_with_roles
from tests.support.servers import LiveServer, start_server

LOUD = ("--log-level", "info")


@dataclass
class Shop:
    settings: Settings
    unlock_id: int
    starter: str  # participant tokens
    helper: str
    helper_id: int


def _shop(db_url: str) -> Shop:
    settings = make_settings(db_url)
    db = Database(settings.db)
    try:
        roles = make_shop_with_roles(db, settings)
        with db.unit_of_work() as s:
            unlock_id, _ = make_campaign(
                s, shop_id=roles.shop_id, kind="unlock", rules=UNLOCK_RULES
            )
            helper_id, helper = make_participant(s, settings, shop_id=roles.shop_id, name="bo")
    finally:
        db.dispose()
    return Shop(settings, unlock_id, roles.tokens[Role.PARTICIPANT], helper, helper_id)


def _serve(db_url: str, tmp_path: Path, **env: str) -> LiveServer:
    return start_server(
        db_url=db_url,
        workers=2,
        log_dir=tmp_path,
        extra_env=env,
        log_args=LOUD,
        # Two workers each import the app anew (spawned, not forked): slow on a busy host.
        startup_seconds=300,
    )


@pytest.fixture
def json_server(db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    server = _serve(db_url, tmp_path, HUZHU_LOG__FORMAT="json")
    try:
        yield server
    finally:
        server.stop()


def _secrets_in_flight(client: httpx.Client, shop: Shop) -> list[str]:
    """A share link issued, opened and assisted through, an opt-out link followed, a
    WeChat OAuth callback answered: every secret those requests carry in the URL."""
    started = client.post(
        f"/api/v1/campaigns/{shop.unlock_id}/instances", headers=auth(shop.starter)
    )
    assert started.status_code == 201, started.text
    instance = started.json()["id"]
    link = client.post(
        f"/api/v1/instances/{instance}/share-links",
        json={"channel": "friend"},
        headers=auth(shop.starter),
    )
    assert link.status_code == 201, link.text
    token = link.json()["token"]
    opened = client.post(
        f"/api/v1/shares/{token}/open",
        headers={**auth(shop.helper), "X-Request-ID": "trace-open-1"},
    )
    assert opened.status_code in (200, 201), opened.text
    assert opened.headers["x-request-id"] == "trace-open-1"
    helped = client.post(
        f"/api/v1/instances/{instance}/assists",
        params={"share": token, "share_open": opened.json()["open_id"]},
        headers=auth(shop.helper),
    )
    assert helped.status_code in (201, 202), helped.text
    opt_out = direct.opt_out_token(shop.settings, "unsubscribe", shop.helper_id, 0)
    assert client.post(f"/api/v1/opt-outs/{opt_out}").status_code == 200
    code, state = f"code-{uuid.uuid4().hex}", f"state-{uuid.uuid4().hex}"
    client.get("/api/v1/wechat/oauth/callback", params={"code": code, "state": state})
    return [token, opt_out, code, state, shop.starter, shop.helper]


@pytest.mark.slow
def test_json_logs_carry_the_request_id_and_no_secret(db_url: str, json_server: LiveServer) -> None:
    shop = _shop(db_url)
    with json_server.client() as client:
        secrets = _secrets_in_flight(client, shop)
        unsafe = client.get("/healthz", headers={"X-Request-ID": "two words"})
    made = unsafe.headers["x-request-id"]
    assert made != "two words"
    assert len(made) == 32
    json_server.stop()  # every worker has flushed its lines
    log = json_server.log()
    for secret in secrets:
        assert secret not in log
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]
    access = [line for line in lines if line["logger"] == "huzhu.access"]
    assert not [line for line in lines if line["logger"] == "uvicorn.access"]  # names the client
    assert all(line["request_id"] != "-" for line in access)
    (open_line,) = [line for line in access if line["request_id"] == "trace-open-1"]
    assert open_line["path"] == "/api/v1/shares/[redacted]/open"
    assert open_line["method"] == "POST"
    assert any(line["request_id"] == made for line in access)
    assist = [line for line in access if "/assists" in line["path"]]
    assert assist
    assert all("share=[redacted]&share_open=" in line["path"] for line in assist)
    callback = [line for line in access if "/oauth/callback" in line["path"]]
    assert callback
    assert "code=[redacted]&state=[redacted]" in callback[0]["path"]


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_text_logs_carry_the_request_id_and_no_secret(db_url: str, tmp_path: Path) -> None:
    shop = _shop(db_url)
    server = _serve(db_url, tmp_path, HUZHU_LOG__FORMAT="text")
    try:
        with server.client() as client:
            secrets = _secrets_in_flight(client, shop)
    finally:
        server.stop()
    log = server.log()
    for secret in secrets:
        assert secret not in log
    assert "[trace-open-1] POST /api/v1/shares/[redacted]/open 201" in log


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.mark.slow
def test_metrics_sum_every_worker_and_count_outcomes(db_url: str, json_server: LiveServer) -> None:
    shop = _shop(db_url)
    probes = 12
    for _ in range(probes):  # a new connection each: both workers answer some
        assert httpx.get(f"{json_server.url}/readyz", timeout=30).status_code == 200
    with json_server.client() as client:
        started = client.post(
            f"/api/v1/campaigns/{shop.unlock_id}/instances", headers=auth(shop.starter)
        ).json()["id"]
        assert (
            client.post(
                f"/api/v1/instances/{started}/assists", headers=auth(shop.helper)
            ).status_code
            == 201
        )
        own = client.post(f"/api/v1/instances/{started}/assists", headers=auth(shop.starter))
        assert own.json()["code"] == "self_assist"
        again = client.post(f"/api/v1/instances/{started}/assists", headers=auth(shop.helper))
        assert again.json()["code"] == "already_assisted"
        myself = client.post(
            f"/api/v1/instances/{started}/invites",
            json={"recipient_id": shop.helper_id},
            headers=auth(shop.helper),
        )
        assert myself.status_code == 403, myself.text
        scraped = client.get("/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    samples = _samples(scraped.text)
    requests = "huzhu_http_requests_total"
    assert _value(samples, requests, route="/readyz", method="GET", status="200") == probes
    hot = "/api/v1/instances/{instance_id}/assists"
    assert _value(samples, requests, route=hot, method="POST", status="201") == 1
    assert _value(samples, requests, route=hot, method="POST", status="409") == 1
    latency = "huzhu_http_request_duration_seconds_count"
    assert _value(samples, latency, route="/readyz", method="GET") == probes
    outcomes = "huzhu_assist_outcomes_total"
    assert _value(samples, outcomes, outcome="counted", reason="") == 1
    assert _value(samples, outcomes, outcome="refused", reason="self_assist") == 1
    assert _value(samples, outcomes, outcome="refused", reason="already_assisted") == 1
    refused = _value(samples, "huzhu_invites_refused_total", reason="not_your_instance")
    assert refused == 1
    names = {name for name, _ in samples}
    for scraped_name in (
        "huzhu_job_queue_depth",
        "huzhu_job_queue_lag_seconds",
        "huzhu_outbox_lag_seconds",
        "huzhu_webhook_deliveries_retrying",
        "huzhu_db_pool_connections_in_use",
    ):
        assert scraped_name in names


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_metrics_token_guards_the_scrape(db_url: str, tmp_path: Path) -> None:
    server = start_server(
        db_url=db_url, log_dir=tmp_path, extra_env={"HUZHU_METRICS__TOKEN": "scrape-me-0123"}
    )
    try:
        with server.client() as client:
            bare = client.get("/metrics")
            wrong = client.get("/metrics", headers=auth("scrape-me-9999"))
            right = client.get("/metrics", headers=auth("scrape-me-0123"))
    finally:
        server.stop()
    assert bare.status_code == wrong.status_code == 401
    assert bare.headers["content-type"].startswith("application/problem+json")
    assert right.status_code == 200
    assert "huzhu_http_requests_total" in right.text


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_readyz_names_migrations_behind(db_url: str, tmp_path: Path) -> None:
    behind = f"sqlite:///{tmp_path / 'behind.db'}"
    run_migrations(behind, revision="0007")
    server = start_server(db_url=behind, log_dir=tmp_path)
    try:
        answer = httpx.get(f"{server.url}/readyz", timeout=30)
    finally:
        server.stop()
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["code"] == "not_ready"
    assert problem["failing"] == ["migrations"]
    assert "0007" in problem["checks"]["migrations"]
    assert problem["checks"]["database"] == "ok"


def test_readyz_names_a_stopped_job_runner(settings: Settings) -> None:
    app = create_app(settings)
    with TestClient(app) as client:
        assert client.get("/readyz").json()["checks"]["job_runner"] == "ok"
        app.state.job_runner.stop()
        answer = client.get("/readyz")
        assert client.get("/healthz").status_code == 200  # alive, just not ready
    assert answer.status_code == 503
    assert answer.json()["failing"] == ["job_runner"]
