"""A shop whose campaigns have come to something, served by a real server with its job
runner off (so the tests decide when a reward is paid): a drawn lottery with four
entrants (three prizes: one of them did not win), an unlock its starter filled (its
reward won, not yet paid), a lottery past its draw time and not drawn, an ended
campaign, one live bargain anyone may start — and a participant of another shop."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

import huzhu.all_tasks  # noqa: F401  (the job runner pays the reward)
from huzhu.assists.lottery import service as lottery
from huzhu.campaigns import service as campaigns
from huzhu.campaigns.models import LotterySecret
from huzhu.campaigns.rules.lottery import commitment_for
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.jobs.runner import JobRunner
from huzhu.kit import clock, ids
from tests.assists.conftest import BARGAIN_RULES, LOTTERY_RULES, UNLOCK_RULES
from tests.conftest import make_settings
from tests.factories import auth, confirmed, make_campaign, make_participant, make_shop
from tests.support.servers import LiveServer, start_server


@dataclass
class ResultsWorld:
    server: LiveServer
    settings: Settings
    db: Database
    shop_slug: str
    lottery_id: int
    entrants: list[tuple[int, str]]  # (account id, token) of the four entrants
    winner_ids: set[int]
    loser_id: int
    unlock_id: int
    unlock_instance_id: int
    unlock_starter: str  # token
    closing_lottery_id: int  # past its draw time, not drawn
    ended_id: int
    open_id: int
    bargain_instance_id: int  # started in the open bargain, one assist counted
    bargain_starter: str
    team_campaign_id: int
    team_id: int  # a group-buy team of three with two members
    team_leader: str
    team_member: str  # joined the team (did not open it)
    stranger: str  # a participant token of another shop

    @property
    def url(self) -> str:
        return self.server.url

    def get(self, path: str, *, token: str | None = None, lang: str = "en") -> httpx.Response:
        headers = {"Accept-Language": lang}
        cookies = {"huzhu_p": token} if token else None
        return httpx.get(f"{self.url}{path}", headers=headers, cookies=cookies, timeout=30)

    def api(self, path: str, *, token: str | None = None) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", headers=auth(token) if token else {}, timeout=30)

    def pay_rewards(self) -> int:
        """Run the due jobs here (the server's runner is off): the reward is paid."""
        return JobRunner(self.db, self.settings, worker_id="results-test").run_due()


PRIZES = [
    {"name": "bike", "value_cents": 50_000, "quantity": 1},
    {"name": "mug", "value_cents": 1_000, "quantity": 2},
]
GROUPBUY_RULES: dict[str, Any] = {
    "instance_ttl_seconds": 3600,
    "daily_assists_per_helper": 5,
    "reference_price_cents": 9_900,
    "team_size": 3,
    "price_cents": 9_900,
    "group_price_cents": 5_900,
}
ASSISTS = (0, 1, 2, 0)  # each entrant's counted assists: 1, 2, 3 and 1 entries


def _post(url: str, token: str) -> dict[str, Any]:
    answer = httpx.post(url, headers=auth(token), timeout=30)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


@contextmanager
def results_world(db_url: str, log_dir: Path) -> Iterator[ResultsWorld]:
    settings = make_settings(db_url)
    db = Database(settings.db)
    slug = f"results-{uuid.uuid4().hex[:8]}"
    seed_hex = ids.random_seed_hex()
    with db.unit_of_work() as s:
        shop_id = make_shop(s, slug=slug)
        lottery_id, _ = make_campaign(
            s,
            shop_id=shop_id,
            kind="lottery",
            rules={
                **LOTTERY_RULES,
                "draw_at": (clock.utcnow() + timedelta(hours=1)).isoformat(),
                "entry_cap": 5,
                "prizes": PRIZES,
                "commitment_hex": commitment_for(seed_hex),
            },
        )
        s.add(
            LotterySecret(
                campaign_id=lottery_id,
                seed_hex=seed_hex,
                commitment_hex=commitment_for(seed_hex),
                created_at=clock.utcnow(),
            )
        )
        assert campaigns.reserve(s, campaign_id=lottery_id, cents=52_000, units=3)
        entrants = [make_participant(s, settings, shop_id=shop_id, name=f"e{i}") for i in range(4)]
        helpers = [
            make_participant(s, settings, shop_id=shop_id, name=f"helper{i}")[1] for i in range(6)
        ]
        unlock_id, _ = make_campaign(s, shop_id=shop_id, kind="unlock", rules=UNLOCK_RULES)
        closing_id, _ = make_campaign(
            s,
            shop_id=shop_id,
            kind="lottery",
            rules={**LOTTERY_RULES, "draw_at": clock.utcnow().isoformat()},
        )
        ended_id, _ = make_campaign(
            s, shop_id=shop_id, kind="bargain", rules=BARGAIN_RULES, status="ended"
        )
        open_id, _ = make_campaign(s, shop_id=shop_id, kind="bargain", rules=BARGAIN_RULES)
        groupbuy_id, _ = make_campaign(s, shop_id=shop_id, kind="groupbuy", rules=GROUPBUY_RULES)
        starter = make_participant(s, settings, shop_id=shop_id, name="u-starter")[1]
        bargain_starter = make_participant(s, settings, shop_id=shop_id, name="b-starter")[1]
        leader = make_participant(s, settings, shop_id=shop_id, name="g-leader")[1]
        member = make_participant(s, settings, shop_id=shop_id, name="g-member")[1]
        stranger = make_participant(s, settings, shop_id=make_shop(s), name="stranger")[1]
    server = start_server(
        db_url=db_url, log_dir=log_dir, extra_env={"HUZHU_JOBS__RUN_IN_PROCESS": "false"}
    )
    api = f"{server.url}/api/v1"
    try:
        # Every entry and the unlock's assists through the real routes and hot path.
        helping = iter(helpers)
        for (_, token), count in zip(entrants, ASSISTS, strict=True):
            instance = _post(f"{api}/campaigns/{lottery_id}/instances", token)
            for _ in range(count):
                _post(f"{api}/instances/{instance['id']}/assists", next(helping))
        unlock_instance = _post(f"{api}/campaigns/{unlock_id}/instances", starter)["id"]
        for helper in helpers[: UNLOCK_RULES["helpers_needed"]]:
            _post(f"{api}/instances/{unlock_instance}/assists", helper)
        bargain = _post(f"{api}/campaigns/{open_id}/instances", bargain_starter)["id"]
        _post(f"{api}/instances/{bargain}/assists", helpers[-1])
        with server.client() as client:
            opened = client.post(
                f"/api/v1/campaigns/{groupbuy_id}/teams",
                headers=confirmed(client, leader, "open_team", groupbuy_id),
            )
            assert opened.status_code == 201, opened.text
            team_id = int(opened.json()["team"]["team_id"])
            joined = client.post(
                f"/api/v1/teams/{team_id}/join",
                headers=confirmed(client, member, "join_team", team_id),
            )
            assert joined.status_code == 201, joined.text
        # The draw, in this process at its draw time (the server's runner is off).
        clock.advance(3601)
        with db.unit_of_work() as s:
            assert lottery.draw(s, settings, campaign_id=lottery_id) is not None
        clock.reset()
        record: dict[str, Any] = httpx.get(f"{api}/campaigns/{lottery_id}/draw", timeout=30).json()
        by_entrant = {
            lottery.entrant_id(settings, campaign_id=lottery_id, account_id=a): a
            for a, _ in entrants
        }
        winner_ids = {by_entrant[w["entrant"]] for w in record["winners"]}
        (loser_id,) = {a for a, _ in entrants} - winner_ids
        yield ResultsWorld(
            server=server,
            settings=settings,
            db=db,
            shop_slug=slug,
            lottery_id=lottery_id,
            entrants=entrants,
            winner_ids=winner_ids,
            loser_id=loser_id,
            unlock_id=unlock_id,
            unlock_instance_id=int(unlock_instance),
            unlock_starter=starter,
            closing_lottery_id=closing_id,
            ended_id=ended_id,
            open_id=open_id,
            bargain_instance_id=int(bargain),
            bargain_starter=bargain_starter,
            team_campaign_id=groupbuy_id,
            team_id=team_id,
            team_leader=leader,
            team_member=member,
            stranger=stranger,
        )
    finally:
        server.stop()
        db.dispose()
