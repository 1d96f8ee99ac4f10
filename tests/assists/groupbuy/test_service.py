"""Group buy through the service and the job runner, on both backends: a team is never
over-filled, a person joins once, a full team is captured once per order, an expired one
released once per order — also when the refund job crashes half-way and runs again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import huzhu.assists.groupbuy.tasks  # registers the team jobs; patched below
from huzhu.accounts.errors import AccountRestricted
from huzhu.accounts.models import Account
from huzhu.assists.errors import BudgetExhausted, OutOfStock
from huzhu.assists.groupbuy import service as groupbuy
from huzhu.assists.models import Instance, InstanceSlot, Purchase
from huzhu.campaigns.models import Campaign
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.jobs.models import Job
from huzhu.jobs.runner import JobRunner
from huzhu.kit import clock
from huzhu.notify.models import Event
from huzhu.payments.models import PaymentTxn
from huzhu.payments.schemas import PaymentResult
from huzhu.payments.service import LocalPaymentProvider
from tests.factories import confirmation, make_campaign, make_participant, make_shop

PRICE, GROUP_PRICE, TEAM_SIZE, TTL = 10_000, 6_000, 3, 3600
SUBSIDY = PRICE - GROUP_PRICE
provider = LocalPaymentProvider()


@dataclass
class World:
    shop_id: int
    campaign_id: int
    people: list[int]


def _world(database: Database, settings: Settings, **campaign: Any) -> World:
    """A shop with a group-buy campaign (TEAM_SIZE, PRICE, GROUP_PRICE) and five people."""
    with database.unit_of_work() as s:
        shop_id = make_shop(s)
        campaign_id, _ = make_campaign(
            s,
            shop_id=shop_id,
            kind="groupbuy",
            rules={
                "team_size": TEAM_SIZE,
                "price_cents": PRICE,
                "group_price_cents": GROUP_PRICE,
                "instance_ttl_seconds": TTL,
            },
            **campaign,
        )
        people = [make_participant(s, settings, shop_id=shop_id, name=f"p{i}")[0] for i in range(5)]
    return World(shop_id=shop_id, campaign_id=campaign_id, people=people)


@pytest.fixture
def world(database: Database, settings: Settings) -> World:
    return _world(database, settings)


@pytest.fixture
def runner(database: Database, settings: Settings) -> JobRunner:
    return JobRunner(database, settings, worker_id="test")


def _open(database: Database, settings: Settings, world: World, leader: int) -> int:
    with database.unit_of_work() as s:
        team, _ = groupbuy.open_team(
            s,
            settings,
            provider,
            shop_id=world.shop_id,
            campaign_id=world.campaign_id,
            leader_id=leader,
            confirmation=confirmation(
                s,
                settings,
                shop_id=world.shop_id,
                account_id=leader,
                action="open_team",
                target_id=world.campaign_id,
            ),
        )
        return team.id


def _join(database: Database, settings: Settings, world: World, team_id: int, who: int) -> None:
    with database.unit_of_work() as s:
        groupbuy.join_team(
            s,
            settings,
            provider,
            shop_id=world.shop_id,
            team_id=team_id,
            account_id=who,
            confirmation=confirmation(
                s,
                settings,
                shop_id=world.shop_id,
                account_id=who,
                action="join_team",
                target_id=team_id,
            ),
        )


def _ledger(s: Session, team_id: int, op: str) -> int:
    """Movements of `op` on this team's orders (a capture or void names its authorization)."""
    auths = select(Purchase.payment_ref).where(Purchase.instance_id == team_id)
    column = PaymentTxn.ref if op == "authorize" else PaymentTxn.parent_ref
    stmt = select(func.count()).where(PaymentTxn.op == op, column.in_(auths))
    return int(s.scalar(stmt) or 0)


def _campaign(s: Session, campaign_id: int) -> Campaign:
    campaign = s.get(Campaign, campaign_id)
    assert campaign is not None
    s.refresh(campaign)
    return campaign


def _events(s: Session, type: str) -> int:
    return int(s.scalar(select(func.count()).where(Event.type == type)) or 0)


def test_leader_opens_a_team_by_ordering(
    database: Database, settings: Settings, world: World
) -> None:
    team_id = _open(database, settings, world, world.people[0])
    with database.unit_of_work() as s:
        team = s.get(Instance, team_id)
        assert team is not None
        assert (team.kind, team.slots_total, team.initiator_id) == ("groupbuy", 2, world.people[0])
        order = s.scalars(select(Purchase).where(Purchase.instance_id == team_id)).one()
        assert (order.status, order.amount_cents, order.subsidy_cents) == (
            "authorized",
            GROUP_PRICE,
            SUBSIDY,
        )
        assert _ledger(s, team_id, "authorize") == 1
        campaign = _campaign(s, world.campaign_id)
        # The whole team's stock, so that the team can fill.
        assert (campaign.budget_reserved_cents, campaign.inventory_reserved) == (
            SUBSIDY,
            TEAM_SIZE,
        )
        refund_job = s.scalars(select(Job).where(Job.kind == groupbuy.REFUND_JOB)).one()
        assert clock.as_utc(refund_job.run_at) == clock.as_utc(team.expires_at)
        assert _events(s, "purchase.authorized") == 1


