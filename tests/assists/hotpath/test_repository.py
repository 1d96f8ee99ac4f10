"""Every outcome of the assist's writes, on both backends (the SQLite statements and the
PostgreSQL functions are two definitions of one act): each case builds its situation,
gives one assist through the hot path's store, and checks the outcome and what was
written — a refusal writes nothing. A new Outcome without a case here fails the table.

Counting a held assist after review goes through the same definitions
(`store.count_held_in`, in the review's unit of work): its outcomes get the same table.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from huzhu.accounts.models import Account
from huzhu.assists.hotpath.repository import acts as sql
from huzhu.assists.hotpath.repository.acts import Decision, Outcome
from huzhu.assists.hotpath.store import (
    AssistStore,
    PostgresAssistStore,
    SqliteAssistStore,
    count_held_in,
)
from huzhu.assists.models import Assist, HeldNetwork, HelperDay, Instance, InstanceSlot
from huzhu.assists.rules import SuccessPlan, day_key
from huzhu.invites.models import AccountBlock, ShareLink, ShareOpen
from huzhu.jobs.models import Job
from huzhu.kit import clock
from huzhu.notify.models import Event
from tests.assists.conftest import BARGAIN_RULES, World, write_instance


@dataclass
class Case:
    """One situation: the instance, the helper, and the assist's parameters."""

    world: World
    campaign: tuple[int, int]
    initiator: int
    instance_id: int
    helper: int

    def params(self, **changes: Any) -> sql.GiveParams:
        now = clock.utcnow()
        base = sql.GiveParams(
            instance_id=self.instance_id,
            shop_id=self.world.shop.shop_id,
            campaign_id=self.campaign[0],
            helper_id=self.helper,
            decision=Decision.COUNT,
            score=0.0,
            reasons=[],
            idempotency_key=None,
            now=now,
            day=day_key(now),
            daily_cap=5,
            success=_plan(now),
        )
        return replace(base, **changes)

    def other_instance(self, slots: list[int], *, starter: str = "other-starter") -> int:
        """An instance of the campaign (one active per starter) with these slots."""
        with self.world.db.unit_of_work() as s:
            return write_instance(
                s,
                shop_id=self.world.shop.shop_id,
                campaign=self.campaign,
                kind="bargain",
                initiator_id=self.world.person(starter)[0],
                slots=slots,
            )

    def share_link(self, s: Session, *, instance_id: int, revoked: bool = False) -> int:
        now = clock.utcnow()
        link = ShareLink(
            shop_id=self.world.shop.shop_id,
            instance_id=instance_id,
            sender_id=self.initiator,
            channel="friend",
            kid="k0",
            issued_at=now,
            expires_at=now + timedelta(days=1),
            revoked_at=now if revoked else None,
            created_at=now,
        )
        s.add(link)
        s.flush()
        return link.id


def _plan(now: datetime, *, succeeds_when_full: bool = True) -> SuccessPlan:
    """A bargain's: succeed when full, the window closing in an hour."""
    deadline = now + timedelta(hours=1)
    job = "instance.purchase_window_close"
    return SuccessPlan(succeeds_when_full, deadline, job, deadline)


def _case(world: World, slots: list[int]) -> Case:
    campaign = world.campaign("bargain", BARGAIN_RULES)
    initiator = world.person("initiator")[0]
    case = Case(world, campaign, initiator, 0, world.person("helper")[0])
    case.instance_id = case.other_instance(slots, starter="initiator")
    return case


@pytest.fixture
def store(world: World) -> Iterator[AssistStore]:
    """The hot path's own store on the world's database, run on a loop of its own."""
    settings = world.settings
    loop = asyncio.new_event_loop()
    opened: AssistStore
    if settings.db.is_sqlite:
        opened = SqliteAssistStore(str(settings.db.sqlite_path))
    else:
        opened = loop.run_until_complete(PostgresAssistStore.open(settings.db.asyncpg_dsn, size=2))
    yield _OnLoop(opened, loop)  # type: ignore[misc]
    loop.run_until_complete(opened.close())
    loop.close()


