"""Caps hold under concurrency over real HTTP: 50 joins at once from one person, each to
a different team, admit exactly what fits — their daily spend, their teams joined a day,
the cooling-off pace — on SQLite and on PostgreSQL with two workers; and a cap lowered
during the burst is honoured from the moment it is saved."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from huzhu.assists.groupbuy import service as groupbuy
from huzhu.assists.models import Purchase
from huzhu.assists.spending import service as spending
from huzhu.db import Database
from huzhu.guardrails.models import GuardrailCap
from huzhu.guardrails.rules import Cap
from huzhu.payments.service import LocalPaymentProvider
from tests.conftest import make_settings
from tests.factories import (
    auth,
    confirmation,
    confirmed,
    make_campaign,
    make_participant,
    make_shop,
)
from tests.support.servers import LiveServer, start_server

PRICE = 5_900
TEAMS = 50


@dataclass
class Burst:
    db: Database
    shop_id: int
    joiner_id: int
    joiner: str
    teams: list[int]


def _world(db_url: str) -> Burst:
    """50 teams of two, each opened by its own leader, and one person who will join."""
    settings = make_settings(db_url)
    db = Database(settings.db)
    with db.unit_of_work() as s:
        shop_id = make_shop(s)
        campaign_id, _ = make_campaign(
            s,
            shop_id=shop_id,
            kind="groupbuy",
            budget_cents=10**9,
            inventory_total=10**6,
            rules={
                "team_size": 2,
                "price_cents": 9_900,
                "group_price_cents": PRICE,
                "instance_ttl_seconds": 3600,
            },
        )
        joiner_id, joiner = make_participant(s, settings, shop_id=shop_id, name="joiner")
        leaders = [
            make_participant(s, settings, shop_id=shop_id, name=f"leader{i}")[0]
            for i in range(TEAMS)
        ]
    teams = []
    for leader in leaders:
        with db.unit_of_work() as s:
            team, _ = groupbuy.open_team(
                s,
                settings,
                LocalPaymentProvider(),
                shop_id=shop_id,
                campaign_id=campaign_id,
                leader_id=leader,
                confirmation=confirmation(
                    s,
                    settings,
                    shop_id=shop_id,
                    account_id=leader,
                    action="open_team",
                    target_id=campaign_id,
                ),
            )
            teams.append(team.id)
    return Burst(db=db, shop_id=shop_id, joiner_id=joiner_id, joiner=joiner, teams=teams)


def _serve(db_url: str, tmp_path: Path, **env: str) -> LiveServer:
    workers = 2 if db_url.startswith("postgresql") else 1
    return start_server(
        db_url=db_url, workers=workers, log_dir=tmp_path, extra_env=env, startup_seconds=120
    )


def _confirmations(server: LiveServer, burst: Burst) -> list[dict[str, str]]:
    with server.client() as client:
        return [confirmed(client, burst.joiner, "join_team", team) for team in burst.teams]


async def _join_all(url: str, burst: Burst, headers: list[dict[str, str]]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=TEAMS, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, timeout=90, limits=limits) as client:
        return await asyncio.gather(
            *(
                client.post(f"/api/v1/teams/{team}/join", headers=h)
                for team, h in zip(burst.teams, headers, strict=True)
            )
        )


def _joined(burst: Burst) -> list[Purchase]:
    with burst.db.unit_of_work() as s:
        return list(
            s.scalars(
                select(Purchase)
                .where(Purchase.account_id == burst.joiner_id)
                .order_by(Purchase.created_at)
            )
        )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("case", "env", "fits", "status", "code"),
    [
        # Seven orders of ¥59 fit a daily cap the person lowered to ¥413.
        ("spend", {"HUZHU_GUARDRAILS__COOLING_OFF_STEPS": "0"}, 7, 409, "cap_reached"),
        # The shop's default of 10 teams joined a day (¥590 is inside the ¥1,000 default).
        ("joins", {"HUZHU_GUARDRAILS__COOLING_OFF_STEPS": "0"}, 10, 409, "cap_reached"),
        # Five money steps within an hour, then the next one waits (the default pace).
        ("pace", {}, 5, 429, "cooling_off"),
    ],
)
def test_fifty_joins_at_once_admit_exactly_what_fits(
    db_url: str,
    tmp_path: Path,
    case: str,
    env: dict[str, str],
    fits: int,
    status: int,
    code: str,
) -> None:
    burst = _world(db_url)
    if case == "spend":
        with burst.db.unit_of_work() as s:
            spending.set_guardrails(
                s,
                make_settings(db_url),
                shop_id=burst.shop_id,
                account_id=burst.joiner_id,
                requested={Cap.DAILY_SPEND: 7 * PRICE},
            )
    server = _serve(db_url, tmp_path, **env)
    try:
        answers = asyncio.run(_join_all(server.url, burst, _confirmations(server, burst)))
    finally:
        server.stop()
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {201: fits, status: TEAMS - fits}, statuses
    refusals = [a.json() for a in answers if a.status_code == status]
    assert {r["code"] for r in refusals} == {code}
    if code == "cap_reached":
        cap = {"spend": "daily_spend_cents", "joins": "daily_joins"}[case]
        assert {r["cap"] for r in refusals} == {cap}
        assert {r["used"] for r in refusals} == {fits * (PRICE if case == "spend" else 1)}
        assert all("resets_at" in r and "limit" in r for r in refusals)
    else:
        assert all(a.headers["retry-after"].isdigit() for a in answers if a.status_code == 429)
    joined = _joined(burst)
    assert len(joined) == fits
    assert sum(p.amount_cents for p in joined) == fits * PRICE
    burst.db.dispose()


@pytest.mark.slow
def test_a_cap_lowered_during_a_burst_holds_from_the_moment_it_is_saved(
    db_url: str, tmp_path: Path
) -> None:
    """Caps wide enough for all 50 joins; the person lowers their daily cap to nothing as
    soon as a first join of a first wave of 25 is admitted, and a second wave of 25 is
    sent once the change is answered. No join admitted after the change was saved (the
    change and the steps take the same per-person lock), and the whole second wave is
    refused."""
    burst = _world(db_url)
    server = _serve(
        db_url,
        tmp_path,
        HUZHU_GUARDRAILS__COOLING_OFF_STEPS="0",
        HUZHU_GUARDRAILS__DAILY_JOINS="50",
        HUZHU_GUARDRAILS__DAILY_SPEND_CENTS=str(50 * PRICE),
    )
    try:
        headers = _confirmations(server, burst)
        half = TEAMS // 2

        async def run() -> tuple[list[httpx.Response], httpx.Response, list[httpx.Response]]:
            limits = httpx.Limits(max_connections=TEAMS + 1, max_keepalive_connections=0)
            async with httpx.AsyncClient(base_url=server.url, timeout=90, limits=limits) as c:
                admitted = asyncio.Event()

                async def join(team: int, h: dict[str, str]) -> httpx.Response:
                    answer = await c.post(f"/api/v1/teams/{team}/join", headers=h)
                    if answer.status_code == 201:
                        admitted.set()
                    return answer

                first = [
                    asyncio.ensure_future(join(t, h))
                    for t, h in zip(burst.teams[:half], headers[:half], strict=True)
                ]
                await asyncio.wait_for(admitted.wait(), 60)
                lowered = await c.put(
                    "/api/v1/me/guardrails",
                    json={"daily_spend_cents": 0},
                    headers=auth(burst.joiner),
                )
                second = await asyncio.gather(
                    *(join(t, h) for t, h in zip(burst.teams[half:], headers[half:], strict=True))
                )
                return list(await asyncio.gather(*first)), lowered, list(second)

        first, lowered, second = asyncio.run(run())
    finally:
        server.stop()
    assert lowered.status_code == 200, lowered.text
    assert [a.json()["code"] for a in second] == ["cap_reached"] * (TEAMS - half)
    assert {a.json()["cap"] for a in second} == {"daily_spend_cents"}
    with burst.db.unit_of_work() as s:
        saved_at = s.scalars(
            select(GuardrailCap.chosen_at).where(GuardrailCap.account_id == burst.joiner_id)
        ).one()
    joined = _joined(burst)
    assert len(joined) == sum(a.status_code == 201 for a in first) >= 1
    assert [p.id for p in joined if p.created_at > saved_at] == []
    assert {a.json()["code"] for a in first if a.status_code != 201} <= {"cap_reached"}
    burst.db.dispose()
