"""A cap is never exceeded for random sequences of money steps and refunds, on both
databases: each step goes through the lifecycle's admission (the person's lock, the
ledger read after it, the guardrails' decision) and, when admitted, writes its order as a
money step does; a refund releases an order. After every operation what the ledger says
was committed today is within the daily cap, and each decision is the one the caps
call for — a refund makes room again."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from huzhu.assists import service as assists
from huzhu.assists.models import Instance, Purchase
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.guardrails.errors import CapReached
from huzhu.guardrails.rules import Step, StepKind
from huzhu.guardrails.service import periods
from tests.conftest import make_settings
from tests.factories import make_campaign, make_participant, make_shop

DAILY = 10_000
PRICES = [900, 2_500, 4_100, 6_700]

operations = st.lists(
    st.one_of(
        st.tuples(st.just("step"), st.sampled_from(PRICES)),
        st.tuples(st.just("refund"), st.integers(min_value=0, max_value=30)),
    ),
    min_size=1,
    max_size=25,
)


@dataclass
class World:
    db: Database
    settings: Settings
    shop_id: int
    campaign_id: int
    version_id: int


@pytest.fixture
def world(db_url: str) -> World:
    guarded = make_settings(
        db_url,
        guardrails={"daily_spend_cents": DAILY, "cooling_off_steps": 0, "daily_joins": 50},
    )
    db = Database(guarded.db)
    with db.unit_of_work() as s:
        shop_id = make_shop(s)
        campaign_id, version_id = make_campaign(
            s,
            shop_id=shop_id,
            kind="groupbuy",
            rules={"team_size": 2, "price_cents": 9_900, "group_price_cents": 900},
        )
    return World(db, guarded, shop_id, campaign_id, version_id)


def _team(s: Session, w: World, leader: int) -> int:
    now = assists.clock.utcnow()
    row = Instance(
        shop_id=w.shop_id,
        campaign_id=w.campaign_id,
        campaign_version_id=w.version_id,
        kind="groupbuy",
        initiator_id=leader,
        status="succeeded",  # one team per order; only the order counts here
        seed_hex="0" * 64,
        slots_total=2,
        target_value=2,
        expires_at=now + timedelta(hours=1),
        created_at=now,
    )
    s.add(row)
    s.flush()
    return row.id


def _committed_today(s: Session, w: World, person: int) -> int:
    span = periods(w.settings, assists.clock.utcnow())
    return assists.committed_since(s, shop_id=w.shop_id, account_id=person, since=span.day_start)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations)
def test_no_sequence_of_steps_and_refunds_passes_the_daily_cap(
    world: World, ops: list[tuple[str, int]]
) -> None:
    with world.db.unit_of_work() as s:
        person = make_participant(
            s, world.settings, shop_id=world.shop_id, name=uuid.uuid4().hex[:12]
        )[0]
        leader = make_participant(
            s, world.settings, shop_id=world.shop_id, name=uuid.uuid4().hex[:12]
        )[0]
    held: dict[int, int] = {}  # the person's orders still counting: purchase id -> cents
    for op, value in ops:
        with world.db.unit_of_work() as s:
            before = _committed_today(s, world, person)
            assert before == sum(held.values())  # the ledger, net of refunds
            if op == "refund":
                if held:
                    order = s.get(Purchase, list(held)[value % len(held)])
                    assert order is not None
                    order.status = "refunded"
                    del held[order.id]
            else:
                step = Step(StepKind.JOIN_TEAM, amount_cents=value)
                fits = before + value <= DAILY
                try:
                    now = assists.admit_step(
                        s, world.settings, shop_id=world.shop_id, account_id=person, step=step
                    )
                except CapReached:  # cooling-off is off here: only the cap may refuse
                    assert not fits
                else:
                    assert fits
                    order = Purchase(
                        shop_id=world.shop_id,
                        campaign_id=world.campaign_id,
                        instance_id=_team(s, world, leader),
                        account_id=person,
                        kind="groupbuy",
                        amount_cents=value,
                        subsidy_cents=0,
                        status="authorized",
                        details={"role": "member"},
                        created_at=now,
                        updated_at=now,
                    )
                    s.add(order)
                    s.flush()
                    held[order.id] = value
        with world.db.unit_of_work() as s:
            assert _committed_today(s, world, person) <= DAILY
    world.db.dispose()