class _OnLoop:
    def __init__(self, store: AssistStore, loop: asyncio.AbstractEventLoop) -> None:
        self.store, self.loop = store, loop

    def give(self, params: sql.GiveParams) -> sql.GiveOutcome:
        return self.loop.run_until_complete(self.store.give(params))


# -- give: every outcome ---------------------------------------------------------------


def _counted(case: Case, store: _OnLoop) -> sql.GiveParams:
    return case.params()


def _held(case: Case, store: _OnLoop) -> sql.GiveParams:
    return case.params(
        decision=Decision.HOLD, score=0.8, reasons=["new_account"], network_hash="net-a"
    )


def _replay(case: Case, store: _OnLoop) -> sql.GiveParams:
    first = store.give(case.params(idempotency_key="k-1"))
    assert first.outcome == Outcome.COUNTED
    return case.params(idempotency_key="k-1")


def _not_found(case: Case, store: _OnLoop) -> sql.GiveParams:
    return case.params(shop_id=case.world.shop.shop_id + 10_000)


def _already_assisted(case: Case, store: _OnLoop) -> sql.GiveParams:
    assert store.give(case.params(idempotency_key="k-1")).outcome == Outcome.COUNTED
    return case.params(idempotency_key="k-2")


def _closed(case: Case, store: _OnLoop) -> sql.GiveParams:
    return case.params(now=clock.utcnow() + timedelta(hours=2))


def _self_assist(case: Case, store: _OnLoop) -> sql.GiveParams:
    return case.params(helper_id=case.initiator)


def _blocked(case: Case, store: _OnLoop) -> sql.GiveParams:
    with case.world.db.unit_of_work() as s:
        s.add(
            AccountBlock(
                account_id=case.initiator, blocked_id=case.helper, created_at=clock.utcnow()
            )
        )
    return case.params()


def _restricted(case: Case, store: _OnLoop) -> sql.GiveParams:
    with case.world.db.unit_of_work() as s:
        s.execute(
            update(Account)
            .where(Account.id == case.helper)
            .values(status="restricted", restricted_until=clock.utcnow() + timedelta(days=1))
        )
    return case.params()


def _share_revoked(case: Case, store: _OnLoop) -> sql.GiveParams:
    with case.world.db.unit_of_work() as s:
        link = case.share_link(s, instance_id=case.instance_id, revoked=True)
    return case.params(share_link_id=link, channel="friend")


def _share_mismatch(case: Case, store: _OnLoop) -> sql.GiveParams:
    other = case.other_instance([100])
    with case.world.db.unit_of_work() as s:
        link = case.share_link(s, instance_id=case.instance_id)
        elsewhere = case.share_link(s, instance_id=other)
        opened = ShareOpen(
            share_link_id=elsewhere,
            shop_id=case.world.shop.shop_id,
            instance_id=other,
            channel="friend",
            opened_at=clock.utcnow(),
        )
        s.add(opened)
        s.flush()
        open_id = opened.id
    return case.params(share_link_id=link, share_open_id=open_id, channel="friend")


def _full(case: Case, store: _OnLoop) -> sql.GiveParams:
    """Every slot taken on an instance that stays active when full (a lottery at its
    entry cap; a bargain would have succeeded, and be `closed`)."""
    for filler in ("filler-1", "filler-2"):
        filling = _plan(clock.utcnow(), succeeds_when_full=False)
        taken = case.params(helper_id=case.world.person(filler)[0], success=filling)
        assert store.give(taken).outcome == Outcome.COUNTED
    return case.params(success=_plan(clock.utcnow(), succeeds_when_full=False))


def _daily_limit(case: Case, store: _OnLoop) -> sql.GiveParams:
    other = case.other_instance([100, 100])
    assert store.give(case.params(instance_id=other, daily_cap=1)).outcome == Outcome.COUNTED
    return case.params(daily_cap=1)


