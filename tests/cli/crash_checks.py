"""What must hold in the database after a crash and a restart, read from the rows alone.

Each check returns the problems it found, as sentences: an empty list is a pass. They
hold for any history, crashed or not, so they say nothing about when the kill came —
only that whatever it interrupted left no trace but a whole write or none.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huzhu.assists.models import Assist, Instance, InstanceSlot, Purchase
from huzhu.assists.rules import AssistStatus, InstanceStatus, PurchaseStatus
from huzhu.campaigns.models import Campaign, LotteryDraw
from huzhu.campaigns.rules.groupbuy import members
from huzhu.jobs.models import Job
from huzhu.jobs.rules import JobStatus
from huzhu.kit import clock
from huzhu.notify.models import Event, WebhookDelivery
from huzhu.notify.rules import DeliveryStatus
from huzhu.payments.models import PaymentTxn
from huzhu.payments.schemas import PaymentOp, TxnState
from tests.cli.crash_world import Acknowledged, CrashWorld


def acknowledged_writes_once(session: Session, acked: Acknowledged) -> list[str]:
    """Every 2xx write is there, once: its row by the id it named, and no second row of
    the same act (a start per starter and campaign, an assist per helper and instance, an
    order per member and team, a purchase per bargain)."""
    problems: list[str] = []
    found = set(session.scalars(select(Instance.id).where(Instance.id.in_(acked.starts))))
    problems += [f"acknowledged start {i} is missing" for i in set(acked.starts) - found]
    found = set(session.scalars(select(Assist.id).where(Assist.id.in_(acked.assists))))
    problems += [f"acknowledged assist {i} is missing" for i in set(acked.assists) - found]
    orders = {**acked.team_orders, **acked.purchases}
    found = set(session.scalars(select(Purchase.id).where(Purchase.id.in_(orders))))
    problems += [f"acknowledged order {i} is missing" for i in set(orders) - found]
    twice = [
        ("instances of one starter", (Instance.campaign_id, Instance.initiator_id)),
        ("assists of one helper", (Assist.instance_id, Assist.helper_id)),
        ("orders of one person", (Purchase.instance_id, Purchase.account_id)),
    ]
    for what, columns in twice:
        doubled = session.execute(
            select(*columns).group_by(*columns).having(func.count() > 1)
        ).all()
        problems += [f"two {what}: {tuple(row)}" for row in doubled]
    return problems


def instances_whole(session: Session) -> list[str]:
    """Every instance's counters are its rows: slots used = counted assists = claimed
    slots, progress = the sum of their values, held = held assists; a team's members are
    its orders, never more than its size."""
    problems: list[str] = []
    counted = _by_instance(session, Assist.status == AssistStatus.COUNTED, func.count())
    values = _by_instance(session, Assist.status == AssistStatus.COUNTED, func.sum(Assist.value))
    held = _by_instance(session, Assist.status == AssistStatus.HELD, func.count())
    claimed = dict(
        session.execute(  # type: ignore[arg-type]
            select(InstanceSlot.instance_id, func.count())
            .where(InstanceSlot.assist_id.is_not(None))
            .group_by(InstanceSlot.instance_id)
        ).all()
    )
    orders = dict(
        session.execute(  # type: ignore[arg-type]
            select(Purchase.instance_id, func.count()).group_by(Purchase.instance_id)
        ).all()
    )
    for instance in session.scalars(select(Instance)):
        if instance.kind == "groupbuy":
            got = orders.get(instance.id, 0)
            if got != members(places_taken=instance.slots_used) or instance.slots_used > (
                instance.slots_total
            ):
                problems.append(
                    f"team {instance.id}: {instance.slots_used} places of "
                    f"{instance.slots_total} taken, {got} orders"
                )
            continue
        if instance.kind == "lottery":
            continue  # entries written as rows by the test, no assists behind them
        seen = (counted.get(instance.id, 0), claimed.get(instance.id, 0), values.get(instance.id))
        if seen != (instance.slots_used, instance.slots_used, instance.progress_value or None):
            problems.append(
                f"instance {instance.id}: slots_used {instance.slots_used}, progress "
                f"{instance.progress_value}; counted assists, claimed slots, their sum: {seen}"
            )
        if held.get(instance.id, 0) != instance.held_count:
            problems.append(f"instance {instance.id}: held_count off its held assists")
    return problems


def _by_instance(session: Session, where: Any, measure: Any) -> dict[int, int]:
    rows = session.execute(
        select(Assist.instance_id, measure).where(where).group_by(Assist.instance_id)
    ).all()
    return {int(i): int(n) for i, n in rows}


def ledger_balanced(session: Session) -> list[str]:
    """Every purchase has its movement and every movement its purchase; an order's money
    state is its authorization's; a captured order was captured once, for its amount."""
    problems: list[str] = []
    txns = list(session.scalars(select(PaymentTxn)))
    by_ref = {t.ref: t for t in txns}
    children = Counter((t.parent_ref, t.op) for t in txns if t.parent_ref)
    purchases = list(session.scalars(select(Purchase)))
    refs = {p.payment_ref for p in purchases}
    for txn in txns:
        if (txn.parent_ref or txn.ref) not in refs:
            problems.append(f"ledger {txn.op} {txn.ref} belongs to no purchase")
    expected_state = {
        PurchaseStatus.AUTHORIZED: TxnState.AUTHORIZED,
        PurchaseStatus.CAPTURED: TxnState.CAPTURED,
        PurchaseStatus.REFUNDED: TxnState.VOIDED,
    }
    for p in purchases:
        txn = by_ref.get(p.payment_ref or "")
        if txn is None or txn.amount_cents != p.amount_cents:
            problems.append(f"purchase {p.id} ({p.kind}, {p.status}) has no movement of its amount")
            continue
        if p.kind == "groupbuy":
            if txn.op != PaymentOp.AUTHORIZE or txn.state != expected_state.get(p.status):
                problems.append(f"order {p.id} is {p.status}, its authorization {txn.state}")
            captures = children[(txn.ref, PaymentOp.CAPTURE)]
            if captures != (p.status == PurchaseStatus.CAPTURED):
                problems.append(f"order {p.id} ({p.status}) was captured {captures} times")
        else:
            op = PaymentOp.CHARGE if p.kind == "bargain" else PaymentOp.PAYOUT
            if txn.op != op:
                problems.append(f"purchase {p.id} ({p.kind}) moved money by {txn.op}")
    return problems


