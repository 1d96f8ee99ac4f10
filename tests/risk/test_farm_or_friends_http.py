"""Farm or friends, over HTTP through the real hot path, then the scheduled scan.

Three crowds share one bargain campaign (at most 8 helpers an activity):

- a device farm: fresh accounts, four to a phone, every phone behind one /24, opening
  each link and tapping within a second or two, working the activities of its owners in
  bursts;
- a mutual-help group (互助群): strangers each on their own phone and network, each with
  an activity of their own, helping the next eight who posted, reading before they tap;
- honest friend circles: small groups of old friends helping each other over days.

After the hourly scan (auto-confirm on), the farm's case is confirmed by rule with its
evidence named and its assists voided (at most 5% still counted); the mutual-help group
is at most reported as a likely mutual-help group, never confirmed, none of its assists
voided and none of its members enforced; the friends are untouched. Sizes are halved and
doubled and the timings varied. The app sees each person's own address: the test client
names the peer per request, as a server sees distinct clients."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import huzhu.all_tasks  # noqa: F401  (a worker's handlers: the scheduled scan among them)
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
from huzhu.risk.review import service as review
from huzhu.risk.review.errors import MutualHelpNeedsAnalyst
from huzhu.risk.review.models import ReviewCase
from huzhu.web.security import OPERATOR_COOKIE
from tests.assists.conftest import BARGAIN_RULES, write_instance
from tests.conftest import make_settings
from tests.factories import PASSWORD, auth, make_campaign, make_participant, make_shop

PHONE = {
    "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) MicroMessenger/8.0.50",
    "Accept-Language": "zh-CN,zh;q=0.9",
}
MAX_HELPERS = 8
CREW = 12
CUT = 100  # cents per slot
DAY = 86_400
SIGNIFICANCE = 6.0  # auto-confirm above 1e-6 by chance


@dataclass
class Person:
    account_id: int
    joined_at: datetime
    device: str
    host: str


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


class World:
    def __init__(self, db: Database, settings: Settings, client: TestClient) -> None:
        self.db, self.settings, self.client = db, settings, client
        with db.unit_of_work() as s:
            self.shop_id = make_shop(s)
            email = f"analyst-{self.shop_id}-{uuid.uuid4().hex[:6]}@example.test"
            create_operator(
                s,
                shop_id=self.shop_id,
                email=email,
                display_name="analyst",
                password=PASSWORD,
                role=Role.ANALYST,
            )
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
        self.analyst_email = email
        self.links: dict[int, str] = {}
        self.opens: dict[tuple[int, int], int] = {}
        self._n = 0

    def people(self, prefix: str, hosts: list[str], devices: list[str]) -> list[Person]:
        found = []
        with self.db.unit_of_work() as s:
            for host, device in zip(hosts, devices, strict=True):
                self._n += 1
                account_id, _ = make_participant(
                    s, self.settings, shop_id=self.shop_id, name=f"{prefix}{self._n}"
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

    def activity(self, owner: Person) -> int:
        with self.db.unit_of_work() as s:
            instance = write_instance(
                s,
                shop_id=self.shop_id,
                campaign=self.campaign,
                kind="bargain",
                initiator_id=owner.account_id,
                slots=[CUT] * MAX_HELPERS,
                ttl=3 * DAY,
            )
        r = self.client.post(
            f"/api/v1/instances/{instance}/share-links",
            headers=auth(self.token(owner)),
            json={"channel": "friend"},
        )
        assert r.status_code == 201, r.text
        self.links[instance] = r.json()["token"]
        return instance

    def _as(self, person: Person) -> dict[str, str]:
        # The peer address the app sees for this request (TestClient names one peer).
        self.client._transport.client = (person.host, 50_000)  # type: ignore[attr-defined]
        return {**PHONE, "X-Huzhu-Device": person.device}

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
            headers = self._as(step.helper)
            share = self.links[step.instance]
            key = (step.helper.account_id, step.instance)
            if step.order == 0:
                r = self.client.post(f"/api/v1/shares/{share}/open", headers=headers)
                assert r.status_code == 201, r.text
                self.opens[key] = r.json()["open_id"]
                continue
            r = self.client.post(
                f"/api/v1/instances/{step.instance}/assists",
                params={"share": share, "share_open": self.opens[key]},
                headers={**headers, **auth(self.token(step.helper))},
            )
            assert r.status_code in (201, 202), r.text


def farm(
    world: World, rng: np.random.Generator, *, accounts: int, phones: int, tap: tuple[float, float]
) -> tuple[Crowd, list[tuple[float, float, Person, int]]]:
    """Fresh accounts, `accounts / phones` to a phone, all on 10.66.0.0/24; each activity
    of its owners gets eight of a crew's accounts, one every few seconds, each tapping
    `tap` seconds after its open; an activity every ten minutes."""
    per_phone = -(-accounts // phones)
    crowd = Crowd(
        world.people(
            "farm",
            [f"10.66.0.{k + 1}" for k in range(accounts)],
            [f"farm-phone-{k // per_phone}" for k in range(accounts)],
        )
    )
    activities = max(4, accounts // 2)
    owners = world.people(
        "owner",
        [f"10.70.{k}.9" for k in range(activities)],
        [f"owner-{k}" for k in range(activities)],
    )
    crowd.instances = [world.activity(owner) for owner in owners]
    plan = []
    # A farm grows by crews of at most a dozen accounts, each crew on its own phones,
    # working its own activities with eight of its accounts picked for each.
    crew_size = min(accounts, CREW)
    per_activity = min(MAX_HELPERS, crew_size)
    crews = [crowd.members[c : c + crew_size] for c in range(0, accounts, crew_size)]
    per_crew = len(crowd.instances) // len(crews)
    for j, instance in enumerate(crowd.instances):
        crew = crews[min(j // per_crew, len(crews) - 1)]
        at = 3600.0 + j * 600.0
        for k in rng.choice(len(crew), per_activity, replace=False).tolist():
            at += float(rng.uniform(3.0, 15.0))
            plan.append((at, at + float(rng.uniform(*tap)), crew[k], instance))
    return crowd, plan


def mutual_help_members(world: World, members: int) -> Crowd:
    """Strangers, each on their own phone and network."""
    return Crowd(
        world.people(
            "group",
            [f"10.{100 + k // 200}.{k % 200}.7" for k in range(members)],
            [f"group-phone-{k}" for k in range(members)],
        )
    )


def mutual_help(
    world: World, rng: np.random.Generator, crowd: Crowd, *, read: tuple[float, float]
) -> list[tuple[float, float, Person, int]]:
    """Each member posts their activity in the group within an evening; the next eight
    who posted help, each a few minutes after the post, reading `read` seconds before
    tapping."""
    members = len(crowd.members)
    crowd.instances = [world.activity(person) for person in crowd.members]
    posted = np.sort(rng.uniform(2 * 3600.0, 5 * 3600.0, members))
    plan = []
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
            [f"10.{150 + k // 200}.{k % 200}.3" for k in range(circles * size)],
            [f"friend-phone-{k}" for k in range(circles * size)],
        )
    )


def friends(
    world: World, rng: np.random.Generator, crowd: Crowd, *, size: int
) -> list[tuple[float, float, Person, int]]:
    """Each friend's activity helped by the others of their circle over two days."""
    people = crowd.members
    circles = len(people) // size
    plan = []
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


