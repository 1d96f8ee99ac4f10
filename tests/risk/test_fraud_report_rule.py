"""A participant's fraud report, confirmed by rule, over the API with the inline scorer
on (SQLite and PostgreSQL): exactly the assists the report's evidence implicates — held
by the scorer, counted with risk reasons, given by an open ring's accounts — are voided
with the honest recount (a bargain's cents come back), their helpers restricted, the
initiator told and warned, and the reporters told their report led to action; honest
assists and one a review cleared since are left alone. A report whose evidence names no
assist voids nothing and says so; dismissing a report closes it and touches nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from huzhu.app import create_app
from huzhu.assists import service as assists
from huzhu.assists.models import Assist
from huzhu.db import Database
from huzhu.enforcement.models import EnforcementAction
from huzhu.kit import clock
from huzhu.risk.review import service as review_service
from huzhu.risk.rings import REPORT_ACTOR, REPORT_REASON
from tests.assists.conftest import BARGAIN_RULES, write_instance
from tests.conftest import make_settings
from tests.enforcement.support import ReviewShop, review_shop
from tests.factories import auth, make_campaign

PHONE = {
    "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) MicroMessenger/8.0.50",
    "Accept-Language": "zh-CN,zh;q=0.9",
}
# An HTTP library's user agent: the scorer holds the assist (0.65 >= hold 0.6).
SCRIPT = {"User-Agent": "python-httpx/0.27.0", "Accept-Language": "zh-CN"}
NEW_ACCOUNT_SECONDS = 60
SLOTS = [700, 600, 500, 800, 900, 400, 600, 500]  # 5000 cents from price to floor


@pytest.fixture
def env(db_url: str) -> Iterator[tuple[TestClient, ReviewShop]]:
    review_service._limiter(None).reset()
    settings = make_settings(
        db_url,
        jobs={"run_in_process": False},
        risk={
            "inline_enabled": True,
            # Only what a test means to be a signal is one: an account younger than a
            # minute (a weak reason: counted, flagged) and a scripted client (held).
            "new_account_seconds": NEW_ACCOUNT_SECONDS,
            "w_no_share_open": 0.0,
            "spike_min_assists": 10_000,
            "campaign_spike_min_assists": 10_000,
            "ring_warn_min_assists": 3,
        },
    )
    app = create_app(settings)
    db: Database = app.state.db
    with TestClient(app) as client:
        yield client, review_shop(db, settings)
    db.dispose()


def _bargain(shop: ReviewShop, initiator: str) -> int:
    with shop.db.unit_of_work() as s:
        campaign = make_campaign(s, shop_id=shop.shop_id, kind="bargain", rules=BARGAIN_RULES)
        return write_instance(
            s,
            shop_id=shop.shop_id,
            campaign=campaign,
            kind="bargain",
            initiator_id=shop.id_of(initiator),
            slots=SLOTS,
        )


def _assist(
    client: TestClient, shop: ReviewShop, who: str, instance_id: int, headers: dict[str, str]
) -> tuple[int, int]:
    """(HTTP status, assist id)."""
    r = client.post(
        f"/api/v1/instances/{instance_id}/assists", headers={**auth(shop.token(who)), **headers}
    )
    assert r.status_code in (201, 202), r.text
    return r.status_code, _assist_of(shop, instance_id, who).id


def _assist_of(shop: ReviewShop, instance_id: int, who: str) -> Assist:
    with shop.db.unit_of_work() as s:
        row = s.scalars(
            select(Assist).where(
                Assist.instance_id == instance_id, Assist.helper_id == shop.id_of(who)
            )
        ).one()
        s.expunge(row)
        return row


def _report(client: TestClient, shop: ReviewShop, reporter: str, instance_id: int) -> Any:
    r = client.post(
        "/api/v1/reports",
        json={"kind": "fraud", "instance_id": instance_id, "text": "jumped with no friends"},
        headers=auth(shop.token(reporter)),
    )
    assert r.status_code == 201, r.text
    return r.json()


def _open_hold_case(client: TestClient, shop: ReviewShop, instance_id: int) -> int:
    """The hold case the hot path opens off the request (a background thread)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        items = client.get(
            "/api/v1/review/cases?kind=inline_hold&status=open", headers=auth(shop.analyst)
        ).json()["items"]
        mine = [c["id"] for c in items if c["instance_id"] == instance_id]
        if mine:
            return int(mine[0])
        time.sleep(0.05)
    raise AssertionError("the held assist opened no review case")


