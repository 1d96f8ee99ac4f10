"""One-shot sybils held inline as a group, honest crowds untouched, over real HTTP
(uvicorn on a loopback socket in a thread of the test, each person connecting from their
own address; time moved with the app's clock, which the server shares, no sleeping)
through the real hot path.

One bargain campaign (at most 8 helpers an activity) carries three crowds at once:

- one-shot sybils, each with a random device id of its own, all behind one /24, never
  opening a share (no share at all, or a share token cited without its open),
  `per_activity` on each activity within seconds — fresh accounts made for the job, or
  bought aged accounts (a month old, so the fresh-account rule misses them and the
  no-open burst rule must hold them); sizes halved and doubled, the activities worked
  one after the other or round-robin, the gaps varied;
- a mutual-help group (互助群): strangers on their own phones and networks, opening each
  post and reading before they tap, at a human pace;
- honest friend circles, helping each other over two days.

Judged: the sybils' assists counted ≤ 10% (the rest held, or refused once the network's
hold allowance is spent, with 429 hold_limit_reached), each held one saying which rule
held it, and every held sybil linked into one `inline_group` case for the campaign and
network — not one per assist or activity; the honest crowds: ≤ 1% held, none refused.
On PostgreSQL the counters are Redis's (the production setup), on SQLite the embedded
in-process ones.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select, update

import huzhu.all_tasks  # noqa: F401  (the jobs a worker runs, for the purchase window's close)
from huzhu.assists.models import Assist, Instance
from huzhu.config import RiskSettings, Settings
from huzhu.db import Database
from huzhu.jobs.models import Job
from huzhu.jobs.runner import JobRunner
from huzhu.kit import clock
from huzhu.notify.models import Event
from huzhu.risk.inline import BURST_GROUP_RULE, GROUP_REASON
from huzhu.risk.reach import REACHED_REASON
from huzhu.risk.review.models import ReviewCase
from tests.assists.conftest import BARGAIN_RULES
from tests.conftest import make_settings
from tests.factories import auth, make_campaign, make_shop
from tests.risk.crowds import CUT, DAY, MAX_HELPERS, PeopleAndActivities, Person, serve
from tests.support.servers import ThreadServer
from tests.support.services import redis_url_or_skip


@dataclass
class Tap:
    at: float  # seconds from the start of play
    helper: Person
    instance: int
    opens_at: float | None = None  # None: never opens the share
    cites_share: bool = True  # sends the share token with the assist
    status: int = 0
    code: str | None = None


@dataclass
class World(PeopleAndActivities):
    db: Database
    settings: Settings
    server: ThreadServer
    shop_id: int = 0
    campaign: tuple[int, int] = (0, 0)
    links: dict[int, str] = field(default_factory=dict)
    made: int = 0
    analyst_email: str = ""

    def play(self, taps: list[Tap]) -> None:
        """Every open and tap in time order, the clock moved to each (no sleeping)."""
        steps: list[tuple[float, int, int]] = []
        for k, tap in enumerate(taps):
            if tap.opens_at is not None:
                steps.append((tap.opens_at, 0, k))
            steps.append((tap.at, 1, k))
        opens: dict[int, int] = {}
        start = clock.utcnow()
        for at, kind, k in sorted(steps):
            clock.advance((start + timedelta(seconds=at) - clock.utcnow()).total_seconds())
            tap = taps[k]
            client, headers = self.http(tap.helper), self.phone(tap.helper)
            share = self.links[tap.instance]
            if kind == 0:
                r = client.post(f"/api/v1/shares/{share}/open", headers=headers)
                assert r.status_code == 201, r.text
                opens[k] = r.json()["open_id"]
                continue
            params: dict[str, str | int] = {}
            if tap.cites_share:
                params["share"] = share
            if k in opens:
                params["share_open"] = opens[k]
            r = client.post(
                f"/api/v1/instances/{tap.instance}/assists",
                params=params,
                headers={**headers, **auth(self.token(tap.helper))},
            )
            tap.status = r.status_code
            if r.status_code >= 400:
                assert r.headers["content-type"].startswith("application/problem+json")
                tap.code = r.json()["code"]


def sybil_accounts(world: World, accounts: int) -> list[Person]:
    """Accounts each used once, on random devices behind 127.66.0.0/24."""
    return world.people(
        "sybil",
        [f"127.66.0.{k % 250 + 1}" for k in range(accounts)],
        [f"dev-{uuid.uuid4().hex}" for _ in range(accounts)],
    )


def sybils(
    world: World,
    rng: np.random.Generator,
    members: list[Person],
    *,
    per_activity: int,
    gap: tuple[float, float],
    round_robin: bool,
    cites_share: bool,
    start: float,
) -> list[Tap]:
    """The accounts, each once, working len(members) / per_activity activities of their
    owners (on networks of their own), `gap` seconds apart, never opening the share."""
    accounts = len(members)
    activities = accounts // per_activity
    owners = world.people(
        "owner",
        [f"127.70.{k}.9" for k in range(activities)],
        [f"owner-{k}" for k in range(activities)],
    )
    instances = [world.activity(owner) for owner in owners]
    if round_robin:
        targets = [instances[k % activities] for k in range(accounts)]
    else:
        targets = [instances[k // per_activity] for k in range(accounts)]
    taps, at = [], start
    for member, instance in zip(members, targets, strict=True):
        at += float(rng.uniform(*gap))
        taps.append(Tap(at, member, instance, cites_share=cites_share))
    return taps


def strangers(world: World, members: int) -> list[Person]:
    """Each on their own phone and network."""
    return world.people(
        "group",
        [f"127.{100 + k // 200}.{k % 200}.7" for k in range(members)],
        [f"group-phone-{k}" for k in range(members)],
    )


def mutual_help(world: World, rng: np.random.Generator, crowd: list[Person]) -> list[Tap]:
    """Each member posts an activity in an evening and the next eight who posted help,
    minutes after, reading first."""
    members = len(crowd)
    instances = [world.activity(person) for person in crowd]
    posted = np.sort(rng.uniform(2 * 3600.0, 5 * 3600.0, members))
    taps = []
    for j, instance in enumerate(instances):
        for i in range(1, min(MAX_HELPERS, members - 1) + 1):
            opened = float(posted[j] + rng.exponential(300.0))
            tap = opened + float(rng.uniform(4.0, 60.0))
            taps.append(Tap(tap, crowd[(j + i) % members], instance, opens_at=opened))
    return taps


def old_friends(world: World, *, circles: int, size: int) -> list[Person]:
    """Each on their own phone and network."""
    return world.people(
        "friend",
        [f"127.{150 + k // 200}.{k % 200}.3" for k in range(circles * size)],
        [f"friend-phone-{k}" for k in range(circles * size)],
    )


def friends(
    world: World, rng: np.random.Generator, people: list[Person], *, size: int
) -> list[Tap]:
    """Each helping the others of their circle over two days."""
    circles = len(people) // size
    taps = []
    for c in range(circles):
        circle = people[c * size : (c + 1) * size]
        for owner in circle:
            instance = world.activity(owner)
            for helper in circle:
                if helper is not owner:
                    opened = float(rng.uniform(3600.0, 2 * DAY))
                    tap = opened + float(rng.uniform(5.0, 120.0))
                    taps.append(Tap(tap, helper, instance, opens_at=opened))
    return taps


@pytest.fixture
def settings_on(db_url: str) -> Settings:
    redis: dict[str, str] = {"key_prefix": f"groups-{uuid.uuid4().hex[:8]}"}
    if not db_url.startswith("sqlite"):
        redis["url"] = redis_url_or_skip()  # several workers' counters: Redis's
    return make_settings(
        db_url, risk={"inline_enabled": True}, redis=redis, jobs={"run_in_process": False}
    )


@pytest.fixture
def world(settings_on: Settings) -> Iterator[World]:
    db = Database(settings_on.db)
    try:
        with db.unit_of_work() as s:
            shop_id = make_shop(s)
            campaign = make_campaign(
                s,
                shop_id=shop_id,
                kind="bargain",
                rules={
                    **BARGAIN_RULES,
                    "max_helpers": MAX_HELPERS,
                    "floor_cents": BARGAIN_RULES["price_cents"] - MAX_HELPERS * CUT,
                    "daily_assists_per_helper": 50,
                    "instance_ttl_seconds": 3 * DAY,
                },
            )
        world = World(db, settings_on, serve(settings_on), shop_id=shop_id, campaign=campaign)
        try:
            world.add_analyst()
            yield world
        finally:
            world.server.stop()
    finally:
        db.dispose()


def _statuses(world: World, taps: list[Tap]) -> dict[str, int]:
    ids = {t.helper.account_id for t in taps}
    with world.db.unit_of_work() as s:
        rows = s.scalars(select(Assist.status).where(Assist.helper_id.in_(ids))).all()
    counts: dict[str, int] = {}
    for status in rows:
        counts[status] = counts.get(status, 0) + 1
    return counts


PG = pytest.mark.postgres


@pytest.mark.parametrize(
    ("db_url", "accounts", "per_activity", "gap", "round_robin", "cites_share", "aged", "seed"),
    [
        # Fresh accounts made for the job, on both backends.
        ("sqlite", 16, 4, (0.5, 3.0), True, False, False, 1),  # halved, round-robin, no share
        ("sqlite", 32, 8, (0.2, 2.0), False, True, False, 2),  # the issue's: a share unopened
        ("sqlite", 64, 8, (1.0, 6.0), True, False, False, 3),  # doubled
        ("sqlite", 32, 4, (2.0, 9.0), False, False, False, 4),  # slower, more activities
        pytest.param("postgresql", 16, 4, (0.5, 3.0), True, False, False, 1, marks=PG),
        pytest.param("postgresql", 32, 8, (0.2, 2.0), False, True, False, 2, marks=PG),
        pytest.param("postgresql", 64, 8, (1.0, 6.0), True, False, False, 3, marks=PG),
        # Bought aged accounts or hijacked ones: a month old, the same bursts.
        ("sqlite", 16, 4, (0.3, 2.0), False, True, True, 5),  # halved, a share unopened
        ("sqlite", 32, 8, (1.0, 8.0), True, False, True, 6),  # round-robin, no share at all
        ("sqlite", 64, 8, (0.2, 3.0), False, False, True, 7),  # doubled
        ("sqlite", 32, 4, (3.0, 12.0), True, True, True, 8),  # slower, round-robin
        pytest.param("postgresql", 32, 8, (1.0, 8.0), True, False, True, 6, marks=PG),
        pytest.param("postgresql", 64, 8, (0.2, 3.0), False, True, True, 9, marks=PG),
    ],
    indirect=["db_url"],
)
def test_one_shot_sybils_are_held_as_one_group_and_honest_crowds_are_not(
    world: World,
    accounts: int,
    per_activity: int,
    gap: tuple[float, float],
    round_robin: bool,
    cites_share: bool,
    aged: bool,
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    old, members = old_friends(world, circles=4, size=5), strangers(world, 15)
    bought = sybil_accounts(world, accounts) if aged else []
    # The honest have had their accounts for a month; fresh sybils are made for the job.
    clock.advance(30 * DAY)
    circles = friends(world, rng, old, size=5)
    group = mutual_help(world, rng, members)
    burst = sybils(
        world,
        rng,
        bought or sybil_accounts(world, accounts),
        per_activity=per_activity,
        gap=gap,
        round_robin=round_robin,
        cites_share=cites_share,
        start=3 * 3600.0,  # in the middle of the mutual-help evening
    )
    world.play(sorted(circles + group + burst, key=lambda t: t.at))
    world.stop()

    counted = [t for t in burst if t.status == 201]
    held = [t for t in burst if t.status == 202]
    refused = [t for t in burst if t.status not in (201, 202)]
    assert len(counted) <= 0.10 * len(burst)
    assert {t.code for t in refused} <= {"hold_limit_reached"}
    assert len(held) <= RiskSettings().held_per_network
    # What counted at first was its group's first: it went back on hold with the group.
    assert _statuses(world, burst) == {"held": len(counted) + len(held)}
    rule = "unopened_burst" if aged else "fresh_network"
    for reasons in _held_reasons(world, burst):
        assert reasons[-1] == GROUP_REASON
        assert reasons[-2].startswith(f"{rule}:")
    with world.db.unit_of_work() as s:
        cases = list(s.scalars(select(ReviewCase).where(ReviewCase.shop_id == world.shop_id)))
        s.expunge_all()
    sybil_ids = {t.helper.account_id for t in burst}
    about = [c for c in cases if sybil_ids & set(c.subject_account_ids or [])]
    assert [c.kind for c in about] == ["inline_group"]
    assert set(about[0].subject_account_ids) == {t.helper.account_id for t in counted + held}
    assert about[0].campaign_id == world.campaign[0]
    assert len({t.instance for t in held}) > 1  # one case across activities

    for honest in (circles, group):
        assert all(t.status in (201, 202) for t in honest), [t.code for t in honest]
        assert len([t for t in honest if t.status == 202]) <= 0.01 * len(honest)
        # ...and none of theirs was put back on hold afterwards.
        assert _statuses(world, honest).get("held", 0) <= 0.01 * len(honest)
        honest_ids = {t.helper.account_id for t in honest}
        assert not [c for c in cases if honest_ids & set(c.subject_account_ids or [])]
    _the_case_page_says_what_held_them(world, about[0], rule, len(counted) + len(held))


def _the_case_page_says_what_held_them(
    world: World, case: ReviewCase, rule: str, accounts: int
) -> None:
    """The analyst, later, reads on the case's page which rule held the group, how many
    accounts it holds and on how many activities, in both languages."""
    world.server = serve(world.settings)
    analyst = world.sign_in_analyst()
    words = {
        "en": (
            "Held because of:",
            {
                "fresh_network": "new accounts behind one network",
                "unopened_burst": "taps with no share open from one network or phone",
            },
            f"{accounts} accounts, on at least",
        ),
        "zh-CN": (
            "暂扣原因：",
            {
                "fresh_network": "同一网络后的新账号",
                "unopened_burst": "同一网络或手机在数秒内接连助力",
            },
            f"{accounts} 个账号，至少涉及",
        ),
    }
    for lang, (because, rules, held) in words.items():
        page = world.case_page(case.id, analyst=analyst, lang=lang)
        assert f'data-group-rules="{rule}"' in page
        assert because in page
        assert rules[rule] in page
        assert held in page
        assert (case.evidence or {})["network_hash"] in page


def _held_reasons(world: World, taps: list[Tap]) -> list[list[str]]:
    ids = {t.helper.account_id for t in taps}
    with world.db.unit_of_work() as s:
        return [
            list(reasons)
            for reasons in s.scalars(
                select(Assist.risk_reasons).where(
                    Assist.helper_id.in_(ids), Assist.status == "held"
                )
            )
        ]


@pytest.mark.parametrize(
    ("db_url", "members", "seed"),
    [("sqlite", 15, 21), ("sqlite", 30, 22), pytest.param("postgresql", 15, 23, marks=PG)],
    indirect=["db_url"],
)
def test_honest_crowds_whose_client_records_no_opens_are_not_held(
    world: World, members: int, seed: int
) -> None:
    """An app that records no share opens: the mutual-help group and the friend circles
    tap with no open at all (half citing the share, half not), each person on their own
    phone and network, one helping several friends within minutes. No open alone, or one
    person's pace, holds no one: a burst takes several accounts of one network or phone."""
    rng = np.random.default_rng(seed)
    old, crowd = old_friends(world, circles=4, size=5), strangers(world, members)
    clock.advance(30 * DAY)
    taps = friends(world, rng, old, size=5) + mutual_help(world, rng, crowd)
    bare = [
        dataclasses.replace(t, opens_at=None, cites_share=k % 2 == 0) for k, t in enumerate(taps)
    ]
    world.play(sorted(bare, key=lambda t: t.at))
    world.stop()

    assert all(t.status in (201, 202) for t in bare), [t.code for t in bare]
    assert len([t for t in bare if t.status == 202]) <= 0.01 * len(bare)
    for reasons in _held_reasons(world, bare):
        assert not [r for r in reasons if r.startswith(BURST_GROUP_RULE)], reasons
    with world.db.unit_of_work() as s:
        kinds = s.scalars(
            select(ReviewCase.kind).where(
                ReviewCase.shop_id == world.shop_id, ReviewCase.kind == "inline_group"
            )
        ).all()
    assert kinds == []