def test_full_team_captures_every_order_once(
    database: Database, settings: Settings, world: World, runner: JobRunner
) -> None:
    team_id = _open(database, settings, world, world.people[0])
    _join(database, settings, world, team_id, world.people[1])
    _join(database, settings, world, team_id, world.people[2])
    with database.unit_of_work() as s:
        view = groupbuy.team_view(s, settings, team_id)
        assert (view.status, view.members, view.places_left) == ("succeeded", 3, 0)
    runner.run_due()
    runner.run_due()
    with database.unit_of_work() as s:
        statuses = s.scalars(select(Purchase.status).where(Purchase.instance_id == team_id))
        assert sorted(statuses) == ["captured"] * 3
        assert _ledger(s, team_id, "capture") == 3
        assert _ledger(s, team_id, "void") == 0
        campaign = _campaign(s, world.campaign_id)
        assert campaign.budget_spent_cents == 3 * SUBSIDY
        assert campaign.budget_reserved_cents == 0
        assert (campaign.inventory_used, campaign.inventory_reserved) == (3, 0)
        assert groupbuy.team_view(s, settings, team_id).status == "completed"
        claimed = s.scalar(
            select(func.count()).where(
                InstanceSlot.instance_id == team_id, InstanceSlot.assist_id.is_not(None)
            )
        )
        assert claimed == 2
        assert _events(s, "purchase.captured") == 3
        assert _events(s, "instance.succeeded") == 1
    # The capture job running again moves no money.
    with database.unit_of_work() as s:
        assert groupbuy.capture_team(s, provider, team_id=team_id) == 0
        assert _ledger(s, team_id, "capture") == 3


def test_a_full_team_refuses_another_member(
    database: Database, settings: Settings, world: World
) -> None:
    team_id = _open(database, settings, world, world.people[0])
    _join(database, settings, world, team_id, world.people[1])
    _join(database, settings, world, team_id, world.people[2])
    with pytest.raises(groupbuy.TeamFull):
        _join(database, settings, world, team_id, world.people[3])


def test_a_person_joins_a_team_once(database: Database, settings: Settings, world: World) -> None:
    team_id = _open(database, settings, world, world.people[0])
    with database.unit_of_work() as s:
        s.execute(Instance.__table__.update().where(Instance.id == team_id).values(slots_total=2))
    _join(database, settings, world, team_id, world.people[1])
    with pytest.raises(groupbuy.AlreadyInTeam):
        _join(database, settings, world, team_id, world.people[1])
    with database.unit_of_work() as s:
        assert _ledger(s, team_id, "authorize") == 2


def test_the_leader_cannot_join_their_own_team(
    database: Database, settings: Settings, world: World
) -> None:
    team_id = _open(database, settings, world, world.people[0])
    with pytest.raises(groupbuy.AlreadyInTeam):
        _join(database, settings, world, team_id, world.people[0])


def test_a_restricted_person_cannot_join_and_the_team_keeps_its_place(
    database: Database, settings: Settings, world: World
) -> None:
    team_id = _open(database, settings, world, world.people[0])
    until = clock.utcnow() + timedelta(days=1)
    with database.unit_of_work() as s:
        account = s.get(Account, world.people[1])
        assert account is not None
        account.status, account.restricted_until = "restricted", until
    with pytest.raises(AccountRestricted):
        _join(database, settings, world, team_id, world.people[1])
    with database.unit_of_work() as s:
        team = s.get(Instance, team_id)
        assert team is not None
        assert team.slots_used == 0
        assert _ledger(s, team_id, "authorize") == 1  # the leader's order only


def test_an_order_the_budget_cannot_cover_is_refused(
    database: Database, settings: Settings, world: World
) -> None:
    with database.unit_of_work() as s:
        _campaign(s, world.campaign_id).budget_cents = SUBSIDY
    team_id = _open(database, settings, world, world.people[0])
    with pytest.raises(BudgetExhausted):
        _join(database, settings, world, team_id, world.people[1])
    with database.unit_of_work() as s:
        assert groupbuy.team_view(s, settings, team_id).members == 1
        assert _ledger(s, team_id, "authorize") == 1


