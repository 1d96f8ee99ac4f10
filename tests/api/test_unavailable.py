"""A database that cannot serve, made for real under a running `huzhu serve`: on SQLite
another connection holds the write lock; on PostgreSQL the database refuses every
connection and the server's are cut (briefly down). Meanwhile every kind of route —
an ORM unit (sign-in, list), a unit in one call (start), a keyed request (the
idempotency middleware's own unit), the assist hot path and a page — answers 503 with
Retry-After within the configured wait (problem+json; a page to a browser), never
another 5xx, and writes nothing. Once the database is back the same requests succeed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from huzhu.accounts.rules import Role
from huzhu.assists.models import Instance
from huzhu.config import Settings
from huzhu.db import Database
from tests.assists.conftest import UNLOCK_RULES
from tests.conftest import make_settings
from tests.factories import auth, make_campaign, make_participant, make_shop_with_roles
from tests.support import stalls
from tests.support.servers import LiveServer, start_server

pytestmark = pytest.mark.slow

RETRY_AFTER = "3"
SERVER_ENV = {"HUZHU_DB__WAIT_SECONDS": "0.5", "HUZHU_DB__RETRY_AFTER_SECONDS": RETRY_AFTER}


@dataclass
class World:
    server: LiveServer
    settings: Settings
    db: Database
    db_url: str
    slug: str
    operator: str
    unlock_id: int
    starters: list[str]  # participant tokens: one start each
    helpers: list[str]
    instance_id: int
    share: str


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[World]:
    settings = make_settings(db_url)
    db = Database(settings.db)
    shop = make_shop_with_roles(db, settings)
    with db.unit_of_work() as s:
        unlock_id, _ = make_campaign(s, shop_id=shop.shop_id, kind="unlock", rules=UNLOCK_RULES)
        people = [
            make_participant(s, settings, shop_id=shop.shop_id, name=f"p{i}")[1] for i in range(6)
        ]
    server = start_server(db_url=db_url, log_dir=tmp_path, extra_env=SERVER_ENV)
    try:
        with server.client() as client:
            started = client.post(
                f"/api/v1/campaigns/{unlock_id}/instances", headers=auth(people[0])
            )
            assert started.status_code == 201, started.text
            instance_id = int(started.json()["id"])
            link = client.post(
                f"/api/v1/instances/{instance_id}/share-links",
                headers=auth(people[0]),
                json={"channel": "friend"},
            )
            assert link.status_code == 201, link.text
        yield World(
            server=server,
            settings=settings,
            db=db,
            db_url=db_url,
            slug=shop.slug,
            operator=shop.tokens[Role.OPERATOR],
            unlock_id=unlock_id,
            starters=people[1:3],
            helpers=people[3:5],
            instance_id=instance_id,
            share=str(link.json()["token"]),
        )
    finally:
        server.stop()
        db.dispose()


def _unavailable(world: World) -> AbstractContextManager[None]:
    if world.settings.db.is_sqlite:
        return stalls.write_lock_taken(world.settings.db.sqlite_path)
    world.db.dispose()  # the test's own connections go too
    return stalls.database_down(world.db_url)


def _requests(world: World, client: httpx.Client, n: int) -> dict[str, httpx.Response]:
    """One request of each kind; `n` picks fresh people, so each may succeed once."""
    return {
        "sign-in": client.post(
            "/api/v1/auth/participant", json={"shop": world.slug, "subject": f"new-{n}"}
        ),
        "list": client.get("/api/v1/campaigns", headers=auth(world.operator)),
        "start": client.post(
            f"/api/v1/campaigns/{world.unlock_id}/instances", headers=auth(world.starters[n])
        ),
        "keyed start": client.post(
            f"/api/v1/campaigns/{world.unlock_id}/instances",
            headers={**auth(world.helpers[n]), "Idempotency-Key": f"start-{n}"},
        ),
        "assist": client.post(
            f"/api/v1/instances/{world.instance_id}/assists",
            params={"share": world.share},
            headers=auth(world.helpers[1 - n]),
        ),
        "page": client.get(
            "/", headers={"Accept": "text/html", "Cookie": f"huzhu_p={world.starters[n]}"}
        ),
    }


def _instances(world: World) -> int:
    with world.db.unit_of_work() as s:
        return int(s.scalar(select(func.count()).select_from(Instance)) or 0)


def test_every_kind_of_route_answers_503_while_the_database_cannot_serve(world: World) -> None:
    before = _instances(world)
    with world.server.client() as client:
        with _unavailable(world):
            refused = _requests(world, client, 0)
        for kind, answer in refused.items():
            assert answer.status_code == 503, (kind, answer.status_code, answer.text[:500])
            assert answer.headers["Retry-After"] == RETRY_AFTER, kind
            if kind == "page":
                assert answer.headers["content-type"].startswith("text/html")
                assert "<code data-code>overloaded</code>" in answer.text
                continue
            assert answer.headers["content-type"] == "application/problem+json", kind
            assert answer.json()["code"] in {"overloaded", "busy"}, (kind, answer.text)
        assert _instances(world) == before  # nothing the 503s answered was written
        served = _requests(world, client, 1)
    codes = {kind: answer.status_code for kind, answer in served.items()}
    assert codes == {
        "sign-in": 200,
        "list": 200,
        "start": 201,
        "keyed start": 201,
        "assist": 201,
        "page": 200,
    }, {kind: answer.text[:300] for kind, answer in served.items()}
    assert _instances(world) == before + 2
