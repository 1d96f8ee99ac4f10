"""The world of the crash test: one shop with a campaign of each kind, people enough for
every story, lotteries already due to be drawn, and a webhook endpoint on a real local
receiver — and the traffic: concurrent stories of real clients over HTTP.

A story is what one group of people does, each step after the one before: a bargain is
started, five friends assist, its starter buys it; a team is opened and two members join;
an unlock is started and three friends assist (its reward is then paid by a job). Every
2xx answer to a write is recorded as acknowledged, with the id it named. A story whose
request fails in transport (the server was killed) stops there: that write was never
acknowledged, and the client does not know whether it happened.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.orm import Session

from huzhu.assists.lottery import service as lottery
from huzhu.assists.models import Instance
from huzhu.campaigns import service as campaigns
from huzhu.campaigns.models import LotterySecret
from huzhu.campaigns.rules.lottery import commitment_for
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.kit import clock, ids
from huzhu.notify import service as notify
from tests.assists.conftest import BARGAIN_RULES, LOTTERY_RULES, UNLOCK_RULES, write_instance
from tests.factories import auth, make_campaign, make_participant, make_shop
from tests.support.results_world import GROUPBUY_RULES

BARGAIN_HELPERS = int(BARGAIN_RULES["max_helpers"])
UNLOCK_HELPERS = int(UNLOCK_RULES["helpers_needed"])
TEAM_JOINERS = int(GROUPBUY_RULES["team_size"]) - 1
# Budgets that run out during the run, so the caps are tested under the crash too: the
# bargain's covers fewer starts than both phases try; the group buy's stock fewer orders
# than the second phase alone places (so it is reached however early the kill came).
BARGAIN_BUDGET_STARTS = 5
GROUPBUY_STOCK_ORDERS = 8
CAP_CODES = ("budget_exhausted", "out_of_stock")
LOTTERIES = 6
LOTTERY_ENTRANTS = 4


@dataclass
class CrashWorld:
    shop_id: int
    bargain_id: int
    groupbuy_id: int
    unlock_id: int
    lottery_ids: list[int]
    people: list[str]  # participant tokens, each used by one story only

    def tokens(self, n: int) -> list[str]:
        taken, self.people = self.people[:n], self.people[n:]
        assert len(taken) == n, "the world ran out of people"
        return taken


def due_lottery(
    session: Session, *, shop_id: int, entrants: list[int], minutes_ago: int = 5
) -> int:
    """A launched lottery past its draw time, its prize pool reserved, its seed committed,
    and entries that predate the draw: its draw job is due now."""
    seed_hex = ids.random_seed_hex()
    draw_at = clock.utcnow() - timedelta(minutes=minutes_ago)
    rules = {
        **LOTTERY_RULES,
        "draw_at": draw_at.isoformat(),
        "commitment_hex": commitment_for(seed_hex),
    }
    campaign = make_campaign(session, shop_id=shop_id, kind="lottery", rules=rules)
    session.add(
        LotterySecret(
            campaign_id=campaign[0],
            seed_hex=seed_hex,
            commitment_hex=commitment_for(seed_hex),
            created_at=clock.utcnow(),
        )
    )
    cents, units = campaigns.prize_pool(rules)
    assert campaigns.reserve(session, campaign_id=campaign[0], cents=cents, units=units)
    for account_id in entrants:
        instance_id = write_instance(
            session,
            shop_id=shop_id,
            campaign=campaign,
            kind="lottery",
            initiator_id=account_id,
            slots=[1, 1, 1],
        )
        session.execute(
            update(Instance)
            .where(Instance.id == instance_id)
            .values(created_at=draw_at - timedelta(minutes=5))
        )
    lottery.schedule_draw(session, campaign[0])
    return campaign[0]


def build_world(db: Database, settings: Settings, *, people: int, receiver_url: str) -> CrashWorld:
    floor = int(BARGAIN_RULES["price_cents"]) - int(BARGAIN_RULES["floor_cents"])
    group_subsidy = int(GROUPBUY_RULES["price_cents"]) - int(GROUPBUY_RULES["group_price_cents"])
    with db.unit_of_work() as s:
        shop_id = make_shop(s, slug=f"crash-{uuid.uuid4().hex[:8]}")
        notify.create_endpoint(s, settings, shop_id=shop_id, url=receiver_url)
        bargain_id, _ = make_campaign(
            s,
            shop_id=shop_id,
            kind="bargain",
            rules=BARGAIN_RULES,
            budget_cents=BARGAIN_BUDGET_STARTS * floor,
        )
        groupbuy_id, _ = make_campaign(
            s,
            shop_id=shop_id,
            kind="groupbuy",
            rules=GROUPBUY_RULES,
            budget_cents=GROUPBUY_STOCK_ORDERS * group_subsidy,
            inventory_total=GROUPBUY_STOCK_ORDERS,
        )
        unlock_id, _ = make_campaign(s, shop_id=shop_id, kind="unlock", rules=UNLOCK_RULES)
        tokens: list[str] = []
        accounts: list[int] = []
        for i in range(people + LOTTERIES * LOTTERY_ENTRANTS):
            account_id, token = make_participant(s, settings, shop_id=shop_id, name=f"p{i}")
            accounts.append(account_id)
            tokens.append(token)
        entrants = accounts[people:]
        lottery_ids = [
            due_lottery(
                s,
                shop_id=shop_id,
                entrants=entrants[i * LOTTERY_ENTRANTS : (i + 1) * LOTTERY_ENTRANTS],
            )
            for i in range(LOTTERIES)
        ]
    return CrashWorld(
        shop_id=shop_id,
        bargain_id=bargain_id,
        groupbuy_id=groupbuy_id,
        unlock_id=unlock_id,
        lottery_ids=lottery_ids,
        people=tokens[:people],
    )


# -- the traffic ----------------------------------------------------------------------


class Unanswered(Exception):
    """The request failed in transport: no answer, so nothing was acknowledged."""


@dataclass
class Acknowledged:
    """Every write the server acknowledged with a 2xx, by kind, with the id it named;
    `count` wakes whoever waits for the n-th acknowledgement."""

    starts: dict[int, str] = field(default_factory=dict)  # instance id → starter's token
    assists: dict[int, int] = field(default_factory=dict)  # assist id → instance id
    team_orders: dict[int, int] = field(default_factory=dict)  # purchase id → team id
    purchases: dict[int, int] = field(default_factory=dict)  # purchase id → instance id
    answers: list[int] = field(default_factory=list)  # every status code that came back
    refused: list[str] = field(default_factory=list)  # the code of every cap's refusal
    unanswered: int = 0
    count: int = 0
    changed: threading.Condition = field(default_factory=threading.Condition)

    def record(self, book: Callable[[], None]) -> None:
        with self.changed:
            book()
            self.count += 1
            self.changed.notify_all()

    def wait_for(self, n: int, *, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.count >= n, timeout=timeout)


class Client:
    """One person's HTTP client: no kept-alive sockets (a kill leaves them dead)."""

    def __init__(self, url: str, token: str, acked: Acknowledged) -> None:
        self.url = url
        self.token = token
        self.acked = acked

    def post(
        self,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        try:
            answer = httpx.post(
                f"{self.url}{path}",
                json=json,
                headers={**auth(self.token), **(headers or {})},
                timeout=60,
            )
        except httpx.TransportError as exc:
            with self.acked.changed:
                self.acked.unanswered += 1
            raise Unanswered(path) from exc
        with self.acked.changed:
            self.acked.answers.append(answer.status_code)
        return answer

    def confirmed(self, action: str, target_id: int) -> dict[str, str]:
        """The confirmation a money step needs, as the page asks for it."""
        answer = self.post(
            "/api/v1/me/confirmations", json={"action": action, "target_id": target_id}
        )
        assert answer.status_code == 200, answer.text
        token = answer.json()["token"]
        return {"Huzhu-Confirmation": token} if token is not None else {}


def _assists(url: str, acked: Acknowledged, instance_id: int, helpers: list[str]) -> None:
    """Each helper assists once: counted (inline scoring is off in the tests)."""
    for helper in helpers:
        given = Client(url, helper, acked).post(f"/api/v1/instances/{instance_id}/assists")
        assert given.status_code == 201, given.text
        assist_id = int(given.json()["assist_id"])
        acked.record(lambda a=assist_id: acked.assists.__setitem__(a, instance_id))


def _refused_by_a_cap(acked: Acknowledged, answer: httpx.Response) -> bool:
    """A 409 because the budget or stock is spent: refused whole, nothing held."""
    if answer.status_code != 409:
        return False
    code = answer.json()["code"]
    assert code in CAP_CODES, answer.text
    with acked.changed:
        acked.refused.append(code)
    return True


def _started(url: str, acked: Acknowledged, starter: Client, campaign_id: int) -> int | None:
    started = starter.post(f"/api/v1/campaigns/{campaign_id}/instances")
    if _refused_by_a_cap(acked, started):
        return None
    assert started.status_code == 201, started.text
    instance_id = int(started.json()["id"])
    acked.record(lambda: acked.starts.__setitem__(instance_id, starter.token))
    return instance_id


def bargain_story(world: CrashWorld, url: str, acked: Acknowledged, tokens: list[str]) -> None:
    starter = Client(url, tokens[0], acked)
    instance_id = _started(url, acked, starter, world.bargain_id)
    if instance_id is None:
        return
    _assists(url, acked, instance_id, tokens[1:])  # the fifth reaches the floor
    headers = starter.confirmed("buy_bargain", instance_id)
    bought = starter.post(f"/api/v1/instances/{instance_id}/purchase", headers=headers)
    assert bought.status_code == 201, bought.text
    purchase_id = int(bought.json()["id"])
    acked.record(lambda: acked.purchases.__setitem__(purchase_id, instance_id))


def unlock_story(world: CrashWorld, url: str, acked: Acknowledged, tokens: list[str]) -> None:
    instance_id = _started(url, acked, Client(url, tokens[0], acked), world.unlock_id)
    if instance_id is not None:
        _assists(url, acked, instance_id, tokens[1:])


def _order(acked: Acknowledged, person: Client, *, path: str, action: str, target_id: int) -> int:
    """Place a team order (open or join), confirmed; the team id, or 0 if a cap refused."""
    placed = person.post(path, headers=person.confirmed(action, target_id))
    if _refused_by_a_cap(acked, placed):
        return 0
    assert placed.status_code == 201, placed.text
    team_id, order_id = int(placed.json()["team"]["team_id"]), placed.json()["order"]["purchase_id"]
    acked.record(lambda: acked.team_orders.__setitem__(int(order_id), team_id))
    return team_id


def team_story(world: CrashWorld, url: str, acked: Acknowledged, tokens: list[str]) -> None:
    campaign_id = world.groupbuy_id
    leader = Client(url, tokens[0], acked)
    opening = f"/api/v1/campaigns/{campaign_id}/teams"
    team_id = _order(acked, leader, path=opening, action="open_team", target_id=campaign_id)
    for token in tokens[1:] if team_id else []:
        member = Client(url, token, acked)
        joining = f"/api/v1/teams/{team_id}/join"
        if not _order(acked, member, path=joining, action="join_team", target_id=team_id):
            return


Story = Callable[[CrashWorld, str, Acknowledged, list[str]], None]
STORIES: tuple[tuple[Story, int], ...] = (
    (bargain_story, 1 + BARGAIN_HELPERS),
    (team_story, 1 + TEAM_JOINERS),
    (unlock_story, 1 + UNLOCK_HELPERS),
)


def run_stories(
    world: CrashWorld, url: str, acked: Acknowledged, *, rounds: int, threads: int
) -> list[BaseException]:
    """`rounds` of each kind of story, interleaved, on `threads` clients at once. Returns
    what went wrong other than an unanswered request (an assertion, a 5xx)."""
    plan = [(story, world.tokens(n)) for _ in range(rounds) for story, n in STORIES]
    problems: list[BaseException] = []

    def run(story: Story, tokens: list[str]) -> None:
        try:
            story(world, url, acked, tokens)
        except Unanswered:
            pass
        except BaseException as exc:  # reported by the test, with every other one
            problems.append(exc)

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="story") as pool:
        for story, tokens in plan:
            pool.submit(run, story, tokens)
    return problems