@pytest.mark.parametrize(
    ("db_url", "accounts", "per_activity", "gap", "seed"),
    [
        ("sqlite", 8, 2, (2.0, 6.0), 11),  # a few hijacked accounts, slowly
        ("sqlite", 32, 8, (0.3, 3.0), 12),  # many, fast
        pytest.param("postgresql", 16, 4, (1.0, 5.0), 13, marks=PG),
    ],
    indirect=["db_url"],
)
def test_accounts_tapping_as_their_opens_answer_are_held_as_a_group(
    world: World, accounts: int, per_activity: int, gap: tuple[float, float], seed: int
) -> None:
    """Hijacked or bought month-old accounts driven by a script that opens each share and
    taps as the page answers (well within MIN_OPEN_SECONDS): an open to show, so only the
    burst rule's instant-tap sign can hold them. The honest read before they tap."""
    rng = np.random.default_rng(seed)
    old, members = old_friends(world, circles=4, size=5), strangers(world, 15)
    bought = sybil_accounts(world, accounts)
    clock.advance(30 * DAY)
    circles = friends(world, rng, old, size=5)
    group = mutual_help(world, rng, members)
    burst = sybils(
        world,
        rng,
        bought,
        per_activity=per_activity,
        gap=gap,
        round_robin=False,
        cites_share=True,
        start=3 * 3600.0,
    )
    instant = RiskSettings().min_open_seconds
    for tap in burst:
        tap.opens_at = tap.at - float(rng.uniform(0.1, 0.75 * instant))
    world.play(sorted(circles + group + burst, key=lambda t: t.at))
    world.stop()

    counted = [t for t in burst if t.status == 201]
    assert len(counted) <= max(1, 0.10 * len(burst))  # the first of a burst counts
    assert all(t.status in (201, 202, 429) for t in burst)
    for reasons in _held_reasons(world, burst):
        assert reasons[-2].startswith(f"{BURST_GROUP_RULE}:")
        assert reasons[-1] == GROUP_REASON
    for honest in (circles, group):
        assert all(t.status in (201, 202) for t in honest), [t.code for t in honest]
        assert len([t for t in honest if t.status == 202]) <= 0.01 * len(honest)


