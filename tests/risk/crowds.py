"""The crowds of the farm-or-friends tests, played over HTTP through the real hot path.

`World` is one shop with one bargain campaign (at most eight helpers an activity), an
analyst, and the app served by uvicorn over a real socket (tests/support/servers.py
`serve_in_thread`): each person connects from their own loopback address (127.a.b.c, so
the server sees their /24 as a network) and sends their own phone's id. Plans are (open
at, assist at, helper, activity) in seconds from the start of play; `World.play` moves
the app clock, which the server in this process shares, to each step, never sleeping.
Three crowds:

- a device farm: fresh accounts, a few to a phone, every phone behind one /24, tapping
  a second or less after each open, in crews that work their owners' activities —
  every account on every activity of its crew, or each on only a third of them;
- a mutual-help group (互助群): strangers each on their own phone and network, each with
  an activity of their own, helping the next eight who posted, reading before they tap;
- honest friend circles: small groups of old friends helping each other over days, and
  households that share a phone among two or three accounts behind one carrier network.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import httpx
import numpy as np
from sqlalchemy import select

from huzhu.accounts.rules import Role
from huzhu.accounts.service import create_operator, get_account, issue_participant_token
from huzhu.app import create_app
from huzhu.assists.models import Assist
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.enforcement.models import EnforcementAction
from huzhu.jobs.runner import JobRunner
from huzhu.kit import clock
from huzhu.kit.i18n import LANG_COOKIE
from huzhu.risk.review.models import ReviewCase
from huzhu.web.security import OPERATOR_COOKIE
from tests.assists.conftest import BARGAIN_RULES, write_instance
from tests.factories import PASSWORD, auth, make_campaign, make_participant, make_shop
from tests.support.servers import ThreadServer, serve_in_thread

PHONE = {
    "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) MicroMessenger/8.0.50",
    "Accept-Language": "zh-CN,zh;q=0.9",
}
MAX_HELPERS = 8
CUT = 100  # cents per slot
DAY = 86_400
SIGNIFICANCE = 6.0  # auto-confirm above 1e-6 by chance


@dataclass
class Person:
    account_id: int
    joined_at: datetime
    device: str
    host: str  # the loopback address (127.a.b.c) they connect from


@dataclass
class Crowd:
    members: list[Person]
    instances: list[int] = field(default_factory=list)


@dataclass(order=True)
class Step:
    at: float
    order: int  # an open before its assist at the same instant
    helper: Person = field(compare=False)
    instance: int = field(compare=False)


class PeopleAndActivities:
    """People on their own network and phone, and bargain activities each with a share
    link, over the app's HTTP interface: what both the scan's tests (World below) and
    the inline screen's (test_inline_groups_http.py) play with."""

    db: Database
    settings: Settings
    server: ThreadServer
    shop_id: int
    campaign: tuple[int, int]
    links: dict[int, str]
    made: int  # people made so far: their names' numbers
    analyst_email: str

    def people(self, prefix: str, hosts: list[str], devices: list[str]) -> list[Person]:
        found = []
        with self.db.unit_of_work() as s:
            for host, device in zip(hosts, devices, strict=True):
                self.made += 1
                account_id, _ = make_participant(
                    s, self.settings, shop_id=self.shop_id, name=f"{prefix}{self.made}"
                )
                account = get_account(s, account_id)
                assert account is not None
                found.append(Person(account_id, account.created_at, device, host))
        return found

    def token(self, person: Person) -> str:
        """A token of today (a month-old one has expired), saying when they joined."""
        return issue_participant_token(
            self.settings,
            shop_id=self.shop_id,
            account_id=person.account_id,
            joined_at=person.joined_at,
        )[0]

    def activity(self, owner: Person, *, helpers: int = MAX_HELPERS) -> int:
        with self.db.unit_of_work() as s:
            instance = write_instance(
                s,
                shop_id=self.shop_id,
                campaign=self.campaign,
                kind="bargain",
                initiator_id=owner.account_id,
                slots=[CUT] * helpers,
                ttl=3 * DAY,
            )
        r = self.http(owner).post(
            f"/api/v1/instances/{instance}/share-links",
            headers={**self.phone(owner), **auth(self.token(owner))},
            json={"channel": "friend"},
        )
        assert r.status_code == 201, r.text
        self.links[instance] = r.json()["token"]
        return instance

    def http(self, person: Person | None = None) -> httpx.Client:
        """A client connecting from the person's own address (None: 127.0.0.1, the
        analyst's)."""
        return self.server.client(person.host) if person else self.server.client()

    def phone(self, person: Person) -> dict[str, str]:
        """What the person's phone sends with every request."""
        return {**PHONE, "X-Huzhu-Device": person.device}

    def add_analyst(self) -> None:
        with self.db.unit_of_work() as s:
            self.analyst_email = f"analyst-{self.shop_id}-{uuid.uuid4().hex[:6]}@example.test"
            create_operator(
                s,
                shop_id=self.shop_id,
                email=self.analyst_email,
                display_name="analyst",
                password=PASSWORD,
                role=Role.ANALYST,
            )

    def sign_in_analyst(self) -> str:
        """The analyst signs in (afresh: play may have moved the clock by a month)."""
        r = self.http().post(
            "/api/v1/auth/login", json={"email": self.analyst_email, "password": PASSWORD}
        )
        assert r.status_code == 200, r.text
        token = r.json()["token"]
        assert isinstance(token, str)
        return token

    def case_page(self, case_id: int, *, analyst: str, lang: str) -> str:
        """The console's page of a review case, as the analyst reads it in `lang`."""
        cookies = f"{OPERATOR_COOKIE}={analyst}; {LANG_COOKIE}={lang}"
        page = self.http().get(f"/console/review/{case_id}", headers={"Cookie": cookies})
        assert page.status_code == 200, page.text
        return page.text

    def stop(self) -> None:
        """Shut the server down: its lifespan waits for the review cases it opens in the
        background, so what they wrote can be read after."""
        self.server.stop()