def budgets_held(session: Session) -> list[str]:
    """No campaign spent or holds more than its budget and stock, and what it holds and
    spent is exactly what its instances and orders hold and spent."""
    problems: list[str] = []
    for c in session.scalars(select(Campaign)):
        if c.budget_reserved_cents + c.budget_spent_cents > c.budget_cents:
            problems.append(f"campaign {c.id} ({c.kind}) is over its budget")
        if c.inventory_reserved + c.inventory_used > c.inventory_total:
            problems.append(f"campaign {c.id} ({c.kind}) is over its stock")
        if c.kind == "lottery":
            continue
        held, spent = _holdings(session, c)
        if held != (c.budget_reserved_cents, c.inventory_reserved) or spent != (
            c.budget_spent_cents,
            c.inventory_used,
        ):
            problems.append(
                f"campaign {c.id} ({c.kind}) books reserved "
                f"{(c.budget_reserved_cents, c.inventory_reserved)} spent "
                f"{(c.budget_spent_cents, c.inventory_used)}; its rows hold {held} spent {spent}"
            )
    return problems


def _holdings(session: Session, c: Campaign) -> tuple[tuple[int, int], tuple[int, int]]:
    if c.kind == "groupbuy":
        orders = list(session.scalars(select(Purchase).where(Purchase.campaign_id == c.id)))

        def total(status: PurchaseStatus) -> tuple[int, int]:
            chosen = [o for o in orders if o.status == status]
            units = sum(int(o.details.get("reserved_units", 1)) for o in chosen)
            return sum(o.subsidy_cents for o in chosen), units

        return total(PurchaseStatus.AUTHORIZED), total(PurchaseStatus.CAPTURED)
    instances = list(session.scalars(select(Instance).where(Instance.campaign_id == c.id)))
    open_ = [i for i in instances if i.closed_at is None]
    spent = [
        i for i in instances if i.status in (InstanceStatus.PURCHASED, InstanceStatus.COMPLETED)
    ]
    return _sum(open_), _sum(spent)


