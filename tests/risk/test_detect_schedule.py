"""Ring detection on a schedule: one plan per period whatever the number of runners, one
scan per shop with recent assists, and — above the auto-confirm threshold — the ring is
confirmed by `rule:detect` so its assists are voided and its accounts restricted."""

from __future__ import annotations

from sqlalchemy import select

from huzhu.assists.models import Assist
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.enforcement.models import EnforcementAction
from huzhu.jobs.models import Job
from huzhu.jobs.runner import JobRunner
from huzhu.risk import tasks
from huzhu.risk.review.models import ReviewCase
from tests.conftest import make_settings
from tests.factories import make_shop
from tests.risk.test_detect_service import RING, TARGETS, _shop_with_a_ring

WINDOW = 60 * 86_400  # the planted ring is 30 days old


def _settings(db_url: str, **detect: object) -> Settings:
    return make_settings(
        db_url,
        jobs={"run_in_process": False},
        detect={"schedule_every_seconds": 3600, "schedule_window_seconds": WINDOW, **detect},
    )


def _jobs(db: Database, kind: str) -> list[Job]:
    with db.unit_of_work() as s:
        rows = list(s.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)))
        s.expunge_all()
    return rows


def test_off_under_the_test_env_hourly_otherwise(db_url: str) -> None:
    assert tasks.schedule_every_seconds(make_settings(db_url)) == 0
    assert tasks.schedule_every_seconds(Settings(database_url=db_url, env="production")) == 3600
    assert tasks.schedule_every_seconds(_settings(db_url)) == 3600


def test_one_plan_per_period_one_scan_per_shop_and_no_auto_confirm_by_default(
    db_url: str,
) -> None:
    settings = _settings(db_url)
    db = Database(settings.db)
    try:
        shop_id, ring, _ = _shop_with_a_ring(db, settings)
        with db.unit_of_work() as s:
            quiet_shop = make_shop(s)  # no assists: not scanned
        # Three runners poll at once: one plan for the period.
        runners = [JobRunner(db, settings) for _ in range(3)]
        for runner in runners:
            runner.run_periodic(force=True)
        plans = [j for j in _jobs(db, "detect.plan") if j.status == "pending"]
        assert len(plans) == 1
        runners[0].run_due()
        scans = _jobs(db, "detect.run")
        assert shop_id in [j.payload["shop_id"] for j in scans]
        assert quiet_shop not in [j.payload["shop_id"] for j in scans]
        assert {j.status for j in scans} == {"done"}
        # Planning the same period again adds nothing.
        for runner in runners:
            runner.run_periodic(force=True)
            runner.run_due()
        assert len(_jobs(db, "detect.run")) == len(scans)
        with db.unit_of_work() as s:
            case = s.scalars(select(ReviewCase).where(ReviewCase.shop_id == shop_id)).one()
            assert (case.kind, case.status) == ("fraud_ring", "open")  # an analyst decides
            assert case.subject_account_ids == sorted(ring)
    finally:
        db.dispose()


def test_above_the_threshold_a_ring_is_confirmed_by_rule(db_url: str) -> None:
    settings = _settings(db_url, auto_confirm_significance=6.0)
    db = Database(settings.db)
    try:
        shop_id, ring, targets = _shop_with_a_ring(db, settings)
        runner = JobRunner(db, settings)
        runner.run_periodic(force=True)
        runner.run_due()
        with db.unit_of_work() as s:
            case = s.scalars(select(ReviewCase).where(ReviewCase.shop_id == shop_id)).one()
            assert (case.status, case.decided_by) == ("confirmed", "rule:detect")
            voided = s.scalars(
                select(Assist.id).where(
                    Assist.helper_id.in_(ring),
                    Assist.instance_id.in_(targets),
                    Assist.status == "voided",
                )
            ).all()
            assert len(voided) == RING * TARGETS
            restricted = s.scalars(
                select(EnforcementAction.account_id).where(
                    EnforcementAction.case_id == case.id,
                    EnforcementAction.kind == "participation_restriction",
                )
            ).all()
            assert sorted(restricted) == sorted(ring)
            honest_voided = s.scalars(
                select(Assist.id).where(Assist.helper_id.not_in(ring), Assist.status == "voided")
            ).all()
            assert honest_voided == []
    finally:
        db.dispose()