def serve(settings: Settings) -> ThreadServer:
    """The app these settings make, on a real socket in a thread of this process."""
    return serve_in_thread(create_app(settings))


class World(PeopleAndActivities):
    def __init__(self, db: Database, settings: Settings, server: ThreadServer) -> None:
        self.db, self.settings, self.server = db, settings, server
        with db.unit_of_work() as s:
            self.shop_id = make_shop(s)
            self.campaign = make_campaign(
                s,
                shop_id=self.shop_id,
                kind="bargain",
                rules={
                    **BARGAIN_RULES,
                    "max_helpers": MAX_HELPERS,
                    "floor_cents": BARGAIN_RULES["price_cents"] - MAX_HELPERS * CUT,
                    "daily_assists_per_helper": 50,
                    "instance_ttl_seconds": 3 * DAY,
                },
            )
        self.add_analyst()
        self.links: dict[int, str] = {}
        self.opens: dict[tuple[int, int], int] = {}
        self.made = 0

    def play(self, plan: list[tuple[float, float, Person, int]]) -> None:
        """Each (open at, assist at, helper, instance), in time order: the clock moves to
        each step (no sleeping), the helper opens the share, later assists through it."""
        steps = []
        for opened, tapped, helper, instance in plan:
            steps.append(Step(opened, 0, helper, instance))
            steps.append(Step(tapped, 1, helper, instance))
        start = clock.utcnow()
        for step in sorted(steps):
            clock.advance((start + timedelta(seconds=step.at) - clock.utcnow()).total_seconds())
            client, headers = self.http(step.helper), self.phone(step.helper)
            share = self.links[step.instance]
            key = (step.helper.account_id, step.instance)
            if step.order == 0:
                r = client.post(f"/api/v1/shares/{share}/open", headers=headers)
                assert r.status_code == 201, r.text
                self.opens[key] = r.json()["open_id"]
                continue
            r = client.post(
                f"/api/v1/instances/{step.instance}/assists",
                params={"share": share, "share_open": self.opens[key]},
                headers={**headers, **auth(self.token(step.helper))},
            )
            assert r.status_code in (201, 202), r.text


Plan = list[tuple[float, float, Person, int]]
Spread = Literal["all", "third"]