@pytest.fixture
def settings_on(db_url: str) -> Settings:
    return make_settings(
        db_url,
        risk={"inline_enabled": True},
        # The open limiter's counts live in this process for real minutes: another test
        # on this worker must not spend this one's farm network allowance.
        redis={"key_prefix": f"farm-{uuid.uuid4().hex[:8]}"},
        jobs={"run_in_process": False},
        detect={"schedule_every_seconds": 3600, "auto_confirm_significance": SIGNIFICANCE},
    )


@pytest.fixture
def world(settings_on: Settings) -> Iterator[World]:
    db = Database(settings_on.db)
    try:
        with TestClient(create_app(settings_on)) as client:
            yield World(db, settings_on, client)
    finally:
        db.dispose()


def _scan_after_the_hour(world: World) -> None:
    """The next hour's scheduled scan, by the job runner, covers everything played."""
    clock.advance(3 * DAY)
    runner = JobRunner(world.db, world.settings)
    runner.run_periodic(force=True)
    runner.run_due()


def _assists(world: World, crowd: Crowd) -> list[Assist]:
    ids = [p.account_id for p in crowd.members]
    with world.db.unit_of_work() as s:
        rows = list(s.scalars(select(Assist).where(Assist.helper_id.in_(ids))))
        s.expunge_all()
    return rows


def _enforced(world: World, crowd: Crowd) -> list[int]:
    ids = [p.account_id for p in crowd.members]
    with world.db.unit_of_work() as s:
        return list(
            s.scalars(
                select(EnforcementAction.account_id).where(EnforcementAction.account_id.in_(ids))
            )
        )


def _cases_about(world: World, crowd: Crowd) -> list[ReviewCase]:
    ids = {p.account_id for p in crowd.members}
    with world.db.unit_of_work() as s:
        rows = list(s.scalars(select(ReviewCase).where(ReviewCase.kind == "fraud_ring")))
        s.expunge_all()
    return [c for c in rows if ids.intersection(c.subject_account_ids or [])]


def _group(case: ReviewCase) -> dict[str, Any]:
    group = (case.evidence or {})["group"]
    assert isinstance(group, dict)
    return group