def test_expired_team_releases_every_order_once(
    database: Database, settings: Settings, world: World, runner: JobRunner
) -> None:
    team_id = _open(database, settings, world, world.people[0])
    _join(database, settings, world, team_id, world.people[1])
    clock.advance(TTL + 1)
    with pytest.raises(groupbuy.TeamClosed):
        _join(database, settings, world, team_id, world.people[2])
    assert runner.run_due() == 1
    with database.unit_of_work() as s:
        statuses = s.scalars(select(Purchase.status).where(Purchase.instance_id == team_id))
        assert sorted(statuses) == ["refunded", "refunded"]
        assert _ledger(s, team_id, "void") == 2
        assert _ledger(s, team_id, "capture") == 0
        campaign = _campaign(s, world.campaign_id)
        assert (campaign.budget_reserved_cents, campaign.budget_spent_cents) == (0, 0)
        assert campaign.inventory_reserved == 0
        assert groupbuy.team_view(s, settings, team_id).status == "expired"
        assert _events(s, "purchase.refunded") == 2
        assert _events(s, "instance.expired") == 1
        assert groupbuy.refund_team(s, provider, team_id=team_id) == 0
        assert _ledger(s, team_id, "void") == 2


class CrashAfterFirstVoid:
    """The real local provider, except that the process 'crashes' right after the first
    void of its first run — the moment a half-done refund job is most dangerous."""

    def __init__(self, real: LocalPaymentProvider) -> None:
        self.real = real
        self.crashed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def void(self, session: Session, *, key: str, authorization_ref: str) -> PaymentResult:
        result = self.real.void(session, key=key, authorization_ref=authorization_ref)
        if not self.crashed:
            self.crashed = True
            raise RuntimeError("worker died half-way through the refunds")
        return result


@pytest.fixture
def crashing_provider(monkeypatch: pytest.MonkeyPatch) -> CrashAfterFirstVoid:
    wrapper = CrashAfterFirstVoid(LocalPaymentProvider())
    monkeypatch.setattr(huzhu.assists.groupbuy.tasks, "get_provider", lambda _settings: wrapper)
    return wrapper


def test_refund_job_that_crashes_half_way_refunds_each_order_exactly_once(
    database: Database,
    settings: Settings,
    world: World,
    runner: JobRunner,
    crashing_provider: CrashAfterFirstVoid,
) -> None:
    team_id = _open(database, settings, world, world.people[0])
    _join(database, settings, world, team_id, world.people[1])
    clock.advance(TTL + 1)
    assert runner.run_due() == 1
    assert crashing_provider.crashed
    with database.unit_of_work() as s:
        job = s.scalars(select(Job).where(Job.kind == groupbuy.REFUND_JOB)).one()
        assert (job.status, job.attempts) == ("pending", 1)
    clock.advance(settings.jobs.backoff_base_seconds + 1)
    assert runner.run_due() == 1
    with database.unit_of_work() as s:
        job = s.scalars(select(Job).where(Job.kind == groupbuy.REFUND_JOB)).one()
        assert job.status == "done"
        voids = s.scalars(select(PaymentTxn.parent_ref).where(PaymentTxn.op == "void")).all()
        refs = s.scalars(select(Purchase.payment_ref).where(Purchase.instance_id == team_id))
        assert sorted(voids) == sorted(refs)
        statuses = s.scalars(select(Purchase.status).where(Purchase.instance_id == team_id))
        assert sorted(statuses) == ["refunded", "refunded"]
        campaign = _campaign(s, world.campaign_id)
        assert (campaign.budget_reserved_cents, campaign.inventory_reserved) == (0, 0)
        assert _events(s, "purchase.refunded") == 2


def test_a_team_opens_only_when_its_whole_stock_can_be_had(
    database: Database, settings: Settings
) -> None:
    """Stock for one team and one more item: the first team reserves all it needs and
    fills; a second team is refused at opening (out_of_stock), not left at k-1 of k with
    every join refused."""
    world = _world(database, settings, inventory_total=TEAM_SIZE + 1)
    people, campaign_id = world.people, world.campaign_id
    team_id = _open(database, settings, world, people[0])
    with pytest.raises(OutOfStock):
        _open(database, settings, world, people[1])
    for member in people[2 : 2 + TEAM_SIZE - 1]:
        _join(database, settings, world, team_id, member)
    with database.unit_of_work() as s:
        assert groupbuy.team_view(s, settings, team_id).status == "succeeded"
        campaign = _campaign(s, campaign_id)
        assert campaign.inventory_reserved == TEAM_SIZE
        orders = s.scalars(select(Purchase).where(Purchase.campaign_id == campaign_id)).all()
        assert sorted(o.details["reserved_units"] for o in orders) == [0] * (TEAM_SIZE - 1) + [
            TEAM_SIZE
        ]