def _hold_limit_instance(case: Case, store: _OnLoop) -> sql.GiveParams:
    """One assist waits on hold on an instance that may have one waiting."""
    first = case.params(helper_id=case.world.person("filler-1")[0], decision=Decision.HOLD)
    assert store.give(first).outcome == Outcome.HELD
    return case.params(decision=Decision.HOLD, held_per_instance=1)


def _hold_limit_network(case: Case, store: _OnLoop) -> sql.GiveParams:
    """The network put two on hold in this window (on another instance, and one in an
    earlier window that no longer counts); it may put two."""
    other = case.other_instance([100, 100, 100])
    for filler, bucket in (("filler-1", 6), ("filler-2", 7), ("filler-3", 7)):
        earlier = case.params(
            instance_id=other,
            helper_id=case.world.person(filler)[0],
            decision=Decision.HOLD,
            network_hash="net-a",
            hold_bucket=bucket,
            held_per_network=2,
        )
        assert store.give(earlier).outcome == Outcome.HELD
    return case.params(
        decision=Decision.HOLD, network_hash="net-a", hold_bucket=7, held_per_network=2
    )


GIVE_CASES: dict[Outcome, Callable[[Case, _OnLoop], sql.GiveParams]] = {
    Outcome.COUNTED: _counted,
    Outcome.HELD: _held,
    Outcome.REPLAY: _replay,
    Outcome.NOT_FOUND: _not_found,
    Outcome.ALREADY_ASSISTED: _already_assisted,
    Outcome.CLOSED: _closed,
    Outcome.SELF_ASSIST: _self_assist,
    Outcome.BLOCKED: _blocked,
    Outcome.RESTRICTED: _restricted,
    Outcome.SHARE_REVOKED: _share_revoked,
    Outcome.SHARE_MISMATCH: _share_mismatch,
    Outcome.FULL: _full,
    Outcome.DAILY_LIMIT: _daily_limit,
    Outcome.HOLD_LIMIT_INSTANCE: _hold_limit_instance,
    Outcome.HOLD_LIMIT_NETWORK: _hold_limit_network,
}


def test_the_table_names_every_outcome() -> None:
    assert set(GIVE_CASES) == set(Outcome)


def _footprint(world: World, instance_id: int) -> tuple[int, ...]:
    """What an assist writes: assists, daily counters, events, jobs, the instance's
    counters, and the holds counted against networks."""
    with world.db.unit_of_work() as s:
        instance = s.get(Instance, instance_id)
        assert instance is not None
        return (
            s.scalar(select(func.count()).select_from(Assist)) or 0,
            s.scalar(select(func.coalesce(func.sum(HelperDay.n), 0))) or 0,
            s.scalar(select(func.count()).select_from(Event)) or 0,
            s.scalar(select(func.count()).select_from(Job)) or 0,
            instance.slots_used,
            instance.held_count,
            s.scalar(select(func.coalesce(func.sum(HeldNetwork.n), 0))) or 0,
        )


@pytest.mark.parametrize("expected", list(Outcome), ids=str)
def test_every_outcome_of_give(world: World, store: _OnLoop, expected: Outcome) -> None:
    case = _case(world, [300, 200])
    params = GIVE_CASES[expected](case, store)
    before = _footprint(world, case.instance_id)
    outcome = store.give(params)
    after = _footprint(world, case.instance_id)
    assert outcome.outcome == expected
    written = tuple(a - b for a, b in zip(after, before, strict=True))
    # assists, daily counters, events, jobs, slots used, held, holds of networks
    if expected == Outcome.COUNTED:
        assert (outcome.slot, outcome.value, outcome.assist_status) == (0, 300, "counted")
        assert written == (1, 1, 1, 0, 1, 0, 0)
    elif expected == Outcome.HELD:
        assert (outcome.slot, outcome.value, outcome.assist_status) == (None, 0, "held")
        assert written == (1, 1, 1, 0, 0, 1, 1)
    else:
        assert written == (0, 0, 0, 0, 0, 0, 0)
    if expected == Outcome.REPLAY:
        assert (outcome.slot, outcome.value, outcome.assist_status) == (0, 300, "counted")
    if expected == Outcome.CLOSED:
        assert outcome.instance_status == "active"  # active, but past its expiry
    if expected == Outcome.RESTRICTED:
        assert outcome.restricted_until is not None