# -- a group's hold reaches back to its first assists (risk/reach.py) -------------------


@dataclass
class Crew:
    """An activity owner and their honest friend, each on their own phone and network,
    and three month-old real accounts hijacked onto one attacker's phone and network."""

    owner: Person
    friend: Person
    hijacked: list[Person]


def hijack_crew(world: World) -> Crew:
    owner, friend = world.people(
        "owner", ["127.70.1.9", "127.71.1.9"], ["owner-phone", "friend-phone"]
    )
    hijacked = world.people("hijacked", ["127.99.0.5"] * 3, ["attacker-phone"] * 3)
    clock.advance(30 * DAY)  # real accounts, a month old
    return Crew(owner, friend, hijacked)


def instant(at: float, helper: Person, instance: int) -> Tap:
    """A script's tap: it loads the share and taps a second after."""
    return Tap(at + 1.0, helper, instance, opens_at=at)


def _rows(world: World, instance: int) -> tuple[Instance, dict[int, Assist]]:
    with world.db.unit_of_work() as s:
        found = s.get(Instance, instance)
        assert found is not None
        rows = s.scalars(select(Assist).where(Assist.instance_id == instance)).all()
        s.expunge_all()
    return found, {a.helper_id: a for a in rows}


def _group_case(world: World) -> ReviewCase:
    with world.db.unit_of_work() as s:
        (case,) = s.scalars(
            select(ReviewCase).where(
                ReviewCase.shop_id == world.shop_id, ReviewCase.kind == "inline_group"
            )
        ).all()
        s.expunge_all()
    return case


