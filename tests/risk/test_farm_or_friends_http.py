"""Farm or friends, over real HTTP (uvicorn on a loopback socket, each person from their
own address) through the real hot path (inline scoring on), then the scheduled scan with
auto-confirm on, as a worker runs it (tests/risk/crowds.py).

- A device farm of 6 to 48 fresh accounts on a few phones behind one /24, tapping within
  a second of each open, whether every account works every activity of its crew or only
  a third of them (no lockstep then: the graph alone misses it): after the scan at most
  5% of its assists still count, its cases are confirmed by rule naming the evidence,
  and every account of it is enforced.
- A mutual-help group (互助群) of 8, 15 or 30 strangers on their own phones and networks,
  reading before they tap, and friend circles: none of their assists voided, at most 1%
  held, no one enforced; the group is at most reported as a likely mutual-help group,
  with the evidence that says so, and only an analyst with a reason can act on it.
- Both in one campaign, as the issue found them: each judged as alone.

Sizes are halved and doubled, timings varied, each on its own seed; the crowds alone on
SQLite, the issue's mix on PostgreSQL (which costs twice the time a request)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import numpy as np
import pytest
from sqlalchemy import select

import huzhu.all_tasks  # noqa: F401  (a worker's handlers: the scheduled scan among them)
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.enforcement.models import EnforcementAction
from huzhu.kit import clock
from huzhu.risk.review import service as review
from huzhu.risk.review.errors import MutualHelpNeedsAnalyst
from huzhu.risk.review.models import ReviewCase
from tests.conftest import make_settings
from tests.factories import auth
from tests.risk.crowds import (
    DAY,
    Crowd,
    Plan,
    Spread,
    World,
    assists_of,
    cases_about,
    enforced,
    farm,
    friend_circles,
    friends,
    group_of,
    households,
    mutual_help,
    mutual_help_members,
    scan_after_the_hour,
    serve,
)

SIGNIFICANCE = 6.0  # auto-confirm above 1e-6 by chance
PG = pytest.mark.postgres


@pytest.fixture
def settings_on(db_url: str) -> Settings:
    return make_settings(
        db_url,
        # The batch scan is judged here: the inline group rule would hold the farm's fresh
        # accounts behind one network before the scan sees them, and the network's hold
        # bound refuse what the score holds past it (test_inline_groups_http,
        # test_held_bound_http).
        risk={
            "inline_enabled": True,
            "group_instance_assists": 0,
            "group_campaign_assists": 0,
            "held_per_network": 10_000,
        },
        # The open limiter's counts live in this process for real minutes: another test
        # on this worker must not spend this one's farm network allowance.
        redis={"key_prefix": f"farm-{uuid.uuid4().hex[:8]}"},
        jobs={"run_in_process": False},
        # The open limiter counts real minutes, and play runs hours of the app clock in
        # seconds: a farm's 200 opens over four hours would land in one real minute.
        invites={"opens_per_network": "100000/minute"},
        detect={"schedule_every_seconds": 3600, "auto_confirm_significance": SIGNIFICANCE},
    )


@pytest.fixture
def world(settings_on: Settings) -> Iterator[World]:
    db = Database(settings_on.db)
    server = serve(settings_on)
    try:
        yield World(db, settings_on, server)
    finally:
        server.stop()
        db.dispose()


def assert_farm_voided(world: World, crowd: Crowd, plan: Plan, tap: tuple[float, float]) -> None:
    rows = assists_of(world, crowd)
    assert len(rows) == len(plan)
    counted = [a for a in rows if a.status == "counted"]
    assert len(counted) <= 0.05 * len(rows), f"{len(counted)} of {len(rows)} still counted"
    cases = cases_about(world, crowd)
    assert cases
    for case in cases:
        assert case.status == "confirmed"
        assert case.decided_by == "rule:detect"
        group = group_of(case)
        assert group["verdict"] == "farm"
        assert {"shared_devices", "shared_networks", "instant_taps"} <= set(group["signs"])
        assert group["kinds"] == ["device_concentration", "network_concentration", "automation"]
        assert group["accounts_per_device"] >= 2
        assert group["networks"] == 1
        assert group["median_open_to_assist_seconds"] < tap[1]
        assert group["fresh_accounts"] == group["accounts"]
        assert "farm evidence: shared_devices" in (case.decision_reason or "")
    # Every account once: one case each, one rung of the ladder each.
    assert sorted(enforced(world, crowd)) == sorted(p.account_id for p in crowd.members)


def assert_left_counted(world: World, crowd: Crowd, plan: Plan) -> None:
    rows = assists_of(world, crowd)
    assert len(rows) == len(plan)
    assert [a.id for a in rows if a.status == "voided"] == []
    assert len([a for a in rows if a.status == "held"]) <= 0.01 * len(rows)
    assert enforced(world, crowd) == []
    for case in cases_about(world, crowd):
        assert case.status == "open"
        group = group_of(case)
        assert group["verdict"] == "likely_mutual_help"
        assert group["signs"] == []
        # The evidence that says so: a phone and a network each, a human pace.
        assert group["accounts_per_device"] == 1
        assert group["accounts_per_network"] == 1
        assert group["median_open_to_assist_seconds"] >= 3


@pytest.mark.parametrize(
    ("db_url", "accounts", "phones", "spread", "tap", "seed"),
    [
        ("sqlite", 6, 2, "all", (0.3, 0.6), 1),
        ("sqlite", 6, 2, "third", (0.5, 1.0), 2),
        ("sqlite", 12, 3, "all", (0.3, 1.0), 3),
        ("sqlite", 12, 3, "third", (0.4, 0.9), 4),
        ("sqlite", 24, 6, "all", (0.6, 1.0), 5),
        ("sqlite", 24, 6, "third", (0.3, 1.0), 6),  # missed by the graph alone
        ("sqlite", 48, 8, "third", (0.3, 0.7), 7),
        ("sqlite", 48, 12, "all", (0.3, 1.0), 8),
    ],
    indirect=["db_url"],
)
def test_a_device_farm_is_voided_by_the_scheduled_scan(
    world: World,
    accounts: int,
    phones: int,
    spread: Spread,
    tap: tuple[float, float],
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    circles = friend_circles(world, circles=2, size=5)
    clock.advance(30 * DAY)  # the friends are a month old; the farm is made for the job
    old_plan = friends(world, rng, circles, size=5)
    the_farm, farm_plan = farm(world, rng, accounts=accounts, phones=phones, tap=tap, spread=spread)
    world.play(sorted(old_plan + farm_plan, key=lambda p: p[0]))
    scan_after_the_hour(world)

    assert_farm_voided(world, the_farm, farm_plan, tap)
    assert_left_counted(world, circles, old_plan)
    assert cases_about(world, circles) == []


@pytest.mark.parametrize(
    ("db_url", "members", "read", "seed"),
    [
        ("sqlite", 8, (4.0, 30.0), 11),
        ("sqlite", 15, (6.0, 60.0), 12),
        ("sqlite", 30, (8.0, 90.0), 13),
    ],
    indirect=["db_url"],
)
def test_a_mutual_help_group_and_friends_keep_their_assists(
    world: World, members: int, read: tuple[float, float], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    circles = friend_circles(world, circles=max(2, members // 4), size=5)
    group = mutual_help_members(world, members)
    # Each member's spouse uses the same phone at home, and once helps a friend.
    spouses = Crowd(
        world.people("spouse", [p.host for p in group.members], [p.device for p in group.members])
    )
    clock.advance(30 * DAY)
    old_plan = friends(world, rng, circles, size=5)
    group_plan = mutual_help(world, rng, group, read=read)
    spouse_plan: Plan = []
    for k, spouse in enumerate(spouses.members):
        opened = float(rng.uniform(3600.0, 2 * DAY))
        instance = circles.instances[k % len(circles.instances)]
        spouse_plan.append((opened, opened + float(rng.uniform(5.0, 60.0)), spouse, instance))
    world.play(sorted(old_plan + group_plan + spouse_plan, key=lambda p: p[0]))
    scan_after_the_hour(world)

    assert_left_counted(world, group, group_plan)
    assert_left_counted(world, circles, old_plan)
    assert_left_counted(world, spouses, spouse_plan)
    assert cases_about(world, circles) == []
    assert cases_about(world, spouses) == []
    # The graph does find the group; acting on it takes a person with a reason, and
    # reaches no one who only shares a member's phone.
    reported = cases_about(world, group)
    assert reported
    _only_an_analyst_with_a_reason_acts(world, group, reported[0].id)
    assert enforced(world, spouses) == []


@pytest.mark.parametrize(
    ("db_url", "people", "per_phone", "seed"),
    [("sqlite", 6, 2, 31), ("sqlite", 9, 3, 32)],
    indirect=["db_url"],
)
def test_households_sharing_phones_behind_one_network_are_left_alone(
    world: World, people: int, per_phone: int, seed: int
) -> None:
    """Phones passed around behind one carrier network, but opened and read as people
    do: the network does not tie them into a farm, and nothing is voided."""
    rng = np.random.default_rng(seed)
    homes = households(world, people=people, per_phone=per_phone)
    clock.advance(30 * DAY)
    plan = friends(world, rng, homes, size=people)
    world.play(sorted(plan, key=lambda p: p[0]))
    scan_after_the_hour(world)

    assert_left_counted(world, homes, plan)
    assert cases_about(world, homes) == []


@pytest.mark.parametrize(
    ("db_url", "accounts", "spread", "members", "seed"),
    [pytest.param("postgresql", 24, "third", 15, 21, marks=PG)],
    indirect=["db_url"],
)
def test_a_farm_beside_a_mutual_help_group_is_told_apart(
    world: World, accounts: int, spread: Spread, members: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    circles = friend_circles(world, circles=3, size=5)
    group = mutual_help_members(world, members)
    clock.advance(30 * DAY)
    old_plan = friends(world, rng, circles, size=5)
    group_plan = mutual_help(world, rng, group, read=(5.0, 60.0))
    tap = (0.3, 1.0)
    the_farm, farm_plan = farm(
        world, rng, accounts=accounts, phones=accounts // 4, tap=tap, spread=spread
    )
    world.play(sorted(old_plan + group_plan + farm_plan, key=lambda p: p[0]))
    scan_after_the_hour(world)

    assert_farm_voided(world, the_farm, farm_plan, tap)
    assert_left_counted(world, group, group_plan)
    assert_left_counted(world, circles, old_plan)
    farm_ids = {p.account_id for p in the_farm.members}
    for case in cases_about(world, group):
        assert farm_ids.isdisjoint(case.subject_account_ids or [])
    _pages_tell_them_apart(world, cases_about(world, the_farm)[0].id, cases_about(world, group))


def _only_an_analyst_with_a_reason_acts(world: World, group: Crowd, case_id: int) -> None:
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
    analyst = world.sign_in_analyst()
    confirm = f"/api/v1/review/cases/{case_id}/confirm"
    r = world.http().post(
        confirm, headers=auth(analyst), json={"reason": "ring", "enforce": "rule"}
    )
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "mutual_help_reason_required"
    assert enforced(world, group) == []
    reason = "the same eight accounts help each other's activities every evening"
    r = world.http().post(
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
        subjects = review.get_case(s, shop_id=world.shop_id, case_id=case_id).subject_account_ids
    assert sorted(restricted) == sorted(subjects or [])


def _pages_tell_them_apart(world: World, farm_case: int, group_cases: list[ReviewCase]) -> None:
    """The case pages show an analyst what tells the two apart, in both languages, and
    on the farm's which evidence the rule confirmed it on."""
    assert group_cases
    analyst = world.sign_in_analyst()
    for lang, words in (
        (
            "en",
            (
                "Confirmed by rule on this evidence:",
                "many accounts on few phones",
                "Likely a mutual-help group",
            ),
        ),
        ("zh-CN", ("规则依据以下证据确认：", "多个账号共用少数手机", "疑似互助群")),
    ):
        page = world.case_page(farm_case, analyst=analyst, lang=lang)
        assert 'data-group-verdict="farm"' in page
        assert 'data-confirmed-on="device_concentration network_concentration automation"' in (page)
        assert words[0] in page
        assert words[1] in page
        for case in group_cases:
            page = world.case_page(case.id, analyst=analyst, lang=lang)
            assert 'data-group-verdict="likely_mutual_help"' in page
            assert words[2] in page
            assert "data-sign=" not in page
