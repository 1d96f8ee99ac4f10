"""The retention sweep, with the clock advanced (no sleeps): it removes exactly what
expired and nothing else, on SQLite and PostgreSQL, in bounded rounds run as jobs; share
opens become per link and day counts equal to what was removed, so open counts and the
ledger's sums are what they were."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import huzhu.all_tasks  # noqa: F401  (the sweep job, as a worker has it)
from huzhu.accounts.models import CarriedRestriction
from huzhu.app import create_app
from huzhu.assists.models import Assist, HeldNetwork, Instance, Purchase
from huzhu.idempotency.models import IdempotencyRecord
from huzhu.invites import retention as invites_retention
from huzhu.invites.models import ShareOpen, ShareOpenDay
from huzhu.jobs.models import Job
from huzhu.jobs.runner import JobRunner
from huzhu.kit import clock
from huzhu.notify.models import (
    Event,
    InboxMessage,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from huzhu.payments.models import PaymentTxn
from huzhu.risk.review.models import ReviewCase
from huzhu.wechat.channel.models import WechatMessage
from tests.assists.conftest import World
from tests.factories import auth
from tests.invites.conftest import make_world, start

KEEP_DAYS = 90
DAY = 86_400
# Every class kept 90 days, so one timeline expires all of them; two rows a round, so
# the sweep needs several rounds (jobs) to work its backlog off.
RETENTION = {
    "sweep_every_seconds": 3600,
    "batch_rows": 2,
    "share_opens_days": KEEP_DAYS,
    "review_evidence_days": KEEP_DAYS,
    "inbox_days": KEEP_DAYS,
    "webhook_deliveries_days": KEEP_DAYS,
    "events_days": KEEP_DAYS,
    "money_records_days": KEEP_DAYS,
}


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    w = make_world(
        db_url,
        retention=RETENTION,
        idempotency={"ttl_seconds": KEEP_DAYS * DAY},
        jobs={"keep_done_seconds": KEEP_DAYS * DAY},
    )
    try:
        yield w
    finally:
        w.db.dispose()


@dataclass
class Rows:
    """Ids written in one phase, by table."""

    ids: dict[str, set[int]] = field(default_factory=dict)

    def add(self, table: str, *ids: int) -> None:
        self.ids.setdefault(table, set()).update(ids)


def _opens(client: TestClient, world: World, who: str, n: int) -> int:
    """An instance of `who` shared once and opened `n` times over the API."""
    _, token = world.person(who)
    instance_id = start(world, who)
    link = client.post(
        f"/api/v1/instances/{instance_id}/share-links",
        headers=auth(token),
        json={"channel": "friend"},
    ).json()
    for i in range(n):
        opened = client.post(
            f"/api/v1/shares/{link['token']}/open",
            headers={"User-Agent": "Mozilla/5.0", "X-Huzhu-Device": f"phone-{who}-{i}"},
        )
        assert opened.status_code == 201, opened.text
    return instance_id


def _write_rows(s: Session, world: World, rows: Rows, *, tag: str, instance_id: int) -> None:
    """One row of every other class, as of now: what the sweep must judge by its age
    (an order on `instance_id`, bought by its starter)."""
    now = clock.utcnow()
    account_id, _ = world.person("carol")
    shop_id = world.shop.shop_id
    inbox = InboxMessage(account_id=account_id, kind="legacy", title="t", body="b", created_at=now)
    s.add(inbox)
    s.flush()
    s.add(
        WechatMessage(
            inbox_message_id=inbox.id, account_id=account_id, status="sent", created_at=now
        )
    )
    endpoint = WebhookEndpoint(
        shop_id=shop_id,
        url="https://example.test/hook",
        secret="s",
        event_types=[],
        active=False,
        created_at=now,
    )
    s.add(endpoint)
    s.flush()
    events = [
        Event(shop_id=shop_id, type="t", subject_type="x", subject_id=1, payload={},
              dispatched=True, created_at=now)
        for _ in range(3)
    ]  # fmt: skip
    s.add_all(events)
    s.flush()
    delivered = WebhookDelivery(
        endpoint_id=endpoint.id,
        event_id=events[0].id,
        status="delivered",
        attempts=1,
        created_at=now,
    )
    pending = WebhookDelivery(
        endpoint_id=endpoint.id, event_id=events[1].id, status="pending", attempts=1, created_at=now
    )
    s.add_all([delivered, pending])
    s.flush()
    attempt = WebhookAttempt(
        delivery_id=delivered.id, attempted_at=now, status_code=200, duration_ms=3
    )
    s.add(attempt)
    record = IdempotencyRecord(
        principal="p", key=f"k-{tag}", method="POST", path="/x", request_hash="0" * 64,
        state="done", created_at=now, locked_until=now,
    )  # fmt: skip
    done = Job(kind="t", payload={}, status="done", run_at=now, created_at=now, finished_at=now)
    failed = Job(kind="t", payload={}, status="failed", run_at=now, created_at=now, finished_at=now)
    payment = PaymentTxn(
        key=f"pay-{tag}", op="charge", ref=f"ref-{tag}", account_id=account_id,
        amount_cents=1234, state="done", refunded_cents=0, created_at=now,
    )  # fmt: skip
    evidence = {
        "accounts": [account_id],
        "instances": [7],
        "group": {"accounts": 5, "devices": 1, "signs": ["shared_devices"], "members": [1, 2]},
        "rule_outcome": {"voided": 3},
    }
    decided = ReviewCase(
        shop_id=shop_id, kind="fraud_ring", status="confirmed", source="detector:test",
        subject_account_ids=[account_id], evidence=evidence, created_at=now, updated_at=now,
        decided_at=now,
    )  # fmt: skip
    undecided = ReviewCase(
        shop_id=shop_id, kind="fraud_ring", status="open", source="detector:test",
        subject_account_ids=[account_id], evidence=evidence, created_at=now, updated_at=now,
    )  # fmt: skip
    instance = s.get(Instance, instance_id)
    assert instance is not None
    order = Purchase(
        shop_id=shop_id, campaign_id=instance.campaign_id, instance_id=instance_id,
        account_id=instance.initiator_id, kind="bargain", amount_cents=4_321,
        subsidy_cents=1_200, status="captured", payment_ref=f"ref-{tag}", details={},
        created_at=now, updated_at=now,
    )  # fmt: skip
    # Another order on it, by carol, that the test refunds later: its money moved then.
    refunded = Purchase(
        shop_id=shop_id, campaign_id=instance.campaign_id, instance_id=instance_id,
        account_id=account_id, kind="bargain", amount_cents=999, subsidy_cents=100,
        status="captured", payment_ref=f"ref2-{tag}", details={}, created_at=now,
        updated_at=now,
    )  # fmt: skip
    s.add_all([record, done, failed, payment, decided, undecided, order, refunded])
    s.flush()
    rows.add("order", order.id)
    rows.add("order_refunded", refunded.id)
    rows.add("inbox", inbox.id)
    rows.add("event", *(e.id for e in events))
    rows.add("event_delivered", events[0].id)
    rows.add("event_pending", events[1].id)
    rows.add("event_alone", events[2].id)
    rows.add("delivery_delivered", delivered.id)
    rows.add("delivery_pending", pending.id)
    rows.add("attempt", attempt.id)
    rows.add("idempotency", record.id)
    rows.add("job_done", done.id)
    rows.add("job_failed", failed.id)
    rows.add("payment", payment.id)
    rows.add("case_decided", decided.id)
    rows.add("case_open", undecided.id)


def _order_sums(s: Session) -> list[tuple[int, str, int, int, int]]:
    """Per campaign and status: orders, their amounts and subsidies."""
    return [
        (int(c), str(st), int(n), int(a), int(sub))
        for c, st, n, a, sub in s.execute(
            select(
                Purchase.campaign_id,
                Purchase.status,
                func.count(),
                func.sum(Purchase.amount_cents),
                func.sum(Purchase.subsidy_cents),
            )
            .group_by(Purchase.campaign_id, Purchase.status)
            .order_by(Purchase.campaign_id, Purchase.status)
        )
    ]


def _ids(s: Session, column: object) -> set[int]:
    return set(s.scalars(select(column)))  # type: ignore[call-overload]


def test_the_sweep_removes_exactly_what_expired(world: World) -> None:
    old, fresh = Rows(), Rows()
    with TestClient(create_app(world.settings), client=("203.0.113.7", 50000)) as client:
        old_instance = _opens(client, world, "alice", 3)
        world.person("carol")
        with world.db.unit_of_work() as s:
            _write_rows(s, world, old, tag="old", instance_id=old_instance)
            ended, live, ban = (
                CarriedRestriction(shop_id=world.shop.shop_id, provider="local", subject_hash=h,
                                   status=st, restricted_until=until, created_at=clock.utcnow())
                for h, st, until in (
                    ("a" * 64, "restricted", clock.utcnow() + timedelta(days=10)),
                    ("b" * 64, "restricted", clock.utcnow() + timedelta(days=200)),
                    ("c" * 64, "banned", None),
                )
            )  # fmt: skip
            s.add_all([ended, live, ban])
            s.flush()
            carried = {"ended": ended.id, "live": live.id, "ban": ban.id}
            old_opens = _ids(s, ShareOpen.id)
            old_day = s.scalar(select(ShareOpen.opened_at)).date().isoformat()  # type: ignore[union-attr]
        clock.advance((KEEP_DAYS - 1) * DAY)
        fresh_instance = _opens(client, world, "dave", 2)
        with world.db.unit_of_work() as s:
            # An old order refunded now: the legal period counts from its last movement.
            (late,) = (s.get(Purchase, i) for i in old.ids["order_refunded"])
            assert late is not None
            late.status, late.updated_at = "refunded", clock.utcnow()
            _write_rows(s, world, fresh, tag="fresh", instance_id=fresh_instance)
            fresh_opens = _ids(s, ShareOpen.id) - old_opens
            before_counts = invites_retention.open_counts(
                s, instance_ids=[old_instance, fresh_instance]
            )
            before_money = s.scalar(select(func.sum(PaymentTxn.amount_cents)))
            before_orders = _order_sums(s)
    assert len(old_opens) == 3
    assert len(fresh_opens) == 2
    clock.advance(2 * DAY)  # the old rows are now 91 days old, the fresh ones 2

    runner = JobRunner(world.db, world.settings)
    runner.run_periodic(force=True)
    assert runner.run_due() >= 2  # a backlog of 3 opens at 2 a round takes rounds

    with world.db.unit_of_work() as s:
        assert _ids(s, ShareOpen.id) == fresh_opens
        days = s.execute(
            select(ShareOpenDay.share_link_id, ShareOpenDay.day, ShareOpenDay.opens)
        ).all()
        assert [(d, n) for _, d, n in days] == [(old_day, 3)]
        assert (
            invites_retention.open_counts(s, instance_ids=[old_instance, fresh_instance])
            == before_counts
            == {old_instance: 3, fresh_instance: 2}
        )

        assert _ids(s, InboxMessage.id) == fresh.ids["inbox"]
        assert s.scalars(select(WechatMessage.inbox_message_id)).all() == list(fresh.ids["inbox"])
        assert _ids(s, WebhookDelivery.id) == (
            fresh.ids["delivery_delivered"]
            | fresh.ids["delivery_pending"]
            | old.ids["delivery_pending"]
        )
        assert _ids(s, WebhookAttempt.id) == fresh.ids["attempt"]
        events = _ids(s, Event.id)
        assert old.ids["event"] & events == old.ids["event_pending"]  # named by a pending delivery
        assert fresh.ids["event"] <= events
        assert _ids(s, IdempotencyRecord.id) == fresh.ids["idempotency"]
        jobs = _ids(s, Job.id)
        assert old.ids["job_done"].isdisjoint(jobs)
        assert old.ids["job_failed"] | fresh.ids["job_done"] | fresh.ids["job_failed"] <= jobs

        payments = dict(s.execute(select(PaymentTxn.id, PaymentTxn.account_id)).all())
        assert [payments[i] for i in old.ids["payment"]] == [None]
        assert all(payments[i] is not None for i in fresh.ids["payment"])
        assert s.scalar(select(func.sum(PaymentTxn.amount_cents))) == before_money
        # Orders past the legal period name no one; every sum of the ledger is the same.
        orders = dict(s.execute(select(Purchase.id, Purchase.account_id)).all())
        assert [orders[i] for i in old.ids["order"]] == [None]
        carol = world.person("carol")[0]
        assert [orders[i] for i in old.ids["order_refunded"]] == [carol]
        assert [orders[i] for i in fresh.ids["order"]] == [world.person("dave")[0]]
        assert _order_sums(s) == before_orders

        cases = {c.id: c for c in s.scalars(select(ReviewCase))}
        (old_decided,) = (cases[i] for i in old.ids["case_decided"])
        assert old_decided.evidence == {
            "group": {"accounts": 5, "devices": 1, "signs": ["shared_devices"]},
            "rule_outcome": {"voided": 3},
        }
        assert old_decided.evidence_expired_at is not None
        for kept in old.ids["case_open"] | fresh.ids["case_decided"] | fresh.ids["case_open"]:
            assert "accounts" in cases[kept].evidence
            assert cases[kept].evidence_expired_at is None

        assert _ids(s, CarriedRestriction.id) == {carried["live"], carried["ban"]}

        # Worked off in rounds of at most two rows a class, each its own job.
        rounds = s.scalars(select(Job.payload).where(Job.kind == "retention.sweep")).all()
        assert sorted(p["round"] for p in rounds) == list(range(len(rounds)))
        assert len(rounds) >= 2

    # A second sweep finds nothing more to do.
    clock.advance(3600)
    runner.run_periodic(force=True)
    runner.run_due()
    with world.db.unit_of_work() as s:
        assert _ids(s, ShareOpen.id) == fresh_opens
        assert s.scalar(select(func.sum(ShareOpenDay.opens))) == 3


def test_a_networks_hold_count_goes_when_its_window_ends(world: World) -> None:
    """held_network keeps a network's keyed hash only while its window counts holds."""
    window = world.settings.risk.held_network_window_seconds
    # Start an hour into a window, so the real seconds this test takes never cross one.
    clock.advance(window - clock.utcnow().timestamp() % window + 3600)
    now = int(clock.utcnow().timestamp()) // window
    with world.db.unit_of_work() as s:
        s.add_all(
            HeldNetwork(shop_id=world.shop.shop_id, network_hash=h, bucket=b, n=3)
            for h, b in (("old" * 8, now - 1), ("older" * 5, now - 5), ("now" * 8, now))
        )
    runner = JobRunner(world.db, world.settings)
    runner.run_periodic(force=True)
    runner.run_due()
    with world.db.unit_of_work() as s:
        assert s.scalars(select(HeldNetwork.network_hash)).all() == ["now" * 8]
    clock.advance(window)
    runner.run_periodic(force=True)
    runner.run_due()
    with world.db.unit_of_work() as s:
        assert s.scalars(select(HeldNetwork.network_hash)).all() == []


