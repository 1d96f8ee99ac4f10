"""The notify API: endpoints CRUD (own shop only, secret shown once), deliveries with
their attempts, manual redelivery, and the event outbox."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

import huzhu.notify.tasks  # noqa: F401  (registers the periodic dispatch and delivery)
from huzhu.accounts import service as accounts
from huzhu.accounts.rules import Role
from huzhu.app import create_app
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.jobs.runner import JobRunner
from huzhu.notify import service
from huzhu.notify.rules import verify_signature
from tests.conftest import make_settings
from tests.factories import auth, make_participant, make_shop
from tests.notify.receiver import Receiver, webhook_receiver
from tests.support.servers import LiveServer


@dataclass
class LightShop:
    """A shop with an integrator token (WEBHOOK_MANAGE, EVENT_READ) and a participant:
    no operator passwords, so no argon2 work in every test's setup."""

    shop_id: int
    tokens: dict[Role, str]


def light_shop(db: Database, settings: Settings) -> LightShop:
    with db.unit_of_work() as s:
        shop_id = make_shop(s)
        integrator, _ = accounts.create_integrator_token(s, shop_id=shop_id, name="erp")
        _, participant = make_participant(s, settings, shop_id=shop_id, name="p")
    return LightShop(shop_id, {Role.INTEGRATOR: integrator, Role.PARTICIPANT: participant})


@dataclass
class Api:
    client: TestClient
    db: Database
    settings: Settings
    shop: LightShop
    receiver: Receiver
    _other: LightShop | None = None

    @property
    def other(self) -> LightShop:
        """A second shop, made only by the tests that need one (argon2 is slow on purpose)."""
        if self._other is None:
            self._other = light_shop(self.db, self.settings)
        return self._other

    def h(self, role: Role = Role.INTEGRATOR, shop: LightShop | None = None) -> dict[str, str]:
        return auth((shop or self.shop).tokens[role])


@pytest.fixture
def api(db_url: str) -> Iterator[Api]:
    settings = make_settings(db_url, jobs={"run_in_process": False})
    app = create_app(settings)
    db: Database = app.state.db
    with webhook_receiver() as receiver:
        yield Api(
            client=TestClient(app),
            db=db,
            settings=settings,
            shop=light_shop(db, settings),
            receiver=receiver,
        )
    db.dispose()


def test_endpoint_secret_is_shown_once_and_crud_works(api: Api) -> None:
    created = api.client.post(
        "/api/v1/webhooks/endpoints",
        json={"url": api.receiver.url, "event_types": ["campaign.*"], "description": "erp"},
        headers=api.h(),
    )
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_")
    endpoint_id = body["id"]
    got = api.client.get(f"/api/v1/webhooks/endpoints/{endpoint_id}", headers=api.h())
    assert got.status_code == 200
    assert "secret" not in got.json()
    listed = api.client.get("/api/v1/webhooks/endpoints", headers=api.h()).json()
    assert [e["id"] for e in listed["items"]] == [endpoint_id]

    patched = api.client.patch(
        f"/api/v1/webhooks/endpoints/{endpoint_id}",
        json={"active": False, "event_types": []},
        headers=api.h(),
    )
    assert patched.status_code == 200
    assert (patched.json()["active"], patched.json()["event_types"]) == (False, [])
    assert patched.json()["description"] == "erp"

    deleted = api.client.delete(f"/api/v1/webhooks/endpoints/{endpoint_id}", headers=api.h())
    assert deleted.status_code == 204
    gone = api.client.get(f"/api/v1/webhooks/endpoints/{endpoint_id}", headers=api.h())
    assert gone.status_code == 404
    assert gone.json()["code"] == "webhook_endpoint_not_found"


def test_another_shops_endpoint_is_not_found(api: Api) -> None:
    created = api.client.post(
        "/api/v1/webhooks/endpoints", json={"url": api.receiver.url}, headers=api.h()
    ).json()
    for method in ("GET", "PATCH", "DELETE"):
        resp = api.client.request(
            method,
            f"/api/v1/webhooks/endpoints/{created['id']}",
            json={"active": False} if method == "PATCH" else None,
            headers=api.h(shop=api.other),
        )
        assert resp.status_code == 404, method
    listed = api.client.get("/api/v1/webhooks/endpoints", headers=api.h(shop=api.other))
    assert listed.json()["items"] == []


