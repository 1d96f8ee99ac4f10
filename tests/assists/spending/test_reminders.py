"""The reminder summary, run by the job runner on both backends: once the shop
calendar's week (or day) is over, each person who chose that frequency and had anything
happen gets one message whose figures are the ledger's; nobody who chose "never", nobody
with nothing to tell; never twice for one period, even after the jobs' rows are purged;
and it reads in the reader's language."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

import huzhu.all_tasks  # noqa: F401  (the runner needs every handler)
from huzhu.app import create_app
from huzhu.assists.spending import service as spending
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.jobs.models import Job
from huzhu.jobs.runner import JobRunner
from huzhu.kit import clock
from huzhu.notify import service as notify
from huzhu.payments.service import LocalPaymentProvider
from tests.assists.conftest import UNLOCK_RULES, World, _shop_with_owner, post_assist, post_start
from tests.conftest import make_settings
from tests.factories import auth

WEEK = 7 * 24 * 3600


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    settings = make_settings(db_url, jobs={"run_in_process": False}, guardrails={"summaries": True})
    db = Database(settings.db)
    try:
        yield World(settings=settings, db=db, shop=_shop_with_owner(db, settings))
    finally:
        db.dispose()


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.settings), raise_server_exceptions=False) as c:
        yield c


def _summaries(world: World) -> None:
    """What every runner does on its poll loop, then every job that is due."""
    runner = JobRunner(world.db, world.settings)
    runner.run_periodic(force=True)
    while runner.run_due():
        pass


def _reminders(client: TestClient, token: str, lang: str = "en") -> list[dict[str, Any]]:
    answer = client.get("/api/v1/me/inbox", headers=auth(token) | {"Accept-Language": lang})
    assert answer.status_code == 200, answer.text
    return [m for m in answer.json()["items"] if m["kind"] == "reminder"]


def _frequency(world: World, name: str, summary: str) -> None:
    with world.db.unit_of_work() as s:
        notify.set_inbox_preferences(
            s, account_id=world.person(name)[0], muted_kinds=[], summary=summary
        )


def _a_week_of_activity(world: World, client: TestClient) -> int:
    """alice starts an unlock, three friends assist it (one of them chose no summary),
    and alice is charged ¥12.34 and refunded ¥2.00: the instance."""
    campaign_id, _ = world.campaign("unlock", UNLOCK_RULES | {"helpers_needed": 5})
    alice_id, alice = world.person("alice")
    started = post_start(client, alice, campaign_id)
    assert started.status_code == 201, started.text
    instance_id = int(started.json()["id"])
    for name in ("bo", "cai", "dai"):
        assert post_assist(client, world.person(name)[1], instance_id).status_code == 201
    provider = LocalPaymentProvider()
    with world.db.unit_of_work() as s:
        charge = provider.charge(s, key="t-charge", amount_cents=1234, account_id=alice_id)
        provider.refund(s, key="t-refund", capture_ref=charge.ref, amount_cents=200)
    return instance_id


def test_after_the_week_each_person_who_chose_it_gets_the_ledgers_figures(
    world: World, client: TestClient
) -> None:
    _frequency(world, "cai", "never")
    _frequency(world, "dai", "daily")
    _a_week_of_activity(world, client)
    world.person("eve")  # did nothing at all
    week_of_now, _ = spending.summary_period(
        world.settings, length="week", previous=False, now=clock.utcnow()
    )
    _summaries(world)
    assert _reminders(client, world.person("alice")[1]) == []  # the week is not over yet

    clock.advance(WEEK)
    _summaries(world)
    (alice,) = _reminders(client, world.person("alice")[1])
    with world.db.unit_of_work() as s:
        expected = spending.summary_of(
            s,
            shop_id=world.shop.shop_id,
            account_id=world.person("alice")[0],
            since=week_of_now,
            until=week_of_now + timedelta(days=7),
        )
    figures = {k: alice["params"][k] for k in expected.model_dump() if k not in ("since", "until")}
    assert figures == {
        "started": 1,
        "assists_given": 0,
        "assists_received": 3,
        "charged_cents": 1234,
        "refunded_cents": 200,
        "received_cents": 0,
        "expired": 0,
    }
    assert figures == expected.model_dump(exclude={"since", "until"})
    assert alice["title"] == "Your week in numbers"
    assert "Charged: ¥12.34" in alice["body"]
    assert "Assists you received: 3" in alice["body"]

    (bo,) = _reminders(client, world.person("bo")[1])  # weekly by default
    assert (bo["params"]["assists_given"], bo["params"]["started"]) == (1, 0)
    assert _reminders(client, world.person("cai")[1]) == []  # chose never
    assert _reminders(client, world.person("eve")[1]) == []  # nothing to tell
    # dai chose daily: last week is not hers, and yesterday she did nothing.
    assert _reminders(client, world.person("dai")[1]) == []

    # Never twice: not on the next poll, nor after the jobs' rows were purged.
    _summaries(world)
    with world.db.unit_of_work() as s:
        s.execute(delete(Job))
    _summaries(world)
    assert len(_reminders(client, world.person("alice")[1])) == 1
    # In Chinese for a Chinese reader.
    (zh,) = _reminders(client, world.person("alice")[1], lang="zh-CN")
    assert zh["title"] == "本周数字小结"
    assert "已扣款：¥12.34" in zh["body"]


def test_a_daily_summary_comes_the_next_day(world: World, client: TestClient) -> None:
    _frequency(world, "alice", "daily")
    _a_week_of_activity(world, client)
    clock.advance(24 * 3600)
    _summaries(world)
    (alice,) = _reminders(client, world.person("alice")[1])
    assert alice["title"] == "Your day in numbers"
    assert (alice["params"]["started"], alice["params"]["assists_received"]) == (1, 3)
    # Daily people are not in the weekly summary, however long the wait.
    clock.advance(WEEK)
    _summaries(world)
    assert len(_reminders(client, world.person("alice")[1])) == 1


def test_summaries_are_off_under_test_unless_asked(db_url: str) -> None:
    from huzhu.assists.spending.tasks import summaries_on

    assert summaries_on(make_settings(db_url)) is False
    assert summaries_on(make_settings(db_url, guardrails={"summaries": True})) is True
    assert summaries_on(Settings(database_url=db_url, env="embedded")) is True
