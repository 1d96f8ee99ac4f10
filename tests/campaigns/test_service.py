"""Campaign use cases against the real database: frozen versions, the lifecycle and its
jobs, the lottery's commitment and prize-pool reservation, budget top-ups, events."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session

from huzhu.campaigns import flows, service
from huzhu.campaigns import tasks as campaign_tasks
from huzhu.campaigns.errors import BudgetBelowCommitted, InvalidTransition, NotNow
from huzhu.campaigns.models import Campaign, LotterySecret
from huzhu.campaigns.schemas import CampaignCreate, CampaignOut, CampaignUpdate
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.jobs.models import Job
from huzhu.jobs.runner import JobRunner
from huzhu.kit import clock
from huzhu.notify.models import Event
from tests.campaigns.conftest import bodies
from tests.factories import make_shop

_adapter: TypeAdapter[Any] = TypeAdapter(CampaignCreate)
# The runner finds handlers in the registry; importing the module registers them.
assert campaign_tasks.activate is not None


def _create(
    session: Session, settings: Settings, shop_id: int, body: dict[str, Any]
) -> CampaignOut:
    return service.create_campaign(
        session, settings, shop_id=shop_id, body=_adapter.validate_python(body)
    )


def _events(session: Session, campaign_id: int) -> list[str]:
    return list(
        session.scalars(
            select(Event.type)
            .where(Event.subject_type == "campaign", Event.subject_id == campaign_id)
            .order_by(Event.id)
        )
    )


def test_a_live_edit_makes_version_2_and_leaves_version_1_as_instances_hold_it(
    session: Session, settings: Settings
) -> None:
    shop_id = make_shop(session)
    created = _create(session, settings, shop_id, bodies()["bargain"])
    flows.launch(session, shop_id=shop_id, campaign_id=created.id)
    held_by_instance = service.current_version(session, created.id).id  # as an instance stores it
    before = dict(service.get_version(session, held_by_instance).rules)

    edited = service.update_campaign(
        session,
        settings,
        shop_id=shop_id,
        campaign_id=created.id,
        patch=CampaignUpdate(floor_cents=2_000, max_helpers=20),
    )

    assert edited.version == 2
    assert edited.version_id != held_by_instance
    assert edited.rules["floor_cents"] == 2_000
    assert service.get_version(session, held_by_instance).rules == before
    assert service.current_version(session, created.id).id == edited.version_id
    assert service.worst_case_reservation(edited.rules) == (8_000, 1)
    assert _events(session, created.id)[-2:] == ["campaign.versioned", "campaign.updated"]


def test_a_draft_edit_changes_version_1_in_place(session: Session, settings: Settings) -> None:
    shop_id = make_shop(session)
    created = _create(session, settings, shop_id, bodies()["unlock"])
    edited = service.update_campaign(
        session,
        settings,
        shop_id=shop_id,
        campaign_id=created.id,
        patch=CampaignUpdate(helpers_needed=4, name="Free tea"),
    )
    assert (edited.version, edited.version_id) == (1, created.version_id)
    assert edited.rules["helpers_needed"] == 4
    assert edited.name == "Free tea"


def test_an_edit_that_changes_only_the_name_makes_no_new_version(
    session: Session, settings: Settings
) -> None:
    shop_id = make_shop(session)
    created = _create(session, settings, shop_id, bodies()["unlock"])
    flows.launch(session, shop_id=shop_id, campaign_id=created.id)
    edited = service.update_campaign(
        session, settings, shop_id=shop_id, campaign_id=created.id, patch=CampaignUpdate(name="x")
    )
    assert edited.version == 1


def test_launching_a_lottery_commits_to_sha256_of_the_seed_bytes_and_reserves_the_pool(
    session: Session, settings: Settings
) -> None:
    shop_id = make_shop(session)
    created = _create(session, settings, shop_id, bodies()["lottery"])
    assert created.rules["commitment_hex"] is None
    live = flows.launch(session, shop_id=shop_id, campaign_id=created.id)
    secret = session.get(LotterySecret, created.id)
    assert secret is not None
    assert len(bytes.fromhex(secret.seed_hex)) == 32
    expected = hashlib.sha256(bytes.fromhex(secret.seed_hex)).hexdigest()
    assert secret.commitment_hex == expected
    assert live.rules["commitment_hex"] == expected
    assert live.launched_at is not None
    assert (live.budget_reserved_cents, live.inventory_reserved) == (200_000 + 10 * 2_000, 11)
    launched = session.scalars(select(Event).where(Event.type == "campaign.launched")).one()
    assert launched.payload["commitment_hex"] == expected
    assert secret.seed_hex not in str(launched.payload)


def test_a_later_version_of_a_lottery_keeps_its_commitment(
    session: Session, settings: Settings
) -> None:
    shop_id = make_shop(session)
    created = _create(session, settings, shop_id, bodies()["lottery"])
    live = flows.launch(session, shop_id=shop_id, campaign_id=created.id)
    edited = service.update_campaign(
        session,
        settings,
        shop_id=shop_id,
        campaign_id=created.id,
        patch=CampaignUpdate(daily_assists_per_helper=2),
    )
    assert edited.version == 2
    assert edited.rules["commitment_hex"] == live.rules["commitment_hex"]


def test_schedule_goes_live_by_job_at_starts_at_and_ends_by_job_at_ends_at(
    database: Database, settings: Settings
) -> None:
    start = clock.utcnow() + timedelta(hours=1)
    body = bodies()["bargain"] | {
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=5)).isoformat(),
    }
    with database.unit_of_work() as s:
        shop_id = make_shop(s)
        campaign_id = _create(s, settings, shop_id, body).id
        with pytest.raises(NotNow) as early:
            flows.launch(s, shop_id=shop_id, campaign_id=campaign_id)
        assert early.value.extra["errors"][0]["field"] == "starts_at"
        scheduled = flows.schedule(s, shop_id=shop_id, campaign_id=campaign_id, starts_at=None)
        assert scheduled.status == "scheduled"
        kinds = list(s.scalars(select(Job.kind).where(Job.status == "pending")))
        assert kinds.count(service.ACTIVATE_JOB) == 1
        assert not service.reserve(s, campaign_id=campaign_id, cents=1, units=1)

    runner = JobRunner(database, settings)
    runner.run_due()
    assert _status(database, campaign_id) == "scheduled"
    clock.advance(3601)
    runner.run_due()
    assert _status(database, campaign_id) == "live"
    clock.advance(5 * 3600)
    runner.run_due()
    assert _status(database, campaign_id) == "ended"
    with database.unit_of_work() as s:
        assert _events(s, campaign_id) == [
            "campaign.created",
            "campaign.scheduled",
            "campaign.launched",
            "campaign.ended",
        ]


def test_a_rescheduled_start_leaves_the_earlier_job_with_nothing_to_do(
    database: Database, settings: Settings
) -> None:
    with database.unit_of_work() as s:
        shop_id = make_shop(s)
        campaign_id = _create(s, settings, shop_id, bodies()["unlock"]).id
        first = clock.utcnow() + timedelta(minutes=10)
        flows.schedule(s, shop_id=shop_id, campaign_id=campaign_id, starts_at=first)
        flows.schedule(
            s, shop_id=shop_id, campaign_id=campaign_id, starts_at=first + timedelta(hours=1)
        )
    clock.advance(11 * 60)
    JobRunner(database, settings).run_due()
    assert _status(database, campaign_id) == "scheduled"
    clock.advance(3600)
    JobRunner(database, settings).run_due()
    assert _status(database, campaign_id) == "live"


def _status(database: Database, campaign_id: int) -> str:
    with database.unit_of_work() as s:
        campaign = s.get(Campaign, campaign_id)
        assert campaign is not None
        return campaign.status


def test_pause_stops_reservations_and_resume_restores_them(
    session: Session, settings: Settings
) -> None:
    shop_id = make_shop(session)
    campaign_id = _create(session, settings, shop_id, bodies()["unlock"]).id
    flows.launch(session, shop_id=shop_id, campaign_id=campaign_id)
    flows.pause(session, shop_id=shop_id, campaign_id=campaign_id)
    assert not service.reserve(session, campaign_id=campaign_id, cents=500, units=1)
    flows.resume(session, shop_id=shop_id, campaign_id=campaign_id)
    assert service.reserve(session, campaign_id=campaign_id, cents=500, units=1)
    ended = flows.end(session, shop_id=shop_id, campaign_id=campaign_id)
    assert ended.status == "ended"
    with pytest.raises(InvalidTransition):
        flows.resume(session, shop_id=shop_id, campaign_id=campaign_id)
    assert _events(session, campaign_id) == [
        "campaign.created",
        "campaign.launched",
        "campaign.paused",
        "campaign.resumed",
        "campaign.ended",
    ]


def test_budget_tops_up_but_never_below_what_is_reserved_and_spent(
    session: Session, settings: Settings
) -> None:
    shop_id = make_shop(session)
    campaign_id = _create(session, settings, shop_id, bodies()["unlock"]).id
    flows.launch(session, shop_id=shop_id, campaign_id=campaign_id)
    for _ in range(3):
        assert service.reserve(session, campaign_id=campaign_id, cents=500, units=1)
    service.consume(session, campaign_id=campaign_id, cents=500, units=1)

    def patch(**fields: int) -> CampaignOut:
        return service.update_campaign(
            session,
            settings,
            shop_id=shop_id,
            campaign_id=campaign_id,
            patch=CampaignUpdate(**fields),  # type: ignore[arg-type]
        )

    with pytest.raises(BudgetBelowCommitted) as low:
        patch(budget_cents=1_499)
    assert low.value.extra["errors"][0]["field"] == "budget_cents"
    with pytest.raises(BudgetBelowCommitted):
        patch(inventory_total=2)
    assert patch(budget_cents=1_500).budget_cents == 1_500
    topped = patch(budget_cents=2_000_000, inventory_total=500)
    assert (topped.budget_cents, topped.inventory_total, topped.version) == (2_000_000, 500, 1)
    assert "campaign.budget_changed" in _events(session, campaign_id)


def _race(n: int, action: Callable[[int], object]) -> list[object]:
    """Run action(i) in n threads released together; each result or raised error."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = action(i)
        except Exception as exc:  # the outcome under test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_launches_of_a_lottery_commit_and_reserve_once(
    database: Database, settings: Settings
) -> None:
    with database.unit_of_work() as s:
        shop_id = make_shop(s)
        campaign_id = _create(s, settings, shop_id, bodies()["lottery"]).id

    def launch(_: int) -> CampaignOut:
        with database.unit_of_work() as s:
            return flows.launch(s, shop_id=shop_id, campaign_id=campaign_id)

    results = _race(8, launch)
    assert sum(isinstance(r, CampaignOut) for r in results) == 1
    assert all(isinstance(r, (CampaignOut, InvalidTransition)) for r in results), results
    with database.unit_of_work() as s:
        row = s.get(Campaign, campaign_id)
        assert row is not None
        assert (row.budget_reserved_cents, row.inventory_reserved) == (220_000, 11)
        assert len(list(s.scalars(select(LotterySecret)))) == 1
        assert _events(s, campaign_id).count("campaign.launched") == 1


def test_concurrent_edits_of_a_live_campaign_each_make_their_own_version(
    database: Database, settings: Settings
) -> None:
    with database.unit_of_work() as s:
        shop_id = make_shop(s)
        campaign_id = _create(s, settings, shop_id, bodies()["unlock"]).id
        flows.launch(s, shop_id=shop_id, campaign_id=campaign_id)

    def edit(i: int) -> CampaignOut:
        with database.unit_of_work() as s:
            return service.update_campaign(
                s,
                settings,
                shop_id=shop_id,
                campaign_id=campaign_id,
                patch=CampaignUpdate(daily_assists_per_helper=10 + i),
            )

    results = _race(6, edit)
    assert all(isinstance(r, CampaignOut) for r in results), results
    with database.unit_of_work() as s:
        versions = service.list_versions(s, shop_id=shop_id, campaign_id=campaign_id)
    assert [v.version for v in versions] == list(range(1, 8))
    assert sorted(v.rules["daily_assists_per_helper"] for v in versions[1:]) == list(range(10, 16))