def test_bad_endpoint_input_is_a_problem_naming_the_field(api: Api) -> None:
    bad_url = api.client.post(
        "/api/v1/webhooks/endpoints", json={"url": "ftp://example.test/x"}, headers=api.h()
    )
    assert bad_url.status_code == 422
    assert bad_url.headers["content-type"].startswith("application/problem+json")
    assert bad_url.json()["errors"][0]["field"] == "url"
    bad_type = api.client.post(
        "/api/v1/webhooks/endpoints",
        json={"url": api.receiver.url, "event_types": ["Not A Type"]},
        headers=api.h(),
    )
    assert bad_type.status_code == 422
    assert bad_type.json()["errors"][0]["field"].startswith("event_types")


def test_private_target_is_refused_when_not_allowed(db_url: str) -> None:
    settings = make_settings(db_url, webhooks={"allow_private_targets": False})
    app = create_app(settings)
    shop = light_shop(app.state.db, settings)
    resp = TestClient(app).post(
        "/api/v1/webhooks/endpoints",
        json={"url": "http://127.0.0.1:9/hook"},
        headers=auth(shop.tokens[Role.INTEGRATOR]),
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid_webhook_url"
    app.state.db.dispose()


def test_deliveries_list_detail_and_redeliver(api: Api) -> None:
    api.receiver.fail_first = 1
    endpoint = api.client.post(
        "/api/v1/webhooks/endpoints", json={"url": api.receiver.url}, headers=api.h()
    ).json()
    with api.db.unit_of_work() as s:
        service.record_event(
            s,
            shop_id=api.shop.shop_id,
            type="instance.started",
            subject_type="instance",
            subject_id=3,
        )
    JobRunner(api.db, api.settings).tick()

    listed = api.client.get(
        f"/api/v1/webhooks/deliveries?endpoint_id={endpoint['id']}&status=pending", headers=api.h()
    ).json()
    [delivery] = listed["items"]
    assert (delivery["attempts"], delivery["last_status_code"]) == (1, 500)
    assert (
        api.client.get("/api/v1/webhooks/deliveries?status=delivered", headers=api.h()).json()[
            "items"
        ]
        == []
    )

    redelivered = api.client.post(
        f"/api/v1/webhooks/deliveries/{delivery['id']}/redeliver", headers=api.h()
    )
    assert redelivered.status_code == 200
    assert (redelivered.json()["status"], redelivered.json()["attempts"]) == ("pending", 0)
    JobRunner(api.db, api.settings).tick()

    detail = api.client.get(f"/api/v1/webhooks/deliveries/{delivery['id']}", headers=api.h())
    assert detail.json()["status"] == "delivered"
    assert [a["status_code"] for a in detail.json()["attempts_log"]] == [500, 200]
    other = api.client.get(
        f"/api/v1/webhooks/deliveries/{delivery['id']}", headers=api.h(shop=api.other)
    )
    assert other.status_code == 404


def test_events_list_shows_only_own_shop(api: Api) -> None:
    with api.db.unit_of_work() as s:
        for shop in (api.shop, api.other):
            service.record_event(
                s,
                shop_id=shop.shop_id,
                type="campaign.launched",
                subject_type="campaign",
                subject_id=1,
            )
    resp = api.client.get("/api/v1/events", headers=api.h())
    assert resp.status_code == 200
    [event] = resp.json()["items"]
    # The shop has no webhook endpoint: nothing to fan out, so it is written dispatched.
    assert (event["type"], event["dispatched"]) == ("campaign.launched", True)
    assert api.client.get("/api/v1/events", headers=api.h(Role.PARTICIPANT)).status_code == 403


@pytest.mark.slow
def test_serve_delivers_webhooks_with_its_in_process_runner(
    sqlite_url: str, sqlite_live_server: LiveServer
) -> None:
    """Embedded mode end to end: a real `huzhu serve` dispatches and delivers by itself."""
    settings = make_settings(sqlite_url)
    db = Database(settings.db)
    shop = light_shop(db, settings)
    with webhook_receiver() as receiver, sqlite_live_server.client() as client:
        created = client.post(
            "/api/v1/webhooks/endpoints",
            json={"url": receiver.url},
            headers=auth(shop.tokens[Role.INTEGRATOR]),
        ).json()
        with db.unit_of_work() as s:
            event = service.record_event(
                s, shop_id=shop.shop_id, type="lottery.drawn", subject_type="campaign", subject_id=9
            )
        deadline = time.monotonic() + 15
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        [request] = receiver.requests
        assert request.headers["Huzhu-Event-Id"] == str(event.id)
        assert verify_signature(created["secret"], request.headers["Huzhu-Signature"], request.body)
    db.dispose()
