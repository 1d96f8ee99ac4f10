"""Reservations: budget and stock are never exceeded, by any sequence of operations and
under concurrent reservers, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from huzhu.campaigns import service
from huzhu.campaigns.models import Campaign
from huzhu.db import Database
from tests.factories import make_campaign, make_shop

BARGAIN = {"price_cents": 10_000, "floor_cents": 1_000, "max_helpers": 10}


def _campaign(session: Session, *, budget: int, stock: int) -> int:
    shop_id = make_shop(session)
    campaign_id, _ = make_campaign(
        session,
        shop_id=shop_id,
        kind="bargain",
        rules=BARGAIN,
        budget_cents=budget,
        inventory_total=stock,
    )
    return campaign_id


def test_worst_case_of_each_kind() -> None:
    assert service.worst_case_reservation({"kind": "bargain", **BARGAIN}) == (9_000, 1)
    assert service.worst_case_reservation(
        {"kind": "groupbuy", "price_cents": 5_000, "group_price_cents": 3_000}
    ) == (2_000, 1)
    assert service.worst_case_reservation({"kind": "unlock", "reward_cents": 500}) == (500, 1)
    assert service.worst_case_reservation({"kind": "lottery"}) == (0, 0)


def test_a_paused_campaign_takes_no_reservation(session: Session) -> None:
    campaign_id = _campaign(session, budget=100_000, stock=10)
    session.get(Campaign, campaign_id).status = "paused"  # type: ignore[union-attr]
    session.flush()
    assert not service.reserve(session, campaign_id=campaign_id, cents=1, units=1)


def test_releasing_more_than_reserved_is_refused(session: Session) -> None:
    campaign_id = _campaign(session, budget=100_000, stock=10)
    assert service.reserve(session, campaign_id=campaign_id, cents=100, units=1)
    service.release(session, campaign_id=campaign_id, cents=100, units=1)
    with pytest.raises(RuntimeError, match="released twice"):
        service.release(session, campaign_id=campaign_id, cents=100, units=1)


ops = st.lists(
    st.tuples(
        st.sampled_from(["reserve", "release", "consume"]),
        st.integers(min_value=0, max_value=4_000),
        st.integers(min_value=0, max_value=2),
    ),
    max_size=40,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=ops)
def test_no_sequence_of_operations_exceeds_budget_or_stock(database: Database, ops: list) -> None:  # type: ignore[type-arg]
    with database.unit_of_work() as session:
        campaign_id = _campaign(session, budget=10_000, stock=3)
        held: list[tuple[int, int]] = []
        for op, cents, units in ops:
            if op == "reserve":
                if service.reserve(session, campaign_id=campaign_id, cents=cents, units=units):
                    held.append((cents, units))
            elif held:
                c, u = held.pop()
                if op == "release":
                    service.release(session, campaign_id=campaign_id, cents=c, units=u)
                else:
                    service.consume(
                        session,
                        campaign_id=campaign_id,
                        reserved_cents=c,
                        reserved_units=u,
                        spent_cents=c // 2,
                        used_units=u,
                    )
            session.expire_all()
            row = session.get(Campaign, campaign_id)
            assert row is not None
            assert row.budget_reserved_cents + row.budget_spent_cents <= row.budget_cents
            assert row.inventory_reserved + row.inventory_used <= row.inventory_total
            assert row.budget_reserved_cents == sum(c for c, _ in held)


def test_a_hundred_concurrent_reservers_get_exactly_what_the_budget_fits(
    database: Database,
) -> None:
    with database.unit_of_work() as session:
        campaign_id = _campaign(session, budget=90_000, stock=1_000)  # fits 10 × 9,000
    wins: list[bool] = []
    lock = threading.Lock()
    barrier = threading.Barrier(100)

    def reserver() -> None:
        barrier.wait()
        with database.unit_of_work() as session:
            ok = service.reserve(session, campaign_id=campaign_id, cents=9_000, units=1)
        with lock:
            wins.append(ok)

    threads = [threading.Thread(target=reserver) for _ in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wins.count(True) == 10
    with database.unit_of_work() as session:
        row = session.get(Campaign, campaign_id)
        assert row is not None
        assert row.budget_reserved_cents == 90_000
        assert row.inventory_reserved == 10
