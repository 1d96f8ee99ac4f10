"""The inbox in the reader's language and under the reader's choices, over HTTP on both
backends: one message reads in Chinese or English by Accept-Language, a row from before
the kinds keeps its stored words, a muted kind is not written, decisions on one's account
and appeals cannot be muted (422 naming the kind), and the summary's frequency is kept."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from huzhu.app import create_app
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.kit import clock
from huzhu.notify import service
from huzhu.notify.models import InboxMessage
from tests.conftest import make_settings
from tests.factories import auth, make_participant, make_shop

PREFS = "/api/v1/me/inbox/preferences"


@dataclass
class Reader:
    client: TestClient
    db: Database
    account_id: int
    headers: dict[str, str]

    def send(self, kind: service.Kind, params: dict[str, Any]) -> int | None:
        with self.db.unit_of_work() as s:
            message = service.send_inbox_message(
                s, account_id=self.account_id, kind=kind, params=params
            )
            return message.id if message is not None else None

    def inbox(self, lang: str) -> tuple[list[dict[str, Any]], str]:
        resp = self.client.get("/api/v1/me/inbox", headers=self.headers | {"Accept-Language": lang})
        assert resp.status_code == 200, resp.text
        return resp.json()["items"], resp.headers["content-language"]


@pytest.fixture
def reader(db_url: str) -> Iterator[Reader]:
    settings: Settings = make_settings(
        db_url, jobs={"run_in_process": False}, web={"time_zone": "Asia/Shanghai"}
    )
    app = create_app(settings)
    db: Database = app.state.db
    with db.unit_of_work() as s:
        shop_id = make_shop(s)
        account_id, token = make_participant(s, settings, shop_id=shop_id, name="mei")
    with TestClient(app) as client:
        yield Reader(client, db, account_id, auth(token))
    db.dispose()


ENFORCEMENT = {
    "variant": "applied",
    "action_kind": "invite_restriction_1d",
    "reason": "your account gave fake assists as part of a ring",
    "until": "2026-12-08T04:30:00+00:00",
}


def test_one_message_reads_in_the_language_the_reader_asks_for(reader: Reader) -> None:
    reader.send(service.Kind.ENFORCEMENT, ENFORCEMENT)
    ((en,), en_tag) = reader.inbox("en-GB,en;q=0.9")
    ((zh,), zh_tag) = reader.inbox("zh-CN,zh;q=0.9,en;q=0.5")
    assert (en_tag, zh_tag) == ("en", "zh-CN")
    assert en["id"] == zh["id"]
    assert en["params"] == zh["params"] == ENFORCEMENT
    assert en["title"] == "Your account received a 1-day restriction on sending invites"
    assert en["body"].startswith(
        "Reason: your account gave fake assists as part of a ring. "
        "This applies until 2026-12-08 12:30 (Asia/Shanghai)."
    )
    assert zh["title"] == "你的账号收到了1 天内禁止发送邀请"
    assert zh["body"].startswith(
        "原因：你的账号作为团伙的一员提供了虚假助力。 有效期至 2026-12-08 12:30 (Asia/Shanghai)。"
    )
    # No preference stated: Chinese, the default.
    ((default,), tag) = reader.inbox("")
    assert (default["title"], tag) == (zh["title"], "zh-CN")


def test_a_message_from_before_the_kinds_keeps_its_stored_words(reader: Reader) -> None:
    with reader.db.unit_of_work() as s:
        s.add(
            InboxMessage(
                account_id=reader.account_id,
                kind="assist_voided",
                title="2 assists were removed",
                body="2 assists were removed because of a ring.",
                created_at=clock.utcnow(),
            )
        )
    for lang in ("en", "zh-CN"):
        ((item,), _) = reader.inbox(lang)
        assert (item["title"], item["params"]) == ("2 assists were removed", None)


def test_a_muted_kind_is_not_written_and_the_choice_is_kept(reader: Reader) -> None:
    got = reader.client.get(PREFS, headers=reader.headers)
    assert got.status_code == 200, got.text
    assert got.json() == {
        "muted_kinds": [],
        "summary": "weekly",
        "unmuteable_kinds": ["appeal_outcome", "enforcement"],
    }
    put = reader.client.put(
        PREFS,
        json={"muted_kinds": ["draw_result", "assist_received"], "summary": "daily"},
        headers=reader.headers,
    )
    assert put.status_code == 200, put.text
    assert put.json()["muted_kinds"] == ["assist_received", "draw_result"]
    assert reader.client.get(PREFS, headers=reader.headers).json()["summary"] == "daily"
    prize = {"campaign": "Spring draw", "prize": "mug", "ticket": 1}
    assert reader.send(service.Kind.DRAW_RESULT, prize) is None
    assert reader.send(service.Kind.ENFORCEMENT, ENFORCEMENT) is not None
    items, _ = reader.inbox("en")
    assert [m["kind"] for m in items] == ["enforcement"]
    with reader.db.unit_of_work() as s:
        assert service.summary_frequency(s, account_id=reader.account_id) == "daily"
        assert service.accounts_due(
            s, frequency="daily", account_ids=[reader.account_id, reader.account_id + 999]
        ) == [reader.account_id]
        assert service.accounts_due(
            s, frequency="weekly", account_ids=[reader.account_id, reader.account_id + 999]
        ) == [reader.account_id + 999]
    # Unmuted again, it is written again.
    reader.client.put(PREFS, json={"muted_kinds": [], "summary": "never"}, headers=reader.headers)
    assert reader.send(service.Kind.DRAW_RESULT, prize) is not None


@pytest.mark.parametrize("kind", ["enforcement", "appeal_outcome"])
def test_decisions_on_ones_account_and_appeals_cannot_be_muted(reader: Reader, kind: str) -> None:
    resp = reader.client.put(
        PREFS,
        json={"muted_kinds": ["draw_result", kind], "summary": "weekly"},
        headers=reader.headers,
    )
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem = resp.json()
    assert problem["code"] == f"{kind}_not_muteable"
    assert problem["kind"] == kind
    # Nothing was saved.
    assert reader.client.get(PREFS, headers=reader.headers).json()["muted_kinds"] == []


def test_an_unknown_kind_or_frequency_is_a_422_never_a_500(reader: Reader) -> None:
    for body in (
        {"muted_kinds": ["spam"], "summary": "weekly"},
        {"muted_kinds": [], "summary": "hourly"},
        {"muted_kinds": "draw_result", "summary": "weekly"},
    ):
        resp = reader.client.put(PREFS, json=body, headers=reader.headers)
        assert resp.status_code == 422, resp.text
        assert resp.json()["code"] == "invalid_input"
