"""The dashboard's figures against scenarios counted by hand, over a real server: the
console page and its polled JSON both show them, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from huzhu.accounts.rules import Role
from huzhu.db import Database
from huzhu.web.security import OPERATOR_COOKIE
from tests.assists.conftest import BARGAIN_RULES
from tests.conftest import make_settings
from tests.factories import (
    ShopFixture,
    auth,
    confirmed,
    make_campaign,
    make_participant,
    make_shop_with_roles,
)
from tests.invites.test_invites import OPEN_ALL
from tests.support.people import LOOPBACK_CROWD_ENV, PHONE
from tests.support.servers import LiveServer, start_server

GROUPBUY = {
    "team_size": 4,
    "price_cents": 9_900,
    "group_price_cents": 5_900,
    "instance_ttl_seconds": 3600,
}


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    live = start_server(
        db_url=db_url,
        log_dir=tmp_path,
        extra_env={**LOOPBACK_CROWD_ENV, "HUZHU_WEB__TIME_ZONE": "Asia/Shanghai"},
    )
    try:
        yield live
    finally:
        live.stop()


@dataclass
class Shop:
    db: Database
    db_url: str
    fixture: ShopFixture
    people: dict[str, tuple[int, str]]

    def person(self, name: str) -> tuple[int, str]:
        """(account id, participant token), made on first use."""
        if name not in self.people:
            with self.db.unit_of_work() as s:
                self.people[name] = make_participant(
                    s, make_settings(self.db_url), shop_id=self.fixture.shop_id, name=name
                )
        return self.people[name]

    def token(self, name: str) -> str:
        return self.person(name)[1]

    def campaign(self, kind: str, rules: dict[str, Any]) -> int:
        with self.db.unit_of_work() as s:
            return make_campaign(s, shop_id=self.fixture.shop_id, kind=kind, rules=rules)[0]


@pytest.fixture
def shop(db_url: str) -> Iterator[Shop]:
    db = Database(make_settings(db_url).db)
    try:
        yield Shop(db, db_url, make_shop_with_roles(db, make_settings(db_url)), {})
    finally:
        db.dispose()


def _operator(server: LiveServer, shop: Shop) -> httpx.Client:
    client = server.client()
    client.cookies.set(OPERATOR_COOKIE, shop.fixture.tokens[Role.OWNER])
    return client


def _start(client: httpx.Client, token: str, campaign_id: int) -> int:
    made = client.post(f"/api/v1/campaigns/{campaign_id}/instances", headers=auth(token))
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _assist(client: httpx.Client, token: str, instance_id: int, *, person: bool = True) -> str:
    headers = auth(token) | (PHONE if person else {})
    given = client.post(f"/api/v1/instances/{instance_id}/assists", headers=headers)
    assert given.status_code in (200, 201, 202), given.text
    return str(given.json()["status"])


def _stat(page: str, key: str) -> str:
    found = re.search(rf'data-key="{key}"[^>]*>([^<]*)<', page)
    assert found, f"no {key} on the page"
    return found.group(1)


def test_bargain_figures_match_a_hand_counted_campaign(server: LiveServer, shop: Shop) -> None:
    """Two starters; five assists: three counted, one held (a library's user agent), one
    voided by an operator; three invites, and their recipients mute, block and report
    the sender — beside complaints that must not count (from someone never invited, and
    against a sender who never invited them)."""
    campaign_id = shop.campaign("bargain", BARGAIN_RULES)
    owner = shop.fixture.tokens[Role.OWNER]
    a, b = shop.token("starter-a"), shop.token("starter-b")
    with server.client() as api:
        ia = _start(api, a, campaign_id)
        ib = _start(api, b, campaign_id)
        assert _assist(api, shop.token("h1"), ia) == "counted"
        assert _assist(api, shop.token("h2"), ia) == "counted"
        assert _assist(api, shop.token("h3"), ia, person=False) == "held"
        assert _assist(api, shop.token("h4"), ib) == "counted"
        assert _assist(api, a, ib) == "counted"  # a starter helping: not a new participant
        rows = api.get(f"/api/v1/instances/{ia}/assists", headers=auth(owner)).json()["items"]
        h2 = next(r for r in rows if r["status"] == "counted" and r["slot"] == 1)
        voided = api.post(
            f"/api/v1/assists/{h2['id']}/void", headers=auth(owner), json={"reason": "a ring"}
        )
        assert voided.status_code == 200, voided.text

        recipients = {}
        for name in ("r1", "r2", "r3"):
            token = shop.token(name)
            prefs = api.put("/api/v1/me/invite-preferences", headers=auth(token), json=OPEN_ALL)
            assert prefs.status_code == 200, prefs.text
            recipients[name] = token
        sender_a = shop.person("starter-a")[0]
        for name in recipients:
            sent = api.post(
                f"/api/v1/instances/{ia}/invites",
                headers=auth(a),
                json={"recipient_id": shop.person(name)[0]},
            )
            assert sent.status_code == 201, (name, sent.text)
        assert api.put(f"/api/v1/me/mutes/{sender_a}", headers=auth(recipients["r1"])).is_success
        assert api.put(f"/api/v1/me/blocks/{sender_a}", headers=auth(recipients["r2"])).is_success
        reported = api.post(
            "/api/v1/reports",
            headers=auth(recipients["r3"]),
            json={"kind": "spam", "account_id": sender_a},
        )
        assert reported.status_code == 201, reported.text
        # Not complaints about this campaign's invites: h1 was never invited, and b never
        # invited r1.
        assert api.put(f"/api/v1/me/mutes/{sender_a}", headers=auth(shop.token("h1"))).is_success
        sender_b = shop.person("starter-b")[0]
        assert api.put(f"/api/v1/me/mutes/{sender_b}", headers=auth(recipients["r1"])).is_success

    with _operator(server, shop) as console:
        live = console.get(f"/console/campaigns/{campaign_id}/live.json")
        assert live.status_code == 200, live.text
        figures = live.json()
        page = console.get(f"/console/campaigns/{campaign_id}").text

    expected = {
        "instances": 2,
        "counted": 3,
        "held": 1,
        "voided": 1,
        "held_share": 0.2,
        "voided_share": 0.2,
        "invites_delivered": 3,
        "mutes": 1,
        "blocks": 1,
        "reports": 1,
        "complaints": 3,
        "complaints_per_1000": 1000.0,
        "starters": 2,
        "newcomers": 3,  # h1, h3 (held), h4; h2's only assist was voided
        "newcomers_gross": 4,
        "k_factor": 1.5,
        "k_factor_gross": 2.0,
    }
    assert {k: figures[k] for k in expected} == expected
    series = figures["series"]
    assert series["k_factor"][-1] == 1.5
    assert series["held_share"][-1] == 0.2
    assert len(series["at"]) == len(series["at_text"]) == len(series["complaints_per_1000"])
    # The page shows the same figures, formatted.
    assert _stat(page, "counted") == "3"
    assert _stat(page, "held_share") == "20.0%"
    assert _stat(page, "voided_share") == "20.0%"
    assert _stat(page, "k_factor") == "1.50"
    assert _stat(page, "k_factor_gross") == "2.00"
    assert _stat(page, "complaints_per_1000") == "1000.0"
    assert _stat(page, "invites_delivered") == "3"
    # The latest instances come in the same read as the numbers, and the table the poll
    # brings is the one the page was rendered with: rows and counts agree.
    latest = figures["latest"]
    assert len(latest) == figures["instances"]
    assert sum(i["counted_count"] for i in latest) == figures["counted"]
    assert sum(i["voided_count"] for i in latest) == figures["voided"]
    rows = re.findall(r'data-latest-row="(\d+)"', figures["latest_html"])
    assert rows == [str(i["id"]) for i in latest]
    assert figures["latest_html"].strip() in page


def test_group_buy_summary_counts_the_members_its_table_shows(
    server: LiveServer, shop: Shop
) -> None:
    """Two teams: one its leader alone, one with three members who joined. The summary
    says 3 joined — the sum of the table's column — and a member brought in by a team is
    a new participant (K = 3 members / 2 leaders)."""
    campaign_id = shop.campaign("groupbuy", GROUPBUY)
    with server.client() as api:
        teams = []
        for leader in ("lead-1", "lead-2"):
            token = shop.token(leader)
            opened = api.post(
                f"/api/v1/campaigns/{campaign_id}/teams",
                headers=confirmed(api, token, "open_team", campaign_id),
            )
            assert opened.status_code == 201, opened.text
            teams.append(opened.json()["team"]["team_id"])
        for member in ("m1", "m2", "m3"):
            token = shop.token(member)
            joined = api.post(
                f"/api/v1/teams/{teams[1]}/join",
                headers=confirmed(api, token, "join_team", teams[1]),
            )
            assert joined.status_code == 201, joined.text

    with _operator(server, shop) as console:
        figures = console.get(f"/console/campaigns/{campaign_id}/live.json").json()
        page = console.get(f"/console/campaigns/{campaign_id}").text

    assert (figures["instances"], figures["members"], figures["counted"]) == (2, 3, 0)
    assert (figures["starters"], figures["newcomers"], figures["k_factor"]) == (2, 3, 1.5)
    column = [int(n) for n in re.findall(r"data-members-joined>(\d+)<", page)]
    assert sorted(column) == [0, 3]
    assert _stat(page, "members") == str(sum(column)) == "3"
    assert 'data-key="counted"' not in page  # no assists summary on a group buy


def test_the_stamp_is_in_the_shops_zone_on_the_page_and_in_every_poll(
    server: LiveServer, shop: Shop
) -> None:
    campaign_id = shop.campaign("bargain", BARGAIN_RULES)
    with _operator(server, shop) as console:
        page = console.get(f"/console/campaigns/{campaign_id}").text
        figures = console.get(f"/console/campaigns/{campaign_id}/live.json").json()
    stamp = re.search(r"data-as-of>([^<]*)<", page)
    assert stamp
    assert stamp.group(1).endswith("(Asia/Shanghai)")
    assert figures["as_of_text"].endswith("(Asia/Shanghai)")
    # The machine's form stays UTC.
    assert datetime.fromisoformat(figures["as_of"]).utcoffset() == timedelta(0)


def test_figures_are_the_shops_own_and_need_a_signed_in_operator(
    server: LiveServer, shop: Shop, db_url: str
) -> None:
    campaign_id = shop.campaign("bargain", BARGAIN_RULES)
    other = make_shop_with_roles(shop.db, make_settings(db_url))
    with server.client() as anonymous:
        assert anonymous.get(f"/console/campaigns/{campaign_id}/live.json").status_code == 401
    with server.client() as stranger:
        stranger.cookies.set(OPERATOR_COOKIE, other.tokens[Role.OWNER])
        found = stranger.get(f"/console/campaigns/{campaign_id}/live.json")
    assert found.status_code == 404
    assert "k_factor" not in found.text