def test_the_last_slot_succeeds_the_instance_with_its_event_and_job(
    world: World, store: _OnLoop
) -> None:
    case = _case(world, [300])
    outcome = store.give(case.params())
    assert (outcome.outcome, outcome.instance_status) == (Outcome.COUNTED, "succeeded")
    with world.db.unit_of_work() as s:
        types = s.scalars(select(Event.type).where(Event.subject_id == case.instance_id)).all()
        assert sorted(types) == ["assist.counted", "instance.succeeded"]
        job = s.scalars(select(Job)).one()
        assert job.dedupe_key == f"instance.purchase_window_close:{case.instance_id}:0"


# -- counting a held assist -------------------------------------------------------------


def _held_assist(case: Case, store: _OnLoop, helper: str) -> int:
    given = store.give(case.params(helper_id=case.world.person(helper)[0], decision=Decision.HOLD))
    assert given.outcome == Outcome.HELD
    assert given.assist_id is not None
    return given.assist_id


def _count_held(case: Case, assist_id: int, **changes: Any) -> sql.GiveOutcome:
    now = changes.pop("now", clock.utcnow())
    params = sql.CountHeldParams(
        instance_id=case.instance_id,
        shop_id=case.world.shop.shop_id,
        assist_id=assist_id,
        now=now,
        success=_plan(now),
    )
    with case.world.db.unit_of_work() as s:
        return count_held_in(s, replace(params, **changes))


def test_counting_held_assists_fills_and_succeeds_like_the_hot_path(
    world: World, store: _OnLoop
) -> None:
    case = _case(world, [300, 200])
    first, second, third = (_held_assist(case, store, f"held-{n}") for n in range(3))
    one = _count_held(case, first)
    assert (one.outcome, one.slot, one.value, one.instance_status) == (
        Outcome.COUNTED,
        0,
        300,
        "active",
    )
    two = _count_held(case, second)
    assert (two.outcome, two.slot, two.instance_status) == (Outcome.COUNTED, 1, "succeeded")
    assert _count_held(case, third).outcome == Outcome.FULL
    assert _count_held(case, first).outcome == Outcome.NOT_FOUND  # no longer held
    with world.db.unit_of_work() as s:
        instance = s.get(Instance, case.instance_id)
        assert instance is not None
        assert (instance.slots_used, instance.progress_value, instance.held_count) == (2, 500, 1)
        claimed = s.scalars(
            select(InstanceSlot.assist_id)
            .where(InstanceSlot.instance_id == case.instance_id)
            .order_by(InstanceSlot.slot)
        ).all()
        assert claimed == [first, second]
        counted = s.scalars(
            select(Event.payload).where(
                Event.subject_id == case.instance_id, Event.type == "assist.counted"
            )
        ).all()
        assert [p["after_review"] for p in counted] == [True, True]
        job = s.scalars(select(Job)).one()
        assert job.dedupe_key == f"instance.purchase_window_close:{case.instance_id}:0"


def test_a_held_assist_on_an_ended_instance_is_closed(world: World, store: _OnLoop) -> None:
    case = _case(world, [300, 200])
    held = _held_assist(case, store, "late")
    later = clock.utcnow() + timedelta(hours=2)
    assert _count_held(case, held, now=later).outcome == Outcome.CLOSED
    with world.db.unit_of_work() as s:
        assist = s.get(Assist, held)
        assert assist is not None
        assert (assist.status, assist.slot) == ("held", None)