def _decide(world: World, case_id: int, verb: str) -> None:
    """The analyst decides the group's case over the API (a fresh server: the first was
    stopped to let its background writes finish)."""
    world.server = serve(world.settings)
    try:
        r = world.http().post(
            f"/api/v1/review/cases/{case_id}/{verb}",
            headers=auth(world.sign_in_analyst()),
            json={"reason": "checked against the owners' phone records"},
        )
        assert r.status_code == 200, r.text
    finally:
        world.stop()


@pytest.mark.parametrize("db_url", ["sqlite", pytest.param("postgresql", marks=PG)], indirect=True)
def test_a_bursts_first_tap_goes_back_on_hold_with_the_burst(world: World) -> None:
    crew = hijack_crew(world)
    target = world.activity(crew.owner)
    a, b, c = crew.hijacked
    taps = [
        Tap(40.0, crew.friend, target, opens_at=10.0),
        instant(100.0, a, target),
        instant(105.0, b, target),
        instant(110.0, c, target),
    ]
    world.play(taps)
    world.stop()

    # The first hijacked tap was alone in its window when it came: it counted.
    assert [t.status for t in taps] == [201, 201, 202, 202]
    instance, rows = _rows(world, target)
    # Once the burst was held, so was its first: only the friend's assist counts.
    assert {h: r.status for h, r in rows.items()} == {
        crew.friend.account_id: "counted",
        a.account_id: "held",
        b.account_id: "held",
        c.account_id: "held",
    }
    first = rows[a.account_id]
    assert first.slot is None
    assert first.value == 0
    assert first.risk_decision == "hold"
    assert REACHED_REASON in first.risk_reasons
    assert GROUP_REASON in first.risk_reasons
    assert any(r.startswith(f"{BURST_GROUP_RULE}:") for r in first.risk_reasons)
    assert (instance.slots_used, instance.held_count) == (1, 3)
    assert instance.progress_value == CUT
    case = _group_case(world)
    assert set(case.subject_account_ids) == {a.account_id, b.account_id, c.account_id}
    assert (case.evidence or {})["reached_back"] == [a.account_id]
    with world.db.unit_of_work() as s:
        held_events = [
            e.payload
            for e in s.scalars(select(Event).where(Event.type == "assist.held"))
            if e.subject_id == target and e.payload.get("after_count")
        ]
    assert [(p["assist_ids"], p["slots_used"]) for p in held_events] == [([first.id], 1)]
    # The owner is told why their count went down, in their language.
    world.server = serve(world.settings)
    inbox = world.http(crew.owner).get(
        "/api/v1/me/inbox",
        headers={**auth(world.token(crew.owner)), "Accept-Language": "en"},
    )
    # The analyst reads on the case's page that one account had counted first.
    analyst = world.sign_in_analyst()
    pages = {lang: world.case_page(case.id, analyst=analyst, lang=lang) for lang in ("en", "zh-CN")}
    world.stop()
    told = [
        m for m in inbox.json()["items"] if (m["params"] or {}).get("variant") == "held_after_count"
    ]
    assert [m["title"] for m in told] == ["Assists being checked: 1"]
    assert "they count again" in told[0]["body"]
    assert "1 accounts counted before the group was seen, then went back on hold" in pages["en"]
    assert "1 个账号在这一组被发现前已计入，随后与该组一并暂扣" in pages["zh-CN"]

    # Found genuine: all three count, in the lowest free slots.
    _decide(world, case.id, "dismiss")
    instance, rows = _rows(world, target)
    assert {r.status for r in rows.values()} == {"counted"}
    assert (instance.slots_used, instance.held_count) == (4, 0)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_bargain_its_bursts_first_tap_filled_goes_back_to_active(world: World) -> None:
    """The crew works two owners' bargains: its first tap fills the first bargain; the
    next, on the other bargain seconds later, makes it a burst of the campaign. The first
    bargain's success came from it, so it goes back to taking assists; confirming the
    group voids both taps."""
    crew = hijack_crew(world)
    (other,) = world.people("owner", ["127.72.1.9"], ["other-phone"])
    filled, second = world.activity(crew.owner, helpers=2), world.activity(other)
    a, b, _ = crew.hijacked
    taps = [Tap(40.0, crew.friend, filled, opens_at=10.0), instant(100.0, a, filled)]
    taps.append(instant(106.0, b, second))
    world.play(taps)
    world.stop()

    assert [t.status for t in taps] == [201, 201, 202]
    instance, rows = _rows(world, filled)
    assert instance.status == "active"
    assert instance.succeeded_at is None
    assert (instance.slots_used, instance.held_count) == (1, 1)
    assert rows[a.account_id].status == "held"
    case = _group_case(world)
    assert set(case.subject_account_ids) == {a.account_id, b.account_id}

    _decide(world, case.id, "confirm")
    instance, rows = _rows(world, filled)
    assert rows[a.account_id].status == "voided"
    assert rows[crew.friend.account_id].status == "counted"
    assert (instance.status, instance.slots_used, instance.held_count) == ("active", 1, 0)
    _, rows = _rows(world, second)
    assert rows[b.account_id].status == "voided"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_bought_bargain_keeps_its_counted_assists(world: World) -> None:
    """A bargain bought before its burst was seen is not reopened: what it was bought
    with stays counted, and only the assists still in play wait for the analyst."""
    crew = hijack_crew(world)
    (other,) = world.people("owner", ["127.72.1.9"], ["other-phone"])
    bought, second = world.activity(crew.owner, helpers=2), world.activity(other)
    a, b, _ = crew.hijacked
    first = [Tap(40.0, crew.friend, bought, opens_at=10.0), instant(100.0, a, bought)]
    world.play(first)
    with world.db.unit_of_work() as s:
        # The owner bought at the floor in the seconds between (the order itself is the
        # purchase tests' subject).
        s.execute(update(Instance).where(Instance.id == bought).values(status="purchased"))
    then = [instant(3.0, b, second)]
    world.play(then)
    world.stop()

    assert [t.status for t in first + then] == [201, 201, 202]
    instance, rows = _rows(world, bought)
    assert instance.status == "purchased"
    assert instance.slots_used == 2
    assert rows[a.account_id].status == "counted"
    assert set(_group_case(world).subject_account_ids) == {b.account_id}