def _decide(client: TestClient, shop: ReviewShop, case_id: int, decision: str, reason: str) -> Any:
    """Confirm (by rule) or dismiss a case as the analyst; the 200 answer's body."""
    body = {"reason": reason, **({"enforce": "rule"} if decision == "confirm" else {})}
    r = client.post(
        f"/api/v1/review/cases/{case_id}/{decision}", json=body, headers=auth(shop.analyst)
    )
    assert r.status_code == 200, r.text
    return r.json()


def _activity_with(shop: ReviewShop, *, starter: str, people: list[str]) -> int:
    """A bargain started by `starter`, once `people` are no longer new accounts."""
    for name in [*people, starter]:
        shop.person(name)
    clock.advance(2 * NEW_ACCOUNT_SECONDS)
    return _bargain(shop, starter)


def _view(shop: ReviewShop, instance_id: int) -> Any:
    with shop.db.unit_of_work() as s:
        return assists.describe(assists.get_instance(s, instance_id))


def test_confirming_a_report_by_rule_voids_exactly_what_its_evidence_implicates(
    env: tuple[TestClient, ReviewShop],
) -> None:
    client, shop = env
    instance_id = _activity_with(
        shop,
        starter="starter",
        people=["honest1", "honest2", "ring1", "ring2", "script_a", "script_b", "reporter1"],
    )
    ring = sorted(shop.id_of(n) for n in ("ring1", "ring2"))
    with shop.db.unit_of_work() as s:
        ring_case = review_service.open_case(
            s,
            shop_id=shop.shop_id,
            kind="fraud_ring",
            source="detector:copycatch",
            subject_account_ids=ring,
            summary="two accounts in lockstep",
            evidence={"accounts": ring, "instances": [instance_id]},
        ).id

    ids: dict[str, int] = {}
    for name in ("honest1", "honest2", "ring1", "ring2"):
        code, ids[name] = _assist(client, shop, name, instance_id, PHONE)
        assert code == 201
    code, ids["fresh"] = _assist(client, shop, "fresh", instance_id, PHONE)  # a new account
    assert code == 201
    assert _assist_of(shop, instance_id, "fresh").risk_reasons  # counted, but flagged
    assert _assist_of(shop, instance_id, "honest1").risk_reasons in ([], None)
    code, ids["script_a"] = _assist(client, shop, "script_a", instance_id, SCRIPT)
    assert code == 202

    case_id = _report(client, shop, "reporter1", instance_id)["case_id"]
    evidence = client.get(f"/api/v1/review/cases/{case_id}", headers=auth(shop.analyst)).json()[
        "evidence"
    ]
    # (The held assist's own hold case may be listed too, once the hot path opened it.)
    assert [c for c in evidence["open_cases"] if c["kind"] == "fraud_ring"] == [
        {"case_id": ring_case, "kind": "fraud_ring", "assist_ids": [ids["ring1"], ids["ring2"]]}
    ]
    # A review clears script_a (held, then counted): that decision stands.
    hold_case = _open_hold_case(client, shop, instance_id)
    _decide(client, shop, hold_case, "dismiss", "a real friend on an old phone")
    assert _assist_of(shop, instance_id, "script_a").status == "counted"
    # A second script assist is held, and a second report joins the case with it.
    code, ids["script_b"] = _assist(client, shop, "script_b", instance_id, SCRIPT)
    assert code == 202
    assert _report(client, shop, "reporter2", instance_id)["case_id"] == case_id

    before = _view(shop, instance_id)
    assert (before.counted_count, before.held_count) == (6, 1)
    values = {n: _assist_of(shop, instance_id, n).value for n in ids}

    body = _decide(client, shop, case_id, "confirm", "a count jump nobody shared")
    fake = ["fresh", "ring1", "ring2", "script_b"]
    assert body["outcome"]["assists_voided"] == 4
    assert body["outcome"]["voided_assist_ids"] == sorted(ids[n] for n in fake)
    assert body["outcome"]["implicated_by"] == {"flagged": 1, "held": 1, "named_by_ring": 2}
    assert body["outcome"]["left_alone"] == [ids["script_a"]]
    fake_ids = {shop.id_of(n) for n in fake}
    assert sorted((a["account_id"], a["kind"], a["actor"]) for a in body["actions"]) == sorted(
        [(h, "participation_restriction", REPORT_ACTOR) for h in fake_ids]
        + [(shop.id_of("starter"), "warning", REPORT_ACTOR)]
    )

    for name in ids:
        row = _assist_of(shop, instance_id, name)
        assert (row.status == "voided") == (name in fake), name
        if name in fake:
            assert row.void_reason == REPORT_REASON
    after = _view(shop, instance_id)
    # The honest recount: the three fake counted assists' cents come back; the held one
    # never counted.
    back = values["fresh"] + values["ring1"] + values["ring2"]
    assert after.cents_remaining == before.cents_remaining + back
    assert after.progress_value == before.progress_value - back
    assert (after.counted_count, after.held_count, after.voided_count) == (3, 0, 4)

    told = [m for m in shop.inbox("starter") if m[0] == "assist_voided.removed"]
    assert [t for _, t, _ in told] == ["Assists removed: 4"]
    assert REPORT_REASON in told[0][2]
    for reporter in ("reporter1", "reporter2"):
        kinds = [(k, t) for k, t, _ in shop.inbox(reporter)]
        assert kinds[-1] == ("report_outcome.acted", "Your report led to action")
        assert len([k for k, _ in kinds if k.startswith("report_outcome.")]) == 2
        # How many, and nothing about who.
        assert shop.inbox(reporter)[-1][2] == (
            "Thank you: an analyst confirmed your report. Assists removed as fake from the "
            "activity you reported: 4; the accounts that gave them were restricted. No one "
            "is told who reported."
        )
    assert [p["assists_voided"] for _, p in shop.events("review_case.acted")] == [4]
    # A restricted fake assister is refused on the next activity, with the reason.
    other = _bargain(shop, "honest2")
    refused = client.post(
        f"/api/v1/instances/{other}/assists", headers={**auth(shop.token("ring1")), **PHONE}
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "account_restricted")
    # The ring's own case stays open for its own decision; confirming it voids nothing twice.
    _decide(client, shop, ring_case, "confirm", "the same two")
    assert _view(shop, instance_id).voided_count == 4


