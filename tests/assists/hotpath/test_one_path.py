"""One assist path: the page form and the API turn a request into an assist through the
same function, so the same traffic gets the same decisions from both.

The burst is the one that once slipped through the page form: 16 brand-new accounts
from one address within seconds, each on an instance with room for all of them. Through
the API the inline screen holds the tail of it (a burst from one network puts the
instance under watch); the page form, which used to give the hot path neither the
client nor the account's age, counted every one.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from huzhu.app import create_app
from huzhu.db import Database
from huzhu.kit import clock
from huzhu.web import security
from tests.assists.conftest import UNLOCK_RULES, World, _shop_with_owner, write_instance
from tests.conftest import make_settings
from tests.factories import auth

BURST = 16
PHONE = {
    "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) MicroMessenger/8.0.50",
    "Accept-Language": "zh-CN,zh;q=0.9",
}
# The scorer's counting windows (300 s spikes, 600 s networks, 3600 s helpers) all start
# on multiples of 300 s: a burst that starts just after one stays inside one bucket of
# each, whatever the wall clock says.
WINDOW_EDGE = 300


@pytest.fixture
def scored(db_url: str) -> Iterator[World]:
    # Every request comes from one client: not a group of fresh accounts behind one
    # network (tests/risk/test_inline_groups_http.py), which would hold them first.
    risk = {"inline_enabled": True, "group_instance_assists": 0, "group_campaign_assists": 0}
    settings = make_settings(db_url, jobs={"run_in_process": False}, risk=risk)
    db = Database(settings.db)
    try:
        yield World(settings=settings, db=db, shop=_shop_with_owner(db, settings))
    finally:
        db.dispose()


def _unlock(world: World, starter: str) -> int:
    campaign = world.campaign("unlock", UNLOCK_RULES)
    initiator, _ = world.person(starter)
    with world.db.unit_of_work() as s:
        return write_instance(
            s,
            shop_id=world.shop.shop_id,
            campaign=campaign,
            kind="unlock",
            initiator_id=initiator,
            slots=[1] * (BURST + 4),
        )


def _through_api(client: TestClient, token: str, instance_id: int, n: int) -> str:
    r = client.post(
        f"/api/v1/instances/{instance_id}/assists",
        headers={**auth(token), **PHONE, "X-Huzhu-Device": f"api-phone-{n}"},
    )
    if r.status_code in (201, 202):
        return str(r.json()["status"])
    return str(r.json()["code"])


def _through_page(client: TestClient, world: World, token: str, instance_id: int, n: int) -> str:
    seed = secrets.token_urlsafe(24)
    client.cookies.clear()
    client.cookies.set(security.PARTICIPANT_COOKIE, token)
    client.cookies.set(security.CSRF_COOKIE, seed)
    r = client.post(
        f"/i/{instance_id}/assist",
        data={
            security.CSRF_FIELD: security.csrf_token(world.settings, seed),
            "form_key": secrets.token_urlsafe(12),
        },
        headers={**PHONE, "X-Huzhu-Device": f"page-phone-{n}", "Accept": "text/html"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    found = re.search(r"[?&](notice|code)=([a-z_]+)", r.headers["location"])
    assert found is not None, r.headers["location"]
    return found.group(2)


def _burst(world: World, address: str, give: Any) -> list[str]:
    """BURST new accounts at `address`, one after another, each assisting once."""
    app = create_app(world.settings)
    decisions = []
    with TestClient(app, raise_server_exceptions=False, client=(address, 50000)) as client:
        for n in range(BURST):
            _, token = world.person(f"{address}-new-{n}")
            decisions.append(give(client, token, n))
    return decisions


def test_a_burst_gets_the_same_decisions_through_the_page_form_and_the_api(
    scored: World,
) -> None:
    world = scored
    clock.advance(WINDOW_EDGE - clock.utcnow().timestamp() % WINDOW_EDGE + 1)
    by_api = _unlock(world, "api-starter")
    by_page = _unlock(world, "page-starter")
    api = _burst(world, "127.0.8.1", lambda c, t, n: _through_api(c, t, by_api, n))
    page = _burst(world, "127.0.9.1", lambda c, t, n: _through_page(c, world, t, by_page, n))
    assert page == api
    # Not a burst everybody lets through: new accounts on one network are held.
    assert api[0] == "counted"
    assert "held" in api
