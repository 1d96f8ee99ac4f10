"""Outbox → webhooks against a real HTTP receiver on loopback: signed deliveries,
retries with backoff, failure after max attempts, manual redelivery, the attempt log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select, update

import huzhu.notify.tasks  # registers the periodic dispatch and delivery
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.jobs.runner import JobRunner
from huzhu.kit import clock
from huzhu.notify import service
from huzhu.notify.models import Event, WebhookAttempt, WebhookDelivery
from huzhu.notify.rules import verify_signature
from tests.conftest import make_settings
from tests.factories import make_shop
from tests.notify.receiver import Receiver, webhook_receiver


@dataclass
class Env:
    db: Database
    settings: Settings
    runner: JobRunner
    receiver: Receiver
    shop_id: int
    endpoint_id: int
    secret: str

    def event(self, type: str = "assist.counted", shop_id: int | None = None) -> int:
        with self.db.unit_of_work() as s:
            return service.record_event(
                s,
                shop_id=shop_id or self.shop_id,
                type=type,
                subject_type="instance",
                subject_id=7,
                payload={"progress_value": 3},
            ).id

    def delivery(self) -> WebhookDelivery:
        with self.db.unit_of_work() as s:
            return s.scalars(select(WebhookDelivery)).one()

    def attempts(self) -> list[WebhookAttempt]:
        with self.db.unit_of_work() as s:
            return list(s.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id)))


@pytest.fixture
def env(db_url: str) -> Iterator[Env]:
    settings = make_settings(
        db_url,
        webhooks={"backoff_base_seconds": 60.0, "max_attempts": 3, "timeout_seconds": 2.0},
    )
    db = Database(settings.db)
    with webhook_receiver() as receiver:
        with db.unit_of_work() as s:
            shop_id = make_shop(s)
            endpoint = service.create_endpoint(s, settings, shop_id=shop_id, url=receiver.url)
        yield Env(
            db=db,
            settings=settings,
            runner=JobRunner(db, settings),
            receiver=receiver,
            shop_id=shop_id,
            endpoint_id=endpoint.id,
            secret=endpoint.secret,
        )
    db.dispose()


def test_delivery_is_signed_and_carries_the_event(env: Env) -> None:
    event_id = env.event()
    env.runner.tick()
    [request] = env.receiver.requests
    header = request.headers["Huzhu-Signature"]
    assert verify_signature(env.secret, header, request.body, now=clock.utcnow().timestamp())
    assert not verify_signature("whsec_wrong", header, request.body)
    assert request.headers["Huzhu-Event-Id"] == str(event_id)
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.body)
    assert body["id"] == event_id
    assert body["type"] == "assist.counted"
    assert body["subject"] == {"type": "instance", "id": 7}
    assert body["data"] == {"progress_value": 3}
    assert body["created_at"].endswith("+00:00")
    delivery = env.delivery()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    [attempt] = env.attempts()
    assert attempt.status_code == 200
    assert attempt.error is None
    assert attempt.duration_ms >= 0


def test_failed_delivery_is_retried_with_backoff_until_it_succeeds(env: Env) -> None:
    env.receiver.fail_first = 2
    env.event()
    env.runner.tick()
    first = env.delivery()
    assert (first.status, first.attempts, first.last_status_code) == ("pending", 1, 500)
    assert first.next_attempt_at is not None
    # Measured from the attempt's own time, not from a later "now": a slow machine's
    # seconds between the attempt and this line are not the backoff's. A minute's base,
    # so the "not due yet" tick below cannot be overtaken by real time either.
    assert (first.next_attempt_at - env.attempts()[-1].attempted_at).total_seconds() == 60

    env.runner.tick()  # not due yet: no second request
    assert len(env.receiver.requests) == 1

    clock.advance(60.1)
    env.runner.tick()
    second = env.delivery()
    assert (second.status, second.attempts) == ("pending", 2)
    assert second.next_attempt_at is not None
    assert (second.next_attempt_at - env.attempts()[-1].attempted_at).total_seconds() == 120

    clock.advance(120.1)
    env.runner.tick()
    assert env.delivery().status == "delivered"
    assert [a.status_code for a in env.attempts()] == [500, 500, 200]
    assert [a.error for a in env.attempts()] == ["HTTP 500", "HTTP 500", None]
    # The same event each time, so the receiver can deduplicate by Huzhu-Event-Id.
    assert len({r.headers["Huzhu-Event-Id"] for r in env.receiver.requests}) == 1


def test_delivery_fails_after_max_attempts_and_stops(env: Env) -> None:
    env.receiver.always_status = 500
    env.event()
    for _ in range(6):
        env.runner.tick()
        clock.advance(3600)
    delivery = env.delivery()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert delivery.next_attempt_at is None
    assert len(env.receiver.requests) == 3
    assert len(env.attempts()) == 3


def test_redeliver_sends_a_failed_delivery_again(env: Env) -> None:
    env.receiver.always_status = 500
    env.event()
    for _ in range(4):
        env.runner.tick()
        clock.advance(3600)
    assert env.delivery().status == "failed"
    env.receiver.always_status = None  # the receiver is fixed
    with env.db.unit_of_work() as s:
        service.redeliver(s, shop_id=env.shop_id, delivery_id=env.delivery().id)
    env.runner.tick()
    delivery = env.delivery()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)
    assert [a.status_code for a in env.attempts()] == [500, 500, 500, 200]


def test_timeout_is_logged_as_a_failed_attempt(db_url: str) -> None:
    settings = make_settings(db_url, webhooks={"timeout_seconds": 0.3})
    db = Database(settings.db)
    try:
        with webhook_receiver() as receiver:
            receiver.delay_seconds = 1.0
            with db.unit_of_work() as s:
                shop_id = make_shop(s)
                service.create_endpoint(s, settings, shop_id=shop_id, url=receiver.url)
                service.record_event(
                    s,
                    shop_id=shop_id,
                    type="instance.expired",
                    subject_type="instance",
                    subject_id=1,
                )
            JobRunner(db, settings).tick()
            with db.unit_of_work() as s:
                attempt = s.scalars(select(WebhookAttempt)).one()
                delivery = s.scalars(select(WebhookDelivery)).one()
        assert attempt.status_code is None
        assert attempt.error == "ReadTimeout"
        assert delivery.status == "pending"
    finally:
        db.dispose()


def test_events_go_only_to_matching_active_endpoints_of_their_shop(env: Env) -> None:
    with env.db.unit_of_work() as s:
        other_shop = make_shop(s)
        service.update_endpoint(
            s,
            env.settings,
            shop_id=env.shop_id,
            endpoint_id=env.endpoint_id,
            changes={"event_types": ["campaign.*"]},
        )
        paused = service.create_endpoint(
            s, env.settings, shop_id=env.shop_id, url=env.receiver.url, active=False
        )
        assert paused.id
    env.event("campaign.launched")
    env.event("assist.counted")
    env.event("campaign.launched", shop_id=other_shop)
    env.runner.tick()
    assert [json.loads(r.body)["type"] for r in env.receiver.requests] == ["campaign.launched"]
    with env.db.unit_of_work() as s:
        assert (
            s.scalar(select(func.count()).select_from(Event).where(Event.dispatched.is_(False)))
            == 0
        )


def test_dispatching_an_event_twice_creates_one_delivery(env: Env) -> None:
    env.event()
    with env.db.unit_of_work() as s:
        assert service.dispatch_events(s) == 1
    with env.db.unit_of_work() as s:
        s.execute(update(Event).values(dispatched=False))
    with env.db.unit_of_work() as s:
        assert service.dispatch_events(s) == 1
    with env.db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(WebhookDelivery)) == 1


def _record_backlog(env: Env, n: int) -> None:
    """n assist events of the shop whose endpoint listens, undispatched, in one unit."""
    with env.db.unit_of_work() as s:
        for _ in range(n):
            service.record_event(
                s,
                shop_id=env.shop_id,
                type="assist.counted",
                subject_type="instance",
                subject_id=7,
                payload={},
            )


def test_one_poll_dispatches_a_backlog_larger_than_a_batch(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every assist writes an event: a poll that dispatched one batch capped a runner at
    400 events a second. A poll now works through the backlog, batch by batch. (The
    poll's time budget is lifted here: on a slow machine three batches can outlast it,
    and what is tested is the loop, not the machine's speed.)"""
    monkeypatch.setattr(huzhu.notify.tasks, "DISPATCH_BUDGET_SECONDS", 600.0)
    backlog = service.DISPATCH_BATCH * 2 + 37
    _record_backlog(env, backlog)
    env.runner.run_periodic(force=True)
    with env.db.unit_of_work() as s:
        undispatched = select(func.count()).select_from(Event).where(Event.dispatched.is_(False))
        assert s.scalar(undispatched) == 0
        assert s.scalar(select(func.count()).select_from(WebhookDelivery)) == backlog


