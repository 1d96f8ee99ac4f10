"""The activity summary's numbers are sums over the ledger: for random histories of
activities, assists and money movements around a period — the person's and other
people's, inside and outside it — each number equals the sum taken straight from the
rows, and the shop calendar's day and week bound the period."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from huzhu.assists.models import Assist, Instance, Purchase
from huzhu.assists.spending import service as spending
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.payments.models import PaymentTxn
from tests.factories import make_campaign, make_participant, make_shop

SINCE = datetime(2026, 11, 29, 16, 0, tzinfo=UTC)  # Monday 30 November, 00:00 in Shanghai
UNTIL = SINCE + timedelta(days=7)
# Times from two days before the period to two days after it, at second resolution, with
# the edges themselves drawn often.
EDGES = [SINCE, UNTIL, SINCE - timedelta(seconds=1), UNTIL - timedelta(seconds=1)]
moments = st.one_of(
    st.sampled_from(EDGES),
    st.integers(min_value=-2 * 86_400, max_value=9 * 86_400).map(
        lambda s: SINCE + timedelta(seconds=s)
    ),
)
OPS = ["authorize", "capture", "void", "refund", "charge", "payout"]

starts = st.tuples(
    st.booleans(),  # the person's own (else someone else's)
    moments,  # created
    st.sampled_from(["expired", "succeeded", "completed", "cancelled"]),
    moments,  # closed
    st.booleans(),  # the person ordered in it (a team they joined)
)
assists = st.tuples(
    st.integers(min_value=0, max_value=20),  # which activity (modulo those drawn)
    st.booleans(),  # given by the person
    st.sampled_from(["counted", "held", "voided"]),
    moments,
)
movements = st.tuples(
    st.booleans(),  # the person's
    st.sampled_from(OPS),
    st.integers(min_value=1, max_value=50_000),
    moments,
)


@dataclass
class World:
    db: Database
    shop_id: int
    campaign_id: int
    version_id: int
    settings: Settings


@pytest.fixture
def world(database: Database, settings: Settings) -> World:
    with database.unit_of_work() as s:
        shop_id = make_shop(s)
        campaign_id, version_id = make_campaign(
            s, shop_id=shop_id, kind="bargain", rules={"price_cents": 100, "floor_cents": 0}
        )
    return World(database, shop_id, campaign_id, version_id, settings)


def _person(s: Session, w: World) -> int:
    return make_participant(s, w.settings, shop_id=w.shop_id, name=uuid.uuid4().hex[:12])[0]


def _instance(s: Session, w: World, initiator: int, created: datetime, status: str) -> Instance:
    row = Instance(
        shop_id=w.shop_id,
        campaign_id=w.campaign_id,
        campaign_version_id=w.version_id,
        kind="bargain",
        initiator_id=initiator,
        status=status,
        seed_hex="0" * 64,
        slots_total=50,
        target_value=100,
        expires_at=created + timedelta(days=1),
        created_at=created,
    )
    s.add(row)
    s.flush()
    return row


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(starts, max_size=6),
    st.lists(assists, max_size=12),
    st.lists(movements, max_size=12),
)
def test_a_summary_equals_the_sums_over_the_ledger(
    world: World,
    drawn_starts: list[tuple[bool, datetime, str, datetime, bool]],
    drawn_assists: list[tuple[int, bool, str, datetime]],
    drawn_movements: list[tuple[bool, str, int, datetime]],
) -> None:
    def inside(t: datetime) -> bool:
        return SINCE <= t < UNTIL

    expected = dict.fromkeys(
        ["started", "given", "received", "charged", "refunded", "paid_out", "expired"], 0
    )
    with world.db.unit_of_work() as s:
        me, other = _person(s, world), _person(s, world)
        activities = []
        helped: set[tuple[int, int]] = set()
        for mine, created, status, closed, ordered in drawn_starts:
            row = _instance(s, world, me if mine else other, created, status)
            row.closed_at = closed
            activities.append(row)
            if ordered and not mine:
                s.add(
                    Purchase(
                        shop_id=world.shop_id,
                        campaign_id=world.campaign_id,
                        instance_id=row.id,
                        account_id=me,
                        kind="groupbuy",
                        amount_cents=100,
                        subsidy_cents=0,
                        status="refunded",
                        details={},
                        created_at=created,
                        updated_at=created,
                    )
                )
            expected["started"] += mine and inside(created)
            expected["expired"] += (mine or ordered) and status == "expired" and inside(closed)
        for which, by_me, status, at in drawn_assists if activities else []:
            target = activities[which % len(activities)]
            helper = me if by_me and target.initiator_id != me else _person(s, world)
            if (target.id, helper) in helped:
                continue  # one assist per helper and activity
            helped.add((target.id, helper))
            s.add(
                Assist(
                    instance_id=target.id,
                    campaign_id=world.campaign_id,
                    helper_id=helper,
                    status=status,
                    created_at=at,
                )
            )
            s.flush()
            counts = status == "counted" and inside(at)
            expected["given"] += counts and helper == me
            expected["received"] += counts and target.initiator_id == me
        for mine, op, amount, at in drawn_movements:
            s.add(
                PaymentTxn(
                    key=uuid.uuid4().hex,
                    op=op,
                    ref=uuid.uuid4().hex,
                    account_id=me if mine else other,
                    amount_cents=amount,
                    state="done",
                    refunded_cents=0,
                    created_at=at,
                )
            )
            if mine and inside(at):
                bucket = {"capture": "charged", "charge": "charged", "refund": "refunded"}
                key = bucket.get(op, "paid_out" if op == "payout" else None)
                if key is not None:
                    expected[key] += amount
        s.flush()
        summary = spending.summary_of(
            s, shop_id=world.shop_id, account_id=me, since=SINCE, until=UNTIL
        )
    assert {
        "started": summary.started,
        "given": summary.assists_given,
        "received": summary.assists_received,
        "charged": summary.charged_cents,
        "refunded": summary.refunded_cents,
        "paid_out": summary.received_cents,
        "expired": summary.expired,
    } == expected


def test_the_period_is_the_shop_calendars_day_or_week(settings: Settings) -> None:
    # Wednesday 2 December 2026, 10:00 in Shanghai.
    now = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    assert spending.summary_period(settings, length="week", previous=False, now=now) == (
        SINCE,
        now,
    )
    assert spending.summary_period(settings, length="week", previous=True, now=now) == (
        SINCE - timedelta(days=7),
        SINCE,
    )
    today = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    assert spending.summary_period(settings, length="day", previous=True, now=now) == (
        today - timedelta(days=1),
        today,
    )
