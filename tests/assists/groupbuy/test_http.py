"""Group buy over real HTTP: 50 joiners race for a team's last place on a running server
— exactly one gets it, every other gets 409 team_full, and the ledger holds exactly K
authorizations for the team. On SQLite, and on PostgreSQL with two worker processes."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from huzhu.assists.models import Purchase
from huzhu.campaigns.models import Campaign
from huzhu.db import Database
from huzhu.payments.models import PaymentTxn
from tests.conftest import make_settings
from tests.factories import auth, confirmed, make_campaign, make_participant, make_shop
from tests.support.servers import LiveServer, start_server

TEAM_SIZE = 5
RACERS = 50


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    workers = 2 if db_url.startswith("postgresql") else 1
    live = start_server(db_url=db_url, workers=workers, log_dir=tmp_path)
    try:
        yield live
    finally:
        live.stop()


def _setup(db: Database, db_url: str, *, inventory_total: int = 1_000) -> tuple[int, list[str]]:
    settings = make_settings(db_url)
    with db.unit_of_work() as s:
        shop_id = make_shop(s)
        campaign_id, _ = make_campaign(
            s,
            shop_id=shop_id,
            inventory_total=inventory_total,
            kind="groupbuy",
            rules={
                "team_size": TEAM_SIZE,
                "price_cents": 9_900,
                "group_price_cents": 5_900,
                "instance_ttl_seconds": 3600,
            },
        )
        tokens = [
            make_participant(s, settings, shop_id=shop_id, name=f"m{i}")[1]
            for i in range(TEAM_SIZE - 1 + RACERS)
        ]
    return campaign_id, tokens


@pytest.mark.slow
def test_fifty_joins_racing_for_the_last_place_fill_it_once(
    db_url: str, server: LiveServer
) -> None:
    db = Database(make_settings(db_url).db)
    campaign_id, tokens = _setup(db, db_url)
    leader, early, racers = tokens[0], tokens[1 : TEAM_SIZE - 1], tokens[TEAM_SIZE - 1 :]
    with server.client() as client:
        opened = client.post(
            f"/api/v1/campaigns/{campaign_id}/teams",
            headers=confirmed(client, leader, "open_team", campaign_id),
        )
        assert opened.status_code == 201, opened.text
        team_id = opened.json()["team"]["team_id"]
        for token in early:
            joined = client.post(
                f"/api/v1/teams/{team_id}/join",
                headers=confirmed(client, token, "join_team", team_id),
            )
            assert joined.status_code == 201, joined.text
        assert client.get(f"/api/v1/teams/{team_id}").json()["places_left"] == 1

    barrier = threading.Barrier(RACERS)
    results: list[httpx.Response] = []
    lock = threading.Lock()

    def join(token: str) -> None:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            headers = confirmed(client, token, "join_team", team_id)
            barrier.wait()
            resp = client.post(f"/api/v1/teams/{team_id}/join", headers=headers)
        with lock:
            results.append(resp)

    threads = [threading.Thread(target=join, args=(t,)) for t in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    statuses = Counter(r.status_code for r in results)
    assert statuses == {201: 1, 409: RACERS - 1}, statuses
    codes = Counter(r.json()["code"] for r in results if r.status_code == 409)
    assert codes == {"team_full": RACERS - 1}
    assert all(
        r.headers["content-type"].startswith("application/problem+json")
        for r in results
        if r.status_code == 409
    )
    with db.unit_of_work() as s:
        refs = select(Purchase.payment_ref).where(Purchase.instance_id == team_id)
        authorizations = s.scalar(
            select(func.count()).where(PaymentTxn.op == "authorize", PaymentTxn.ref.in_(refs))
        )
        assert authorizations == TEAM_SIZE
        assert s.scalar(select(func.count()).where(PaymentTxn.op == "authorize")) == TEAM_SIZE
        assert s.scalar(select(func.count()).where(Purchase.instance_id == team_id)) == TEAM_SIZE
    with server.client() as client:
        team = client.get(f"/api/v1/teams/{team_id}").json()
    assert team["members"] == TEAM_SIZE
    assert team["places_left"] == 0
    assert "account" not in str(team).lower()
    db.dispose()


def test_an_assist_cannot_take_a_team_place(db_url: str, server: LiveServer) -> None:
    """Only people who order fill a team: an assist on a team is refused and takes nothing."""
    db = Database(make_settings(db_url).db)
    campaign_id, tokens = _setup(db, db_url)
    with server.client() as client:
        opened = client.post(
            f"/api/v1/campaigns/{campaign_id}/teams",
            headers=confirmed(client, tokens[0], "open_team", campaign_id),
        )
        team_id = opened.json()["team"]["team_id"]
        refused = client.post(f"/api/v1/instances/{team_id}/assists", headers=auth(tokens[1]))
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "unsupported_kind"
        assert client.get(f"/api/v1/teams/{team_id}").json()["places_left"] == TEAM_SIZE - 1
    db.dispose()


def test_a_team_the_stock_could_never_fill_is_never_opened(db_url: str, server: LiveServer) -> None:
    """Stock for one member less than a team (a campaign written before stock had to hold
    a team, or sold down to it): opening is refused out_of_stock with the units a team
    needs — no team at k-1 of k that every join would be refused — and nothing is
    authorized, ordered or reserved."""
    db = Database(make_settings(db_url).db)
    campaign_id, tokens = _setup(db, db_url, inventory_total=TEAM_SIZE - 1)
    with server.client() as client:
        refused = client.post(
            f"/api/v1/campaigns/{campaign_id}/teams",
            headers=confirmed(client, tokens[0], "open_team", campaign_id),
        )
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert (refused.json()["code"], refused.json()["needed_units"]) == (
            "out_of_stock",
            TEAM_SIZE,
        )
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(PaymentTxn)) == 0
        assert s.scalar(select(func.count()).where(Purchase.campaign_id == campaign_id)) == 0
        reserved = s.scalar(select(Campaign.inventory_reserved).where(Campaign.id == campaign_id))
        assert reserved == 0
    db.dispose()