def test_a_poll_stops_dispatching_when_its_time_budget_is_spent(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The budget keeps a big backlog from starving the runner's jobs: with none left after
    the first batch, one poll dispatches one batch and leaves the rest for the next."""
    monkeypatch.setattr(huzhu.notify.tasks, "DISPATCH_BUDGET_SECONDS", -1.0)
    backlog = service.DISPATCH_BATCH + 5
    _record_backlog(env, backlog)
    undispatched = select(func.count()).select_from(Event).where(Event.dispatched.is_(False))
    env.runner.run_periodic(force=True)
    with env.db.unit_of_work() as s:
        assert s.scalar(undispatched) == 5
    env.runner.run_periodic(force=True)
    with env.db.unit_of_work() as s:
        assert s.scalar(undispatched) == 0


def test_a_poll_marks_unheard_events_in_bulk_and_fans_out_the_heard_ones(env: Env) -> None:
    """Events of a shop without an active endpoint are only marked dispatched (one
    statement per UNHEARD_BATCH); those of a shop with one fan out to it — both from the
    same backlog, interleaved, in one poll."""
    with env.db.unit_of_work() as s:
        quiet_shop = make_shop(s)
        for i in range(service.UNHEARD_BATCH + 150):
            service.record_event(
                s,
                shop_id=env.shop_id if i % 500 == 0 else quiet_shop,
                type="assist.counted",
                subject_type="instance",
                subject_id=i,
                payload={},
            )
    heard = len(range(0, service.UNHEARD_BATCH + 150, 500))
    env.runner.run_periodic(force=True)
    with env.db.unit_of_work() as s:
        undispatched = select(func.count()).select_from(Event).where(Event.dispatched.is_(False))
        assert s.scalar(undispatched) == 0
        delivered_events = s.scalars(select(WebhookDelivery.event_id)).all()
        shops = s.scalars(select(Event.shop_id).where(Event.id.in_(delivered_events))).all()
    assert len(delivered_events) == heard
    assert set(shops) == {env.shop_id}


def test_an_event_is_written_dispatched_only_when_no_endpoint_of_its_shop_listens(
    env: Env,
) -> None:
    with env.db.unit_of_work() as s:
        quiet_shop = make_shop(s)
    heard, unheard = env.event(), env.event(shop_id=quiet_shop)
    service_update = {"active": False}
    with env.db.unit_of_work() as s:
        service.update_endpoint(
            s, env.settings, shop_id=env.shop_id, endpoint_id=env.endpoint_id,
            changes=service_update,
        )  # fmt: skip
    after_pause = env.event()
    with env.db.unit_of_work() as s:
        dispatched = {
            row.id: row.dispatched for row in s.execute(select(Event.id, Event.dispatched))
        }
    assert dispatched == {heard: False, unheard: True, after_pause: True}
    # The heard event's endpoint went away before dispatch: it is marked, not delivered.
    env.runner.run_periodic(force=True)
    with env.db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Event).where(~Event.dispatched)) == 0
        assert s.scalar(select(func.count()).select_from(WebhookDelivery)) == 0


def test_an_appended_event_is_written_and_delivered_as_a_recorded_one(env: Env) -> None:
    """append_event (one Core statement, for share opens) keeps record_event's rule:
    dispatched only when no endpoint of its shop listens; a heard one is delivered."""
    with env.db.unit_of_work() as s:
        quiet_shop = make_shop(s)
        for shop_id in (env.shop_id, quiet_shop):
            service.append_event(
                s,
                shop_id=shop_id,
                type="share.opened",
                subject_type="share_link",
                subject_id=11,
                payload={"open_id": 5, "channel": "friend"},
            )
    with env.db.unit_of_work() as s:
        rows = s.execute(select(Event.shop_id, Event.dispatched, Event.payload)).all()
    assert sorted((r.shop_id, r.dispatched) for r in rows) == [
        (env.shop_id, False),
        (quiet_shop, True),
    ]
    assert all(r.payload == {"open_id": 5, "channel": "friend"} for r in rows)
    env.runner.run_periodic(force=True)
    env.runner.tick()
    (request,) = env.receiver.requests
    body = json.loads(request.body)
    assert (body["type"], body["data"]) == ("share.opened", {"open_id": 5, "channel": "friend"})