def farm(
    world: World,
    rng: np.random.Generator,
    *,
    accounts: int,
    phones: int,
    tap: tuple[float, float],
    spread: Spread,
) -> tuple[Crowd, Plan]:
    """Fresh accounts, `accounts / phones` to a phone, all on 127.66.0.0/24, in crews on
    their own phones working their own owners' activities. `spread` "all": crews of up
    to eight, four activities each, every account on every activity of its crew;
    "third": crews of up to 24, twelve activities each, each activity taking a third of
    the crew (at most eight) in turn, so every account works four of the twelve. The
    helpers of an activity come a few seconds apart, each tapping `tap` seconds after
    its open; an activity every ten minutes."""
    per_phone = math.ceil(accounts / phones)
    crowd = Crowd(
        world.people(
            "farm",
            [f"127.66.0.{k + 1}" for k in range(accounts)],
            [f"farm-phone-{k // per_phone}" for k in range(accounts)],
        )
    )
    largest, activities = (MAX_HELPERS, 4) if spread == "all" else (3 * MAX_HELPERS, 12)
    n_crews = math.ceil(accounts / largest)
    cut = [round(c * accounts / n_crews) for c in range(n_crews + 1)]
    plan: Plan = []
    at = 3600.0
    for c in range(n_crews):
        crew = crowd.members[cut[c] : cut[c + 1]]
        per_activity = len(crew) if spread == "all" else min(MAX_HELPERS, len(crew) // 3)
        turn = [crew[k] for k in rng.permutation(len(crew)).tolist()]
        owners = world.people(
            "owner",
            [f"127.70.{len(crowd.instances) + k}.9" for k in range(activities)],
            [f"owner-{len(crowd.instances) + k}" for k in range(activities)],
        )
        for j, owner in enumerate(owners):
            instance = world.activity(owner)
            crowd.instances.append(instance)
            helpers = [turn[(j * per_activity + k) % len(crew)] for k in range(per_activity)]
            for helper in helpers:
                at += float(rng.uniform(3.0, 15.0))
                plan.append((at, at + float(rng.uniform(*tap)), helper, instance))
            at += 600.0
    return crowd, plan


def mutual_help_members(world: World, members: int) -> Crowd:
    """Strangers, each on their own phone and network."""
    return Crowd(
        world.people(
            "group",
            [f"127.{100 + k // 200}.{k % 200}.7" for k in range(members)],
            [f"group-phone-{k}" for k in range(members)],
        )
    )


def mutual_help(
    world: World, rng: np.random.Generator, crowd: Crowd, *, read: tuple[float, float]
) -> Plan:
    """Each member posts their activity in the group within an evening; the next eight
    who posted help, each a few minutes after the post, reading `read` seconds before
    tapping."""
    members = len(crowd.members)
    crowd.instances = [world.activity(person) for person in crowd.members]
    posted = np.sort(rng.uniform(2 * 3600.0, 5 * 3600.0, members))
    plan: Plan = []
    helpers = min(MAX_HELPERS, members - 1)
    for j, instance in enumerate(crowd.instances):
        for i in range(1, helpers + 1):
            helper = crowd.members[(j + i) % members]
            opened = float(posted[j] + rng.exponential(300.0))
            plan.append((opened, opened + float(rng.uniform(*read)), helper, instance))
    return plan


def friend_circles(world: World, *, circles: int, size: int) -> Crowd:
    """Old friends, each on their own phone and network."""
    return Crowd(
        world.people(
            "friend",
            [f"127.{150 + k // 200}.{k % 200}.3" for k in range(circles * size)],
            [f"friend-phone-{k}" for k in range(circles * size)],
        )
    )


def households(world: World, *, people: int, per_phone: int) -> Crowd:
    """Families passing a phone around (`per_phone` accounts to each), every home behind
    one carrier's /24."""
    return Crowd(
        world.people(
            "home",
            [f"127.88.0.{k + 1}" for k in range(people)],
            [f"home-phone-{k // per_phone}" for k in range(people)],
        )
    )


def friends(world: World, rng: np.random.Generator, crowd: Crowd, *, size: int) -> Plan:
    """Each friend's activity helped by the others of their circle over two days."""
    people = crowd.members
    circles = len(people) // size
    plan: Plan = []
    for c in range(circles):
        circle = people[c * size : (c + 1) * size]
        for owner in circle:
            instance = world.activity(owner)
            crowd.instances.append(instance)
            for helper in circle:
                if helper is not owner:
                    opened = float(rng.uniform(3600.0, 2 * DAY))
                    plan.append((opened, opened + float(rng.uniform(5.0, 120.0)), helper, instance))
    return plan


def scan_after_the_hour(world: World) -> None:
    """The scheduled scan of the next hour after play, by the job runner as a worker
    runs it (the periodic check plans it, the plan queues the shop's scan)."""
    clock.advance(3 * DAY)
    runner = JobRunner(world.db, world.settings)
    runner.run_periodic(force=True)
    runner.run_due()


def assists_of(world: World, crowd: Crowd) -> list[Assist]:
    ids = [p.account_id for p in crowd.members]
    with world.db.unit_of_work() as s:
        rows = list(s.scalars(select(Assist).where(Assist.helper_id.in_(ids))))
        s.expunge_all()
    return rows


def enforced(world: World, crowd: Crowd) -> list[int]:
    ids = [p.account_id for p in crowd.members]
    with world.db.unit_of_work() as s:
        return list(
            s.scalars(
                select(EnforcementAction.account_id).where(EnforcementAction.account_id.in_(ids))
            )
        )


def cases_about(world: World, crowd: Crowd) -> list[ReviewCase]:
    ids = {p.account_id for p in crowd.members}
    with world.db.unit_of_work() as s:
        rows = list(s.scalars(select(ReviewCase).where(ReviewCase.kind == "fraud_ring")))
        s.expunge_all()
    return [c for c in rows if ids.intersection(c.subject_account_ids or [])]


def group_of(case: ReviewCase) -> dict[str, Any]:
    group = (case.evidence or {})["group"]
    assert isinstance(group, dict)
    return group