def test_a_report_whose_evidence_names_no_assist_voids_nothing_and_says_so(
    env: tuple[TestClient, ReviewShop],
) -> None:
    client, shop = env
    instance_id = _activity_with(shop, starter="starter", people=["friend1", "friend2"])
    for name in ("friend1", "friend2"):
        assert _assist(client, shop, name, instance_id, PHONE)[0] == 201
    before = _view(shop, instance_id)
    case_id = _report(client, shop, "reporter", instance_id)["case_id"]

    body = _decide(client, shop, case_id, "confirm", "looks odd")
    assert body["case"]["status"] == "confirmed"
    assert body["actions"] == []
    assert body["outcome"]["assists_voided"] == 0
    assert body["outcome"]["voided_assist_ids"] == []
    assert "implicates no assist" in body["outcome"]["note"]
    assert "nothing was voided" in body["outcome"]["note"]
    after = _view(shop, instance_id)
    assert (after.progress_value, after.counted_count, after.voided_count) == (
        before.progress_value,
        2,
        0,
    )
    assert [t for k, t, _ in shop.inbox("reporter") if k == "report_outcome.nothing_voided"] == [
        "Your report was confirmed"
    ]
    assert "nothing was removed" in shop.inbox("reporter")[-1][2]
    assert [k for k, _, _ in shop.inbox("starter")] == []
    detail = client.get(f"/api/v1/review/cases/{case_id}", headers=auth(shop.analyst)).json()
    assert detail["evidence"]["rule_outcome"]["assists_voided"] == 0
    assert [p["assists_voided"] for _, p in shop.events("review_case.acted")] == [0]
    assert any(a == "review_case.acted" for _, a, _, _ in shop.audit())


def test_dismissing_a_report_closes_it_and_leaves_the_assists_to_their_own_review(
    env: tuple[TestClient, ReviewShop],
) -> None:
    client, shop = env
    instance_id = _activity_with(shop, starter="starter", people=["friend", "script"])
    assert _assist(client, shop, "friend", instance_id, PHONE)[0] == 201
    assert _assist(client, shop, "script", instance_id, SCRIPT)[0] == 202
    case_id = _report(client, shop, "reporter", instance_id)["case_id"]
    hold_case = _open_hold_case(client, shop, instance_id)

    assert _decide(client, shop, case_id, "dismiss", "two real friends")["status"] == "dismissed"
    # The held assist waits for its own hold case, which is still open.
    assert _assist_of(shop, instance_id, "script").status == "held"
    assert _assist_of(shop, instance_id, "friend").status == "counted"
    hold = client.get(f"/api/v1/review/cases/{hold_case}", headers=auth(shop.analyst)).json()
    assert hold["status"] == "open"
    assert [t for k, t, _ in shop.inbox("reporter") if k.startswith("report_outcome.")] == [
        "Thank you, we received your report",
        "Your report was reviewed",
    ]
    with shop.db.unit_of_work() as s:
        assert (
            s.scalars(select(EnforcementAction).where(EnforcementAction.case_id == case_id)).all()
            == []
        )
    again = client.post(
        f"/api/v1/review/cases/{case_id}/confirm",
        json={"reason": "x", "enforce": "rule"},
        headers=auth(shop.analyst),
    )
    assert (again.status_code, again.json()["code"]) == (409, "case_already_decided")