@pytest.mark.parametrize("db_url", ["sqlite", pytest.param("postgresql", marks=PG)], indirect=True)
def test_a_bargain_back_to_active_succeeds_again_with_its_own_window(world: World) -> None:
    """Its first success scheduled the close of its purchase window under a key that its
    next success would share: that key is released, so the second success schedules its
    own close, and the bargain not bought in its second window ends at its end."""
    crew = hijack_crew(world)
    (other, late) = world.people("owner", ["127.72.1.9", "127.73.1.9"], ["p2", "p3"])
    filled, second = world.activity(crew.owner, helpers=2), world.activity(other)
    a, b, _ = crew.hijacked
    taps = [Tap(40.0, crew.friend, filled, opens_at=10.0), instant(100.0, a, filled)]
    taps.append(instant(106.0, b, second))
    world.play(taps)
    world.stop()  # the group's case, and its reach back, are written
    first_deadline = _rows(world, filled)[0].purchase_deadline_at
    world.server = serve(world.settings)
    again = [Tap(3600.0, late, filled, opens_at=3540.0)]
    world.play(again)
    world.stop()

    assert [t.status for t in taps + again] == [201, 201, 202, 201]
    instance, _ = _rows(world, filled)
    assert instance.status == "succeeded"
    assert instance.purchase_deadline_at is not None
    assert first_deadline is None  # it had gone back to active
    with world.db.unit_of_work() as s:
        closes = s.execute(
            select(Job.dedupe_key, Job.run_at, Job.status).where(
                Job.kind == "instance.purchase_window_close"
            )
        ).all()
    key = f"instance.purchase_window_close:{filled}:0"
    assert [(r.run_at, r.status) for r in closes if r.dedupe_key == key] == [
        (instance.purchase_deadline_at, "pending")
    ]
    assert len([r for r in closes if r.dedupe_key.startswith(f"{key}:released:")]) == 1
    # Not bought in its second window: it ends when that window does.
    clock.advance((instance.purchase_deadline_at - clock.utcnow()).total_seconds() + 60)
    JobRunner(world.db, world.settings).run_due()
    assert _rows(world, filled)[0].status == "expired"
