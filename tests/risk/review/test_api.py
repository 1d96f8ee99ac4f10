"""The review queue over the API on SQLite and PostgreSQL: reports open or join one case
per subject, analysts list, take and decide cases, and the spam rule moves a sender one
rung per confirmation with enough reporters — every step audited and told."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from huzhu.app import create_app
from huzhu.db import Database
from huzhu.risk.review import service as review_service
from tests.conftest import make_settings
from tests.enforcement.support import UNLOCK_RULES, ReviewShop, review_shop
from tests.factories import auth, make_campaign


@pytest.fixture
def env(db_url: str, request: pytest.FixtureRequest) -> Iterator[tuple[TestClient, ReviewShop]]:
    # The daily report allowance lives in process memory in embedded mode; each test's
    # fresh database reuses account ids, so start each test with a clean count.
    review_service._limiter(None).reset()
    per_day = getattr(request, "param", 20)
    settings = make_settings(
        db_url, jobs={"run_in_process": False}, enforcement={"reports_per_day": per_day}
    )
    app = create_app(settings)
    db: Database = app.state.db
    with TestClient(app) as client:
        yield client, review_shop(db, settings)
    db.dispose()


def _report(client: TestClient, shop: ReviewShop, reporter: str, **body: Any) -> Any:
    return client.post("/api/v1/reports", json=body, headers=auth(shop.token(reporter)))


def test_spam_reports_join_one_case_and_the_rule_warns_then_restricts(
    env: tuple[TestClient, ReviewShop],
) -> None:
    client, shop = env
    sender = shop.id_of("sender")
    first = [
        _report(client, shop, f"r{i}", kind="spam", account_id=sender, text="5 invites an hour")
        for i in range(3)
    ]
    assert [r.status_code for r in first] == [201, 201, 201]
    case_ids = {r.json()["case_id"] for r in first}
    assert len(case_ids) == 1
    case_id = case_ids.pop()

    again = _report(client, shop, "r0", kind="spam", account_id=sender)
    assert (again.status_code, again.json()["code"]) == (409, "already_reported")
    self_report = _report(client, shop, "sender", kind="spam", account_id=sender)
    assert (self_report.status_code, self_report.json()["code"]) == (403, "cannot_report_self")
    missing = _report(client, shop, "r0", kind="spam", account_id=2**40)
    assert (missing.status_code, missing.json()["code"]) == (404, "reported_account_not_found")
    no_subject = _report(client, shop, "r0", kind="spam")
    assert no_subject.status_code == 422

    listed = client.get(
        "/api/v1/review/cases?status=open&kind=spam_report", headers=auth(shop.analyst)
    ).json()
    assert [(c["id"], c["report_count"], c["subject_account_id"]) for c in listed["items"]] == [
        (case_id, 3, sender)
    ]
    taken = client.post(f"/api/v1/review/cases/{case_id}/assign", headers=auth(shop.analyst))
    assert taken.json()["assignee_operator_id"] == shop.analyst_operator_id

    confirmed = client.post(
        f"/api/v1/review/cases/{case_id}/confirm",
        json={"reason": "mass unsolicited invites"},
        headers=auth(shop.analyst),
    )
    assert confirmed.status_code == 200, confirmed.text
    decision = confirmed.json()
    assert decision["case"]["status"] == "confirmed"
    assert [(a["kind"], a["actor"], a["case_id"]) for a in decision["actions"]] == [
        ("warning", "rule:spam_reports", case_id)
    ]
    twice = client.post(
        f"/api/v1/review/cases/{case_id}/dismiss", json={"reason": "x"}, headers=auth(shop.analyst)
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "case_already_decided")

    detail = client.get(f"/api/v1/review/cases/{case_id}", headers=auth(shop.analyst)).json()
    assert [r["status"] for r in detail["reports"]] == ["confirmed"] * 3
    assert [a["kind"] for a in detail["actions"]] == ["warning"]

    # The spent reports do not count again: two new reporters are below the threshold …
    second = [_report(client, shop, f"s{i}", kind="spam", account_id=sender) for i in range(2)]
    case2 = second[0].json()["case_id"]
    assert case2 != case_id
    assert second[1].json()["case_id"] == case2
    c2 = client.post(
        f"/api/v1/review/cases/{case2}/confirm",
        json={"reason": "more spam"},
        headers=auth(shop.analyst),
    ).json()
    assert c2["actions"] == []
    # … and a third one, in a later case, makes three unspent: one rung up, not two.
    case3 = _report(client, shop, "s2", kind="spam", account_id=sender).json()["case_id"]
    c3 = client.post(
        f"/api/v1/review/cases/{case3}/confirm",
        json={"reason": "more spam"},
        headers=auth(shop.analyst),
    ).json()
    assert [a["kind"] for a in c3["actions"]] == ["invite_restriction_1d"]

    standing = client.get(f"/api/v1/enforcement/accounts/{sender}", headers=auth(shop.analyst))
    body = standing.json()
    assert (body["rung"], body["invites_blocked"], body["reports_against"]) == (2, True, 6)

    assert shop.inbox("r0") == [
        ("report_outcome.filed", "Thank you, we received your report", shop.inbox("r0")[0][2]),
        ("report_outcome.confirmed", "Your report was confirmed", shop.inbox("r0")[1][2]),
    ]
    sender_inbox = shop.inbox("sender")
    assert [k for k, _, _ in sender_inbox] == ["enforcement.applied", "enforcement.applied"]
    assert "3 people reported unwanted invites" in sender_inbox[1][2]
    actions = [a for _, a, _, _ in shop.audit()]
    assert actions[:5] == [
        "review_case.opened",
        "report.filed",
        "report.filed",
        "report.filed",
        "review_case.assigned",
    ]
    assert actions[5:8] == ["review_case.confirmed", "enforcement.applied", "review_case.opened"]
    # The analyst's look at the case's evidence is in the log, by them, about the sender.
    analyst = f"operator:{shop.analyst_operator_id}"
    assert (analyst, "review_case.read", "review_case", case_id) in shop.audit(reads=True)
    event_types = [t for t, _ in shop.events()]
    assert event_types.count("report.filed") == 6
    assert event_types.count("enforcement.applied") == 2


def test_dismissed_case_tells_reporters_and_applies_nothing(
    env: tuple[TestClient, ReviewShop],
) -> None:
    client, shop = env
    case_id = _report(client, shop, "r", kind="spam", account_id=shop.id_of("s")).json()["case_id"]
    dismissed = client.post(
        f"/api/v1/review/cases/{case_id}/dismiss",
        json={"reason": "one invite from a friend"},
        headers=auth(shop.analyst),
    )
    assert dismissed.json()["status"] == "dismissed"
    assert [k for k, _, _ in shop.inbox("r")] == [
        "report_outcome.filed",
        "report_outcome.dismissed",
    ]
    assert shop.inbox("s") == []
    assert (
        client.get(
            f"/api/v1/enforcement/actions?account_id={shop.id_of('s')}", headers=auth(shop.analyst)
        ).json()["items"]
        == []
    )


def test_fraud_report_attaches_the_instance_evidence(
    env: tuple[TestClient, ReviewShop],
) -> None:
    client, shop = env
    with shop.db.unit_of_work() as s:
        campaign_id, _ = make_campaign(s, shop_id=shop.shop_id, kind="unlock", rules=UNLOCK_RULES)
    started = client.post(
        f"/api/v1/campaigns/{campaign_id}/instances", headers=auth(shop.token("initiator"))
    )
    assert started.status_code == 201, started.text
    instance_id = started.json()["id"]
    assisted = client.post(
        f"/api/v1/instances/{instance_id}/assists", headers=auth(shop.token("helper"))
    )
    assert assisted.status_code in (201, 202), assisted.text
    report = _report(
        client, shop, "friend", kind="fraud", instance_id=instance_id, text="jumped overnight"
    )
    assert report.status_code == 201, report.text
    assert report.json()["subject_account_id"] == shop.id_of("initiator")
    case = client.get(
        f"/api/v1/review/cases/{report.json()['case_id']}", headers=auth(shop.analyst)
    ).json()
    assert case["kind"] == "fraud_report"
    assert case["instance_id"] == instance_id
    assert case["evidence"]["instance"]["id"] == instance_id
    [assist] = case["evidence"]["assists"]
    assert assist["helper_id"] == shop.id_of("helper")
    assert assist["status"] in ("counted", "held")
    assert {"risk_decision", "risk_score", "risk_reasons", "at"} <= set(assist)
    assert (
        case["evidence"]["instance"]["counted_count"] + case["evidence"]["instance"]["held_count"]
        == 1
    )
    gone = _report(client, shop, "friend", kind="fraud", instance_id=2**40)
    assert (gone.status_code, gone.json()["code"]) == (404, "instance_not_found")
    # An explicit kind (not the rule) applies to its subject, whatever the evidence.
    decided = client.post(
        f"/api/v1/review/cases/{case['id']}/confirm",
        json={"reason": "bought assists", "enforce": "warning"},
        headers=auth(shop.analyst),
    ).json()
    assert [(a["kind"], a["account_id"]) for a in decided["actions"]] == [
        ("warning", shop.id_of("initiator"))
    ]


def test_cases_are_paginated_and_shop_scoped(env: tuple[TestClient, ReviewShop]) -> None:
    client, shop = env
    for i in range(3):
        _report(client, shop, "r", kind="spam", account_id=shop.id_of(f"s{i}"))
    page1 = client.get("/api/v1/review/cases?limit=2", headers=auth(shop.analyst)).json()
    assert len(page1["items"]) == 2
    assert page1["next_cursor"] is not None
    page2 = client.get(
        f"/api/v1/review/cases?limit=2&cursor={page1['next_cursor']}", headers=auth(shop.analyst)
    ).json()
    assert len(page2["items"]) == 1
    assert page2["next_cursor"] is None
    other = review_shop(shop.db, shop.settings)
    foreign = client.get(
        f"/api/v1/review/cases/{page1['items'][0]['id']}", headers=auth(other.analyst)
    )
    assert (foreign.status_code, foreign.json()["code"]) == (404, "review_case_not_found")


@pytest.mark.parametrize("env", [2], indirect=True)
def test_a_reporter_may_file_only_so_many_reports_a_day(
    env: tuple[TestClient, ReviewShop],
) -> None:
    client, shop = env
    for i in range(2):
        assert (
            _report(client, shop, "r", kind="spam", account_id=shop.id_of(f"s{i}")).status_code
            == 201
        )
    third = _report(client, shop, "r", kind="spam", account_id=shop.id_of("s2"))
    assert (third.status_code, third.json()["code"], third.json()["limit"]) == (
        429,
        "report_limit",
        2,
    )
    assert int(third.headers["retry-after"]) > 0
    # Nothing was written for the refused report.
    assert (
        client.get(
            f"/api/v1/review/cases?account_id={shop.id_of('s2')}", headers=auth(shop.analyst)
        ).json()["items"]
        == []
    )
    assert (
        _report(client, shop, "other", kind="spam", account_id=shop.id_of("s2")).status_code == 201
    )