def test_burst_keys_go_when_the_group_windows_end(world: World) -> None:
    """An assist that could begin a group keeps its keyed network and phone hashes only
    while its group could still be held after it (the longest group window); the assist
    itself, its decision and its reasons stay."""
    risk = world.settings.risk
    window = max(risk.group_window_seconds, risk.burst_window_seconds, risk.spike_window_seconds)
    instance_id = start(world, "starter", slots=5)
    helpers = [world.person(f"helper{k}")[0] for k in range(4)]
    now = clock.utcnow()
    ages = [window + 60, window + 3600, window - 60, 0]  # seconds before now
    with world.db.unit_of_work() as s:
        instance = s.get(Instance, instance_id)
        assert instance is not None
        for k, (helper, age) in enumerate(zip(helpers, ages, strict=True)):
            s.add(
                Assist(
                    instance_id=instance_id, campaign_id=instance.campaign_id,
                    helper_id=helper, status="counted", slot=k, value=100,
                    risk_decision="count", risk_score=0.0, risk_reasons=[],
                    created_at=now - timedelta(seconds=age), group_signs="u",
                    net_hash=f"net{k}".ljust(20, "x"), device_hash=f"dev{k}".ljust(20, "x"),
                )
            )  # fmt: skip
    runner = JobRunner(world.db, world.settings)
    runner.run_periodic(force=True)
    runner.run_due()
    with world.db.unit_of_work() as s:
        rows = s.execute(
            select(Assist.helper_id, Assist.group_signs, Assist.net_hash, Assist.device_hash,
                   Assist.status)
            .where(Assist.instance_id == instance_id)
            .order_by(Assist.helper_id)
        ).all()  # fmt: skip
    kept = {helper for helper, signs, net, dev, _ in rows if signs and net and dev}
    cleared = {helper for helper, signs, net, dev, _ in rows if not (signs or net or dev)}
    assert kept == set(helpers[2:])
    assert cleared == set(helpers[:2])
    assert {status for *_, status in rows} == {"counted"}