@pytest.mark.parametrize(
    ("accounts", "phones", "tap", "members", "read", "seed"),
    [
        (6, 2, (0.2, 0.8), 8, (4.0, 30.0), 1),  # halved
        (12, 3, (0.3, 1.0), 15, (6.0, 60.0), 2),  # the issue's sizes
        (24, 6, (0.5, 2.0), 30, (8.0, 90.0), 3),  # doubled
    ],
)
def test_a_farm_is_voided_a_mutual_help_group_and_friends_are_not(
    world: World,
    accounts: int,
    phones: int,
    tap: tuple[float, float],
    members: int,
    read: tuple[float, float],
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    circles = friend_circles(world, circles=max(2, members // 4), size=5)
    group = mutual_help_members(world, members)
    # The group and the friends have had their accounts for a month; the farm makes its
    # accounts for the job.
    clock.advance(30 * DAY)
    old_plan = friends(world, rng, circles, size=5)
    group_plan = mutual_help(world, rng, group, read=read)
    the_farm, farm_plan = farm(world, rng, accounts=accounts, phones=phones, tap=tap)
    world.play(sorted(old_plan + group_plan + farm_plan, key=lambda p: p[0]))
    _scan_after_the_hour(world)

    farm_assists = _assists(world, the_farm)
    assert len(farm_assists) == len(farm_plan)
    counted = [a for a in farm_assists if a.status == "counted"]
    assert len(counted) <= 0.05 * len(farm_assists)
    farm_cases = _cases_about(world, the_farm)
    assert farm_cases
    assert all(c.status == "confirmed" for c in farm_cases)
    for case in farm_cases:
        assert case.decided_by == "rule:detect"
        group_evidence = _group(case)
        assert group_evidence["verdict"] == "farm"
        assert {"shared_devices", "shared_networks", "instant_taps"} <= set(group_evidence["signs"])
        assert group_evidence["accounts_per_device"] >= 2
        assert group_evidence["networks"] == 1
        assert group_evidence["median_open_to_assist_seconds"] < tap[1]
        assert group_evidence["fresh_accounts"] == group_evidence["accounts"]
        assert "farm evidence" in (case.decision_reason or "")
    assert sorted(set(_enforced(world, the_farm))) == sorted(
        {p.account_id for p in the_farm.members}
    )

    for honest in (group, circles):
        rows = _assists(world, honest)
        assert len(rows) == (len(group_plan) if honest is group else len(old_plan))
        assert [a.id for a in rows if a.status == "voided"] == []
        assert len([a for a in rows if a.status == "held"]) <= 0.01 * len(rows)
        assert _enforced(world, honest) == []
        for case in _cases_about(world, honest):
            assert case.status == "open"
            assert _group(case)["verdict"] == "likely_mutual_help"
            assert _group(case)["signs"] == []
    assert _cases_about(world, circles) == []

    # The graph does find the group; acting on it takes a person with a reason.
    reported = _cases_about(world, group)
    assert reported
    case_id = reported[0].id
    with world.db.unit_of_work() as s, pytest.raises(MutualHelpNeedsAnalyst):
        review.confirm_case(
            s,
            world.settings,
            shop_id=world.shop_id,
            case_id=case_id,
            reason="rule",
            enforce=review.BY_RULE,
            actor="rule:detect",
        )
    confirm = f"/api/v1/review/cases/{case_id}/confirm"
    # A month on, the analyst signs in afresh.
    analyst = world.client.post(
        "/api/v1/auth/login", json={"email": world.analyst_email, "password": PASSWORD}
    ).json()["token"]
    # The case page shows an analyst what tells the two apart, in both languages.
    for lang, words in (
        ("en", ("Farm evidence:", "many accounts on few phones", "Likely a mutual-help group")),
        ("zh-CN", ("刷量证据：", "多个账号共用少数手机", "疑似互助群")),
    ):
        farm_page = world.client.get(
            f"/console/review/{farm_cases[0].id}",
            cookies={OPERATOR_COOKIE: analyst, LANG_COOKIE: lang},
        )
        group_page = world.client.get(
            f"/console/review/{case_id}",
            cookies={OPERATOR_COOKIE: analyst, LANG_COOKIE: lang},
        )
        assert farm_page.status_code == group_page.status_code == 200
        assert 'data-group-verdict="farm"' in farm_page.text
        assert words[0] in farm_page.text
        assert words[1] in farm_page.text
        assert 'data-group-verdict="likely_mutual_help"' in group_page.text
        assert words[2] in group_page.text
        assert "data-sign=" not in group_page.text
    r = world.client.post(
        confirm, headers=auth(analyst), json={"reason": "ring", "enforce": "rule"}
    )
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "mutual_help_reason_required"
    assert _enforced(world, group) == []
    reason = "the same eight accounts help each other's activities every evening"
    r = world.client.post(
        confirm, headers=auth(analyst), json={"reason": reason, "enforce": "rule"}
    )
    assert r.status_code == 200, r.text
    with world.db.unit_of_work() as s:
        restricted = s.scalars(
            select(EnforcementAction.account_id).where(
                EnforcementAction.case_id == case_id,
                EnforcementAction.kind == "participation_restriction",
            )
        ).all()
    assert sorted(restricted) == sorted(reported[0].subject_account_ids or [])
