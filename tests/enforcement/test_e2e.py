"""End to end over HTTP against a live `huzhu serve` (SQLite and PostgreSQL): a sender
spams direct invites, recipients mute and report, an analyst confirms, the sender climbs
the ladder until invites are refused naming the reason and the end, appeals, is lifted
and may invite again — with every notification, audit entry and outbox event checked.
A crowd of concurrent reports about one sender joins one case, each counted once."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from huzhu.config import Settings
from huzhu.db import Database
from tests.conftest import make_settings
from tests.enforcement.support import UNLOCK_RULES, ReviewShop, review_shop
from tests.factories import auth, make_campaign
from tests.support.servers import LiveServer, start_server

# Recipients accept invites from anyone, at any hour (start == end: no quiet hours), so
# the only thing that can refuse an invite here is the sender's own standing or a mute.
OPEN_DOOR = {
    "accept_from": "everyone",
    "quiet_start": "00:00",
    "quiet_end": "00:00",
    "time_zone": "UTC",
    "daily_max": 10,
}


@pytest.fixture
def roomy_server(db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """A live server whose base daily invite cap is high enough that the reputation
    shrink caused by this test's six mutes and reports does not refuse the sender's
    invite after the lift: what is tested here is the ladder, not the caps."""
    server = start_server(
        db_url=db_url,
        log_dir=tmp_path,
        extra_env={"HUZHU_INVITES__SENDER_DAILY_INVITES": "60"},
    )
    try:
        yield server
    finally:
        server.stop()


def _setup(db_url: str) -> tuple[ReviewShop, Database, int]:
    settings: Settings = make_settings(db_url)
    db = Database(settings.db)
    shop = review_shop(db, settings)
    with db.unit_of_work() as s:
        campaign_id, _ = make_campaign(s, shop_id=shop.shop_id, kind="unlock", rules=UNLOCK_RULES)
    return shop, db, campaign_id


def _spam_round(
    http: httpx.Client, shop: ReviewShop, instance_id: int, sender: str, recipients: list[str]
) -> int:
    """The sender invites each recipient; each mutes the sender and reports spam.
    Returns the review case the reports joined."""
    cases = set()
    for name in recipients:
        assert (
            http.put(
                "/api/v1/me/invite-preferences", json=OPEN_DOOR, headers=auth(shop.token(name))
            ).status_code
            == 200
        )
        sent = http.post(
            f"/api/v1/instances/{instance_id}/invites",
            json={"recipient_id": shop.id_of(name)},
            headers=auth(shop.token(sender)),
        )
        assert sent.status_code == 201, sent.text
        muted = http.put(f"/api/v1/me/mutes/{shop.id_of(sender)}", headers=auth(shop.token(name)))
        assert muted.status_code == 200, muted.text
        again = http.post(
            f"/api/v1/instances/{instance_id}/invites",
            json={"recipient_id": shop.id_of(name)},
            headers=auth(shop.token(sender)),
        )
        assert again.status_code == 403, again.text
        assert again.json()["code"] == "muted"
        report = http.post(
            "/api/v1/reports",
            json={"kind": "spam", "account_id": shop.id_of(sender), "text": "help me cut x5"},
            headers=auth(shop.token(name)),
        )
        assert report.status_code == 201, report.text
        cases.add(report.json()["case_id"])
    assert len(cases) == 1
    return cases.pop()


def _confirm(http: httpx.Client, shop: ReviewShop, case_id: int) -> list[dict[str, Any]]:
    queue = http.get(
        "/api/v1/review/cases?status=open&kind=spam_report", headers=auth(shop.analyst)
    )
    assert [c["id"] for c in queue.json()["items"]] == [case_id]
    decided = http.post(
        f"/api/v1/review/cases/{case_id}/confirm",
        json={"reason": "unsolicited invites to strangers"},
        headers=auth(shop.analyst),
    )
    assert decided.status_code == 200, decided.text
    actions: list[dict[str, Any]] = decided.json()["actions"]
    return actions


def test_a_spammer_climbs_the_ladder_appeals_and_is_lifted(
    roomy_server: LiveServer, db_url: str
) -> None:
    shop, db, campaign_id = _setup(db_url)
    sender = "spammer"
    with roomy_server.client() as http:
        started = http.post(
            f"/api/v1/campaigns/{campaign_id}/instances", headers=auth(shop.token(sender))
        )
        assert started.status_code == 201, started.text
        instance_id = started.json()["id"]

        # Round 1: three people are spammed, mute and report; confirmed → a warning.
        case1 = _spam_round(http, shop, instance_id, sender, ["r1", "r2", "r3"])
        assert [a["kind"] for a in _confirm(http, shop, case1)] == ["warning"]
        # A warning does not stop invites …
        # Round 2: three more; confirmed → invite restriction for a day.
        case2 = _spam_round(http, shop, instance_id, sender, ["r4", "r5", "r6"])
        assert case2 != case1
        restriction = _confirm(http, shop, case2)
        assert [a["kind"] for a in restriction] == ["invite_restriction_1d"]
        action_id = restriction[0]["id"]

        # … this does: refused naming the reason and until when, also for share links.
        http.put("/api/v1/me/invite-preferences", json=OPEN_DOOR, headers=auth(shop.token("r7")))
        refused = http.post(
            f"/api/v1/instances/{instance_id}/invites",
            json={"recipient_id": shop.id_of("r7")},
            headers=auth(shop.token(sender)),
        )
        assert refused.status_code == 403
        problem = refused.json()
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert problem["code"] == "invite_restricted"
        assert problem["kind"] == "invite_restriction_1d"
        assert problem["reason"] == "3 people reported unwanted invites from this account"
        assert problem["restricted_until"] == _iso(restriction[0]["expires_at"])
        link = http.post(
            f"/api/v1/instances/{instance_id}/share-links",
            json={"channel": "friend"},
            headers=auth(shop.token(sender)),
        )
        assert (link.status_code, link.json()["code"]) == (403, "invite_restricted")

        # The sender sees why, appeals once, and the analyst lifts it.
        mine = http.get("/api/v1/me/enforcement", headers=auth(shop.token(sender))).json()
        assert [a["kind"] for a in mine["actions"]] == ["warning", "invite_restriction_1d"]
        assert mine["standing"]["invites_blocked"] is True
        appeal_url = f"/api/v1/enforcement/actions/{action_id}/appeal"
        appeal = http.post(
            appeal_url,
            json={"text": "they were my classmates"},
            headers=auth(shop.token(sender)),
        )
        assert appeal.status_code == 201, appeal.text
        second = http.post(appeal_url, json={"text": "please"}, headers=auth(shop.token(sender)))
        assert (second.status_code, second.json()["code"]) == (409, "already_appealed")
        lifted = http.post(
            f"/api/v1/appeals/{appeal.json()['id']}/decide",
            json={"decision": "lift", "reason": "classmates confirmed by the school group"},
            headers=auth(shop.analyst),
        )
        assert lifted.status_code == 200, lifted.text
        assert lifted.json()["status"] == "lifted"

        invited = http.post(
            f"/api/v1/instances/{instance_id}/invites",
            json={"recipient_id": shop.id_of("r7")},
            headers=auth(shop.token(sender)),
        )
        assert invited.status_code == 201, invited.text
        relinked = http.post(
            f"/api/v1/instances/{instance_id}/share-links",
            json={"channel": "friend"},
            headers=auth(shop.token(sender)),
        )
        assert relinked.status_code == 201, relinked.text
        standing = http.get(
            f"/api/v1/enforcement/accounts/{shop.id_of(sender)}", headers=auth(shop.analyst)
        ).json()
        assert (standing["rung"], standing["invites_blocked"], standing["reports_against"]) == (
            1,
            False,
            6,
        )

        audit = http.get(
            f"/api/v1/audit?account_id={shop.id_of(sender)}&limit=200", headers=auth(shop.owner())
        )
        assert audit.status_code == 200, audit.text
        audit = audit.json()["items"]
        events = http.get("/api/v1/events?limit=200", headers=auth(shop.analyst)).json()["items"]

    analyst = f"operator:{shop.analyst_operator_id}"
    me = f"account:{shop.id_of(sender)}"
    reporter = [f"account:{shop.id_of(f'r{i}')}" for i in range(1, 7)]
    assert [(a["actor"], a["action"]) for a in reversed(audit)] == [
        ("report", "review_case.opened"),
        (reporter[0], "report.filed"),
        (reporter[1], "report.filed"),
        (reporter[2], "report.filed"),
        (analyst, "review_case.confirmed"),
        ("rule:spam_reports", "enforcement.applied"),
        ("report", "review_case.opened"),
        (reporter[3], "report.filed"),
        (reporter[4], "report.filed"),
        (reporter[5], "report.filed"),
        (analyst, "review_case.confirmed"),
        ("rule:spam_reports", "enforcement.applied"),
        (me, "appeal.filed"),
        (analyst, "appeal.lifted"),
        (analyst, "enforcement.lifted"),
        # The analyst's look at the sender's standing, above: a read of personal data.
        (analyst, "standing.read"),
    ]
    ours = [
        e["type"]
        for e in reversed(events)
        if e["type"].split(".")[0] in ("report", "review_case", "enforcement", "appeal")
    ]
    acts = [x["action"] for x in reversed(audit) if not x["action"].endswith(".read")]
    assert ours == acts

    # Every notification: the sender is told each action, the appeal's receipt and
    # decision and the lift; each reporter their receipt and the outcome.
    assert [(k, t) for k, t, _ in shop.inbox(sender)] == [
        ("enforcement.applied", "Your account received a warning"),
        ("enforcement.applied", "Your account received a 1-day restriction on sending invites"),
        ("appeal_outcome.filed", "We received your appeal"),
        ("appeal_outcome.decided", "Your appeal was accepted"),
        ("enforcement.lifted", "Lifted from your account: a 1-day restriction on sending invites"),
    ]
    assert "3 people reported unwanted invites" in shop.inbox(sender)[1][2]
    assert "until" in shop.inbox(sender)[1][2]
    for i in range(1, 7):
        kinds = [k for k, _, _ in shop.inbox(f"r{i}")]
        assert kinds[-2:] == ["report_outcome.filed", "report_outcome.confirmed"], (i, kinds)
        assert len(kinds) == 3  # the invite itself came first
    db.dispose()


def _iso(value: str) -> str:
    return value.replace("Z", "+00:00")


def test_concurrent_reports_join_one_case_and_each_counts_once(
    roomy_server: LiveServer, db_url: str
) -> None:
    shop, db, _ = _setup(db_url)
    target = shop.id_of("loud")
    reporters = [f"p{i}" for i in range(24)]
    for name in reporters:
        shop.person(name)

    def report(name: str) -> httpx.Response:
        with roomy_server.client() as http:
            return http.post(
                "/api/v1/reports",
                json={"kind": "spam", "account_id": target},
                headers=auth(shop.token(name)),
            )

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(report, reporters + reporters[:6]))
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] * 24 + [409] * 6, [a.text for a in answers if a.status_code >= 500]
    assert len({a.json()["case_id"] for a in answers}) == 1
    with roomy_server.client() as http:
        cases = http.get(
            f"/api/v1/review/cases?account_id={target}", headers=auth(shop.analyst)
        ).json()["items"]
        standing = http.get(f"/api/v1/enforcement/accounts/{target}", headers=auth(shop.analyst))
    assert [(c["status"], c["report_count"]) for c in cases] == [("open", 24)]
    assert standing.json()["reports_against"] == 24
    db.dispose()
