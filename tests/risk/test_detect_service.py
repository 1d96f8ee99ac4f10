"""`huzhu detect run`: a ring hidden among honest assists in the database goes to the
review queue once, with its accounts, instances, windows and assists as evidence; above
the auto-confirm threshold the command confirms it as the scheduled scan does, unless
told `--no-auto-confirm`."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import numpy as np
from sqlalchemy import select
from typer.testing import CliRunner

from huzhu.assists.models import Assist
from huzhu.cli.main import app
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.kit import clock
from huzhu.risk import detect_service
from huzhu.risk.review.models import ReviewCase
from tests.assists.conftest import UNLOCK_RULES, write_instance
from tests.factories import make_campaign, make_participant, make_shop

HONEST, RING, INSTANCES, TARGETS = 60, 8, 30, 6


def _shop_with_a_ring(db: Database, settings: Settings) -> tuple[int, list[int], list[int]]:
    """60 honest accounts helping 30 instances over three weeks, and 8 ring accounts
    that each help 6 of those instances within two minutes of one another."""
    rng = np.random.default_rng(5)
    t0 = clock.utcnow() - timedelta(days=30)
    with db.unit_of_work() as s:
        shop_id = make_shop(s)
        campaign = make_campaign(s, shop_id=shop_id, kind="unlock", rules=UNLOCK_RULES)
        people = [
            make_participant(s, settings, shop_id=shop_id, name=f"p{k}")[0]
            for k in range(HONEST + RING)
        ]
        honest, ring = people[:HONEST], people[HONEST:]
        instances = [
            write_instance(
                s,
                shop_id=shop_id,
                campaign=campaign,
                kind="unlock",
                initiator_id=honest[k],
                slots=[0, 0, 0],
            )
            for k in range(INSTANCES)
        ]
        pairs: set[tuple[int, int]] = set()
        rows = []
        for instance in instances:
            for helper in rng.choice(honest, 6, replace=False).tolist():
                at = t0 + timedelta(seconds=int(rng.integers(0, 21 * 86_400)))
                pairs.add((helper, instance))
                rows.append((helper, instance, at))
        targets = instances[:TARGETS]
        for k, instance in enumerate(targets):
            moment = t0 + timedelta(days=k, hours=3)
            for helper in ring:
                pairs.discard((helper, instance))
                rows.append((helper, instance, moment + timedelta(seconds=int(rng.integers(120)))))
        seen: set[tuple[int, int]] = set()
        for helper, instance, at in rows:
            if (helper, instance) in seen:
                continue
            seen.add((helper, instance))
            s.add(
                Assist(
                    instance_id=instance,
                    campaign_id=campaign[0],
                    helper_id=helper,
                    status="counted",
                    value=0,
                    created_at=at,
                )
            )
    return shop_id, ring, targets


def test_ring_goes_to_the_review_queue_once_with_its_evidence(
    database: Database, settings: Settings
) -> None:
    shop_id, ring, targets = _shop_with_a_ring(database, settings)
    with database.unit_of_work() as s:
        found = detect_service.run_detection(s, settings.detect, shop_id=shop_id)
    assert found.assists > HONEST
    # Found on the instance graph; the initiator graph sees the same ring (one instance
    # per initiator here) and does not open a second case for it.
    assert [(c.graph, c.detector, c.accounts, c.targets) for c in found.cases] == [
        ("instance", "lockstep", RING, TARGETS)
    ]
    with database.unit_of_work() as s:
        case = s.scalars(select(ReviewCase).where(ReviewCase.shop_id == shop_id)).one()
        assert (case.kind, case.status, case.source) == ("fraud_ring", "open", "detect")
        assert case.subject_account_ids == sorted(ring)
        evidence = case.evidence
        assert evidence["instances"] == sorted(targets)
        assert evidence["window_seconds"] == 3_600
        assert {w["instance_id"] for w in evidence["windows"]} == set(targets)
        assert evidence["assists"] == RING * TARGETS
        ring_assists = s.scalars(
            select(Assist.id).where(Assist.helper_id.in_(ring), Assist.instance_id.in_(targets))
        ).all()
        assert evidence["assist_ids"] == sorted(ring_assists)
        assert evidence["density_vs_background"] > 1
        assert evidence["significance"] >= settings.detect.min_significance

    # Found again while the case is open: the same case, no second one.
    with database.unit_of_work() as s:
        again = detect_service.run_detection(s, settings.detect, shop_id=shop_id)
    assert [c.case_id for c in again.cases] == [found.cases[0].case_id]
    with database.unit_of_work() as s:
        assert len(s.scalars(select(ReviewCase).where(ReviewCase.shop_id == shop_id)).all()) == 1


def test_honest_assists_alone_open_no_case_and_the_cli_says_so(
    database: Database, settings: Settings, db_url: str
) -> None:
    shop_id, ring, _ = _shop_with_a_ring(database, settings)
    with database.unit_of_work() as s:
        s.query(Assist).filter(Assist.helper_id.in_(ring)).update({"status": "voided"})
    result = CliRunner().invoke(
        app, ["detect", "run", "--shop", str(shop_id)], env={"HUZHU_DATABASE_URL": db_url}
    )
    assert result.exit_code == 0, result.output
    assert "0 ring(s) in the review queue" in result.output
    with database.unit_of_work() as s:
        assert s.scalars(select(ReviewCase).where(ReviewCase.shop_id == shop_id)).all() == []


def test_ring_spread_over_each_initiators_instances_is_found_on_the_initiator_graph(
    database: Database, settings: Settings
) -> None:
    """Six initiators buy assists; the ring splits itself over each one's instances in
    four campaigns (two or three members per instance), too thin for any instance, in
    step on each initiator."""
    rng = np.random.default_rng(9)
    t0 = clock.utcnow() - timedelta(days=30)
    with database.unit_of_work() as s:
        shop_id = make_shop(s)
        campaigns = [
            make_campaign(s, shop_id=shop_id, kind="unlock", rules=UNLOCK_RULES) for _ in range(4)
        ]
        campaign_of: dict[int, int] = {}
        people = [
            make_participant(s, settings, shop_id=shop_id, name=f"q{k}")[0]
            for k in range(HONEST + RING)
        ]
        honest, ring = people[:HONEST], people[HONEST:]
        buyers = honest[:6]
        by_buyer: dict[int, list[int]] = {}
        for b in buyers:
            for campaign in campaigns:
                instance = write_instance(
                    s,
                    shop_id=shop_id,
                    campaign=campaign,
                    kind="unlock",
                    initiator_id=b,
                    slots=[0, 0, 0],
                )
                by_buyer.setdefault(b, []).append(instance)
                campaign_of[instance] = campaign[0]
        for k, buyer in enumerate(buyers):
            moment = t0 + timedelta(days=k, hours=3)
            for helper in ring:
                instance = int(rng.choice(by_buyer[buyer]))
                s.add(
                    Assist(
                        instance_id=instance,
                        campaign_id=campaign_of[instance],
                        helper_id=helper,
                        status="counted",
                        value=0,
                        created_at=moment + timedelta(seconds=int(rng.integers(120))),
                    )
                )
        for instances in by_buyer.values():
            for instance in instances:
                for helper in rng.choice(honest[6:], 4, replace=False).tolist():
                    at = t0 + timedelta(seconds=int(rng.integers(0, 21 * 86_400)))
                    s.add(
                        Assist(
                            instance_id=instance,
                            campaign_id=campaign_of[instance],
                            helper_id=helper,
                            status="counted",
                            value=0,
                            created_at=at,
                        )
                    )
    with database.unit_of_work() as s:
        found = detect_service.run_detection(s, settings.detect, shop_id=shop_id)
    assert [(c.graph, c.accounts, c.targets) for c in found.cases] == [
        ("initiator", RING, len(buyers))
    ]
    with database.unit_of_work() as s:
        case = s.scalars(select(ReviewCase).where(ReviewCase.shop_id == shop_id)).one()
        assert case.subject_account_ids == sorted(ring)
        assert case.evidence["graph"] == "helper x initiator"
        assert case.evidence["initiators"] == sorted(buyers)
        assert {w["initiator_id"] for w in case.evidence["windows"]} == set(buyers)
        assert case.evidence["assists"] == RING * len(buyers)


def _cli(db_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`huzhu detect run` in its own process, as an operator runs it: nothing this test
    process imported (the ring's confirm rule, say) is there unless the CLI loads it."""
    return subprocess.run(
        [sys.executable, "-m", "huzhu.cli.main", "detect", "run", *args],
        env={**os.environ, "HUZHU_DATABASE_URL": db_url, "COLUMNS": "200", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _ring_state(db: Database, shop_id: int, ring: list[int], targets: list[int]) -> object:
    with db.unit_of_work() as s:
        case = s.scalars(select(ReviewCase).where(ReviewCase.shop_id == shop_id)).one()
        voided = s.scalars(
            select(Assist.id).where(
                Assist.helper_id.in_(ring),
                Assist.instance_id.in_(targets),
                Assist.status == "voided",
            )
        ).all()
        honest_voided = s.scalars(
            select(Assist.id).where(Assist.helper_id.not_in(ring), Assist.status == "voided")
        ).all()
        return case.status, case.decided_by, len(voided), len(honest_voided)


def test_the_cli_confirms_above_the_threshold_as_the_scheduled_scan_does(
    database: Database, settings: Settings, db_url: str
) -> None:
    shop_id, ring, targets = _shop_with_a_ring(database, settings)
    done = _cli(db_url, "--shop", str(shop_id), HUZHU_DETECT__AUTO_CONFIRM_SIGNIFICANCE="6")
    assert done.returncode == 0, done.stderr
    assert "confirmed by rule" in done.stdout
    assert "1 confirmed by rule:detect" in done.stdout
    assert _ring_state(database, shop_id, ring, targets) == (
        "confirmed",
        "rule:detect",
        RING * TARGETS,
        0,
    )


def test_no_auto_confirm_only_queues_and_auto_confirm_needs_the_threshold(
    database: Database, settings: Settings, db_url: str
) -> None:
    shop_id, ring, targets = _shop_with_a_ring(database, settings)
    unset = CliRunner().invoke(
        app,
        ["detect", "run", "--shop", str(shop_id), "--auto-confirm"],
        env={"HUZHU_DATABASE_URL": db_url, "HUZHU_DETECT__AUTO_CONFIRM_SIGNIFICANCE": None},
    )
    assert unset.exit_code == 2
    assert "HUZHU_DETECT__AUTO_CONFIRM_SIGNIFICANCE" in unset.output
    with database.unit_of_work() as s:  # refused before anything was scanned
        assert s.scalars(select(ReviewCase).where(ReviewCase.shop_id == shop_id)).all() == []
    queued = CliRunner().invoke(
        app,
        ["detect", "run", "--shop", str(shop_id), "--no-auto-confirm"],
        env={"HUZHU_DATABASE_URL": db_url, "HUZHU_DETECT__AUTO_CONFIRM_SIGNIFICANCE": "6"},
    )
    assert queued.exit_code == 0, queued.output
    assert "1 ring(s) in the review queue" in queued.output
    assert _ring_state(database, shop_id, ring, targets) == ("open", None, 0, 0)
