"""From detection to consequences: a ring hidden among honest friends, given through the
real hot path over weeks, is found by `detect run`; an analyst confirms the case; its
assists are voided with an honest recount and message per participant, its accounts
are restricted (their next assist is refused with the reason), and the initiators it
filled are warned."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from huzhu.app import create_app
from huzhu.assists import service as assists
from huzhu.assists.models import Assist
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.enforcement import service as enforcement
from huzhu.enforcement.models import EnforcementAction
from huzhu.kit import clock
from huzhu.notify import service as notify
from huzhu.notify.models import InboxMessage
from huzhu.risk import detect_service
from huzhu.risk.rings import RING_REASON
from tests.assists.conftest import UNLOCK_RULES, write_instance
from tests.factories import PASSWORD, auth, make_campaign, make_participant, make_shop_with_roles

HONEST, RING, INSTANCES, TARGETS, SLOTS = 40, 8, 20, 6, 16


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def test_a_confirmed_ring_is_voided_recounted_told_and_enforced(
    database: Database, settings: Settings, client: TestClient
) -> None:
    shop = make_shop_with_roles(database, settings)
    rng = np.random.default_rng(11)
    with database.unit_of_work() as s:
        campaign = make_campaign(
            s,
            shop_id=shop.shop_id,
            kind="unlock",
            rules={**UNLOCK_RULES, "helpers_needed": SLOTS, "daily_assists_per_helper": 100},
        )
        people = [
            make_participant(s, settings, shop_id=shop.shop_id, name=f"p{k}")
            for k in range(INSTANCES + HONEST + RING)
        ]
        starters = people[:INSTANCES]
        honest = people[INSTANCES : INSTANCES + HONEST]
        ring = people[INSTANCES + HONEST :]
        instances = [
            write_instance(
                s,
                shop_id=shop.shop_id,
                campaign=campaign,
                kind="unlock",
                initiator_id=starter[0],
                slots=[1] * SLOTS,
                ttl=60 * 86_400,
            )
            for starter in starters
        ]
    # Honest friends help over three weeks; the ring helps 6 instances, a different day
    # each, all 8 accounts within two minutes.
    plan: list[tuple[float, str, int]] = []
    for instance in instances:
        for k in rng.choice(HONEST, 6, replace=False).tolist():
            plan.append((float(rng.integers(0, 21 * 86_400)), honest[k][1], instance))
    targets = instances[:TARGETS]
    for day, instance in enumerate(targets):
        for member in ring:
            plan.append((day * 86_400 + 3 * 3600 + float(rng.integers(120)), member[1], instance))
    start = clock.utcnow()
    for at, token, instance in sorted(plan):
        clock.advance((start + timedelta(seconds=at) - clock.utcnow()).total_seconds())
        resp = client.post(f"/api/v1/instances/{instance}/assists", headers=auth(token))
        assert resp.status_code == 201, resp.text
    before = {i: assists.describe(_instance(database, i)).progress_value for i in instances}

    with database.unit_of_work() as s:
        found = detect_service.run_detection(s, settings.detect, shop_id=shop.shop_id)
    assert [(c.accounts, c.targets) for c in found.cases] == [(RING, TARGETS)]
    case_id = found.cases[0].case_id
    # One ring account was caught giving fake assists before: this time it is banned.
    repeat = ring[1][0]
    with database.unit_of_work() as s:
        enforcement.enforce(
            s,
            account_id=repeat,
            rung_or_kind="participation_restriction",
            reason="fake assists in another campaign",
            evidence=None,
            actor="analyst",
            case_id=None,
        )

    # Weeks have passed: the analyst signs in afresh.
    analyst = client.post(
        "/api/v1/auth/login",
        json={"email": f"analyst-{shop.slug}@example.test", "password": PASSWORD},
    ).json()["token"]
    resp = client.post(
        f"/api/v1/review/cases/{case_id}/confirm",
        headers=auth(analyst),
        json={"reason": "eight accounts in lockstep on six activities", "enforce": "rule"},
    )
    assert resp.status_code == 200, resp.text

    ring_ids = {member[0] for member in ring}
    with database.unit_of_work() as s:
        rows = s.scalars(select(Assist).where(Assist.instance_id.in_(instances))).all()
        for row in rows:
            assert (row.status == "voided") == (row.helper_id in ring_ids), row
        assert all(r.void_reason == RING_REASON for r in rows if r.status == "voided")
        actions = s.scalars(
            select(EnforcementAction).where(EnforcementAction.case_id == case_id)
        ).all()
        told = s.scalars(select(InboxMessage).where(InboxMessage.kind == "assist_voided")).all()
        titles = {
            notify.render_inbox_message(s, settings, m, language="en", time_zone="UTC")[0]
            for m in told
        }
    # The honest recount: each target lost exactly the ring's 8, the rest lost nothing.
    for instance in instances:
        after = assists.describe(_instance(database, instance))
        lost = RING if instance in targets else 0
        assert after.progress_value == before[instance] - lost
        assert after.voided_count == lost
    target_starters = {starters[instances.index(t)][0] for t in targets}
    assert {m.account_id for m in told} == target_starters
    assert titles == {f"Assists removed: {RING}"}
    assert sorted((a.account_id, a.kind) for a in actions) == sorted(
        [(m, "participation_restriction") for m in ring_ids - {repeat}]
        + [(repeat, "ban")]
        + [(t, "warning") for t in target_starters]
    )
    # A ring account is now refused, and told why and until when.
    resp = client.post(f"/api/v1/instances/{instances[-1]}/assists", headers=auth(ring[0][1]))
    assert resp.status_code == 403
    assert resp.json()["code"] == "account_restricted"
    assert resp.json()["restricted_until"]
    assert resp.json()["reason"] == "your account gave fake assists as part of a ring"
    # Confirming is done once: the case is closed, the ring is not voided twice.
    again = client.post(
        f"/api/v1/review/cases/{case_id}/confirm",
        headers=auth(analyst),
        json={"reason": "again", "enforce": "rule"},
    )
    assert again.status_code == 409


def _instance(database: Database, instance_id: int) -> object:
    with database.unit_of_work() as s:
        return assists.get_instance(s, instance_id)
