"""No credential is kept in an idempotency record: every route whose answer carries one
(sign-in tokens, integrator tokens, webhook secrets, confirmation and share-link tokens)
is replayed without it, and the stored row, read back from the table, holds none."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from huzhu.accounts.rules import Role
from huzhu.app import create_app
from huzhu.db import Database
from huzhu.idempotency.models import IdempotencyRecord
from tests.conftest import make_settings
from tests.enforcement.support import UNLOCK_RULES
from tests.factories import PASSWORD, ShopFixture, auth, make_campaign, make_shop_with_roles
from tests.privacy.support import GROUPBUY_RULES


@dataclass
class World:
    client: TestClient
    db: Database
    shop: ShopFixture
    unlock_id: int
    groupbuy_id: int

    def token(self, role: Role) -> dict[str, str]:
        return auth(self.shop.tokens[role])


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    app = create_app(make_settings(db_url, jobs={"run_in_process": False}))
    db: Database = app.state.db
    shop = make_shop_with_roles(db, app.state.settings)
    with db.unit_of_work() as s:
        unlock_id, _ = make_campaign(s, shop_id=shop.shop_id, kind="unlock", rules=UNLOCK_RULES)
        groupbuy_id, _ = make_campaign(
            s, shop_id=shop.shop_id, kind="groupbuy", rules=GROUPBUY_RULES
        )
    with TestClient(app) as client:
        yield World(client, db, shop, unlock_id, groupbuy_id)
    db.dispose()


@dataclass(frozen=True)
class Call:
    path: Callable[[World], str]
    body: Callable[[World], dict[str, Any]]
    headers: Callable[[World], dict[str, str]]
    secrets: tuple[str, ...]  # the credential fields of the answer
    signs_in: str | None = None  # a page the answer's `token` opens


def _instance_path(w: World) -> str:
    started = w.client.post(
        f"/api/v1/campaigns/{w.unlock_id}/instances", headers=w.token(Role.PARTICIPANT)
    )
    assert started.status_code == 201, started.text
    return f"/api/v1/instances/{started.json()['id']}/share-links"


CALLS = {
    "integrator token": Call(
        path=lambda w: "/api/v1/tokens",
        body=lambda w: {"name": "erp"},
        headers=lambda w: w.token(Role.OWNER),
        secrets=("token",),
        signs_in="/api/v1/me",
    ),
    "operator sign-in": Call(
        path=lambda w: "/api/v1/auth/login",
        body=lambda w: {"email": f"owner-{w.shop.slug}@example.test", "password": PASSWORD},
        headers=lambda w: {},
        secrets=("token",),
        signs_in="/api/v1/me",
    ),
    "participant sign-in": Call(
        path=lambda w: "/api/v1/auth/participant",
        body=lambda w: {"shop": w.shop.slug, "subject": "carol"},
        headers=lambda w: {},
        secrets=("token",),
        signs_in="/api/v1/me/inbox",
    ),
    "participant issued by an integrator": Call(
        path=lambda w: "/api/v1/participants/token",
        body=lambda w: {"shop": w.shop.slug, "subject": "dave"},
        headers=lambda w: w.token(Role.INTEGRATOR),
        secrets=("token",),
        signs_in="/api/v1/me/inbox",
    ),
    "webhook signing secret": Call(
        path=lambda w: "/api/v1/webhooks/endpoints",
        body=lambda w: {"url": "http://127.0.0.1:9/hook"},
        headers=lambda w: w.token(Role.INTEGRATOR),
        secrets=("secret",),
    ),
    "confirmation token": Call(
        path=lambda w: "/api/v1/me/confirmations",
        body=lambda w: {"action": "open_team", "target_id": w.groupbuy_id},
        headers=lambda w: w.token(Role.PARTICIPANT),
        secrets=("token",),
    ),
    "share link": Call(
        path=_instance_path,
        body=lambda w: {"channel": "friend"},
        headers=lambda w: w.token(Role.PARTICIPANT),
        secrets=("token", "url", "qr_png_url", "qr_svg_url"),
    ),
}


def _stored_text(db: Database) -> str:
    """Everything the idempotency table holds, the stored bodies decoded."""
    with db.unit_of_work() as s:
        rows = s.scalars(select(IdempotencyRecord)).all()
        return "\n".join(
            f"{r.path} {r.principal} {json.dumps(r.response_headers)} {r.response_body} "
            + base64.b64decode(r.response_body or "").decode("utf-8", "replace")
            for r in rows
        )


@pytest.mark.parametrize("name", CALLS)
def test_answer_with_a_credential_is_stored_and_replayed_without_it(
    world: World, name: str
) -> None:
    call = CALLS[name]
    path, body = call.path(world), call.body(world)
    headers = {**call.headers(world), "Idempotency-Key": f"k-{uuid.uuid4()}"}
    first = world.client.post(path, json=body, headers=headers)
    assert first.status_code in (200, 201), first.text
    shown = {field: first.json()[field] for field in call.secrets}
    assert all(shown.values()), shown  # the first answer shows each credential

    stored = _stored_text(world.db)
    assert path in stored  # the record is there ...
    for value in shown.values():
        assert value not in stored  # ... without the credential
    if call.signs_in is not None:
        # Taken from the answer (it is not in the table), the token does work.
        works = world.client.get(call.signs_in, headers=auth(first.json()["token"]))
        assert works.status_code == 200, works.text

    replay = world.client.post(path, json=body, headers=headers)
    assert replay.status_code == first.status_code
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == {
        **first.json(),
        **dict.fromkeys(call.secrets),
        "withheld": list(call.secrets),
    }


def test_answer_without_a_credential_is_replayed_byte_for_byte(world: World) -> None:
    headers = {**world.token(Role.OWNER), "Idempotency-Key": f"k-{uuid.uuid4()}"}
    body = {
        "email": f"new-{uuid.uuid4().hex[:6]}@example.test",
        "display_name": "New",
        "password": PASSWORD,
    }
    first = world.client.post("/api/v1/operators", json=body, headers=headers)
    replay = world.client.post("/api/v1/operators", json=body, headers=headers)
    assert first.status_code == replay.status_code == 201, first.text
    assert replay.content == first.content
    assert "withheld" not in replay.json()