def _sum(instances: Iterable[Instance]) -> tuple[int, int]:
    chosen = list(instances)
    return sum(i.reserved_cents for i in chosen), sum(i.reserved_units for i in chosen)


def jobs_done_once(session: Session, world: CrashWorld) -> list[str]:
    """No due job is left or failed; each did its work once: a draw per lottery, a
    capture per filled team's order (ledger_balanced), a reward per finished unlock."""
    problems: list[str] = []
    now = clock.utcnow()
    for job in session.scalars(select(Job)):
        if job.status == JobStatus.FAILED or (
            job.status != JobStatus.DONE and clock.as_utc(job.run_at) <= now
        ):
            problems.append(f"job {job.id} ({job.kind}) is {job.status}: {job.last_error}")
    draws = set(session.scalars(select(LotteryDraw.campaign_id)))
    problems += [f"lottery {i} was not drawn" for i in set(world.lottery_ids) - draws]
    drawn = Counter(session.scalars(select(Event.subject_id).where(Event.type == "lottery.drawn")))
    problems += [f"lottery {i} drawn {n} times" for i, n in drawn.items() if n != 1]
    for unlock in session.scalars(select(Instance).where(Instance.kind == "unlock")):
        rewards = session.scalar(
            select(func.count()).where(Purchase.instance_id == unlock.id, Purchase.kind == "reward")
        )
        paid = unlock.status == InstanceStatus.COMPLETED
        if unlock.status == InstanceStatus.SUCCEEDED or rewards != paid:
            problems.append(f"unlock {unlock.id} is {unlock.status} with {rewards} rewards")
    for team in session.scalars(select(Instance).where(Instance.kind == "groupbuy")):
        if team.status == InstanceStatus.SUCCEEDED:
            problems.append(f"team {team.id} filled and was never charged")
    return problems


def events_delivered(session: Session, received: set[int]) -> list[str]:
    """Every event of the outbox was fanned out and delivered to the receiver (at least
    once: it dedupes by the event id)."""
    problems: list[str] = []
    events = set(session.scalars(select(Event.id)))
    waiting = session.scalar(select(func.count()).where(Event.dispatched.is_(False)))
    if waiting:
        problems.append(f"{waiting} events never dispatched")
    undelivered = session.scalar(
        select(func.count()).where(WebhookDelivery.status != DeliveryStatus.DELIVERED)
    )
    if undelivered:
        problems.append(f"{undelivered} deliveries not delivered")
    missing = sorted(events - received)
    if missing:
        problems.append(f"{len(missing)} events never reached the receiver: {missing[:10]}")
    return problems


def settled(session: Session, received: set[int]) -> bool:
    """The background work has caught up: no due job waits, no delivery is pending, and
    every event reached the receiver (what the test waits for before it checks). An
    attempt cut by the kill after the receiver had it is still pending until its lease
    ends and it is sent again: the receiver having the event is not enough."""
    now = clock.utcnow()
    due = session.scalar(
        select(func.count()).where(
            Job.status.in_((JobStatus.PENDING, JobStatus.RUNNING)), Job.run_at <= now
        )
    )
    pending = session.scalar(
        select(func.count()).where(WebhookDelivery.status == DeliveryStatus.PENDING)
    )
    return not due and not pending and set(session.scalars(select(Event.id))) <= received
