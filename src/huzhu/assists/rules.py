"""Pure rules of the assists domain: what an instance's frozen terms mean for its slots,
its clock and its follow-up. No I/O. What an initiator is told of voids and reviews:
voiding/rules.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any


class InstanceStatus(StrEnum):
    ACTIVE = "active"  # taking assists (or members) until it fills or expires
    SUCCEEDED = "succeeded"  # reached its goal: a bargain's purchase window is open
    PURCHASED = "purchased"  # a succeeded bargain was bought at its floor
    COMPLETED = "completed"  # an unlock's reward was paid; a team's orders were charged
    EXPIRED = "expired"  # ended unbought or unfilled; its reservation went back
    CANCELLED = "cancelled"  # withdrawn before it ended (never drawn, never paid)


# A closed instance that needs no more assists (answered `instance_full`, not `closed`).
FINISHED = (InstanceStatus.SUCCEEDED, InstanceStatus.PURCHASED, InstanceStatus.COMPLETED)


class AssistStatus(StrEnum):
    COUNTED = "counted"  # holds a slot; its value is in the instance's progress
    HELD = "held"  # stored without a slot, waiting for an analyst
    VOIDED = "voided"  # judged fake (or genuine but too late): kept, never counted


class PurchaseStatus(StrEnum):
    """A purchase row's money state (the payment provider's ledger has the movements)."""

    PENDING = "pending"  # written, before the provider answered
    AUTHORIZED = "authorized"  # a team member's order: held, not charged
    CAPTURED = "captured"  # charged (a bought bargain, a filled team's order)
    REFUNDED = "refunded"  # a team that did not fill: released in full
    PAID = "paid"  # a reward paid out to the participant


# Purchases a participant pays for (a reward is paid to them): what their caps count.
MONEY_PURCHASE_KINDS = ("groupbuy", "bargain")

# Kinds a participant starts through POST /campaigns/{id}/instances; group-buy teams are
# opened by the group-buy domain through assists.service.open_instance.
STARTABLE_KINDS = ("bargain", "unlock", "lottery")

# The job that follows a succeeded instance, by kind (None: nothing follows).
SUCCESS_JOBS: dict[str, str | None] = {
    "bargain": "instance.purchase_window_close",
    "unlock": "unlock.pay_reward",
    "lottery": None,
    "groupbuy": None,
}

# The job that ends an unbought instance at its expiry; a team's own refund job does it
# for group buy.
EXPIRE_JOBS: dict[str, str | None] = {
    "bargain": "instance.expire",
    "unlock": "instance.expire",
    "lottery": "instance.expire",
    "groupbuy": None,
}


@dataclass(frozen=True, slots=True)
class AssistTerms:
    """What the hot path needs from a version's frozen rules. A version's rules never
    change, so these are safe to cache per instance for the life of a process."""

    daily_cap: int
    succeeds_when_full: bool
    purchase_window_seconds: int | None
    success_job: str | None


def assist_terms(kind: str, rules: dict[str, Any], *, default_daily_cap: int) -> AssistTerms:
    window = rules.get("purchase_window_seconds") if kind == "bargain" else None
    return AssistTerms(
        daily_cap=int(rules.get("daily_assists_per_helper") or default_daily_cap),
        # A lottery that reaches its entry cap stays active until the draw: it is full,
        # not finished. Bargains and unlocks are done when every slot is claimed.
        succeeds_when_full=kind in ("bargain", "unlock"),
        purchase_window_seconds=int(window) if window is not None else None,
        success_job=SUCCESS_JOBS.get(kind),
    )


# Why a succeeded instance's follow-up job is keyed by its voids so far: a void can send
# a succeeded instance back to active, and it can succeed again; each success gets its
# own job. SQL over `job`, `instance_id` and `voided` (SQL expressions), run by the hot
# path's statements on both backends (the only writers of a success).
SUCCESS_JOB_KEY_SQL = "{job} || ':' || {instance_id} || ':' || {voided}"


def success_job_key(job: str, *, instance_id: int, voided: int) -> str:
    """SUCCESS_JOB_KEY_SQL's key, in Python: the key of the job a success scheduled."""
    return f"{job}:{instance_id}:{voided}"


@dataclass(frozen=True, slots=True)
class SuccessPlan:
    """What the assist that fills an instance also does, decided before its transaction
    from the frozen terms and the time: whether the instance succeeds (a lottery at its
    cap stays active), the purchase window it opens, and the follow-up job and when it
    runs (a bargain's window closes at its deadline, anything else follows at once)."""

    succeeds_when_full: bool
    purchase_deadline_at: datetime | None
    job: str | None
    job_run_at: datetime | None


def success_plan(terms: AssistTerms, *, now: datetime) -> SuccessPlan:
    window = terms.purchase_window_seconds
    deadline = now + timedelta(seconds=window) if window else None
    job = terms.success_job
    run_at = deadline if job == "instance.purchase_window_close" else now
    return SuccessPlan(
        succeeds_when_full=terms.succeeds_when_full,
        purchase_deadline_at=deadline,
        job=job,
        job_run_at=run_at if job is not None else None,
    )


def unit_slots(count: int) -> list[int]:
    """Slots of value 1: an unlock's helpers, a lottery's entries, a team's places."""
    return [1] * max(count, 0)


def lottery_slots(rules: dict[str, Any]) -> tuple[list[int], int]:
    """(slots, base): entries above the free base entries are earned one per assist."""
    base = int(rules.get("base_entries", 0))
    return unit_slots(int(rules["entry_cap"]) - base), base


def entries_close_at(kind: str, rules: dict[str, Any]) -> datetime | None:
    """When a kind stops taking part under these terms: a lottery at its draw."""
    if kind != "lottery" or not rules.get("draw_at"):
        return None
    draw_at = datetime.fromisoformat(str(rules["draw_at"]).replace("Z", "+00:00"))
    return draw_at.replace(tzinfo=UTC) if draw_at.tzinfo is None else draw_at


def instance_expires_at(kind: str, rules: dict[str, Any], *, now: datetime, ttl: int) -> datetime:
    """now + ttl; a lottery instance also stops earning entries at the draw."""
    expires = now + timedelta(seconds=ttl)
    closes = entries_close_at(kind, rules)
    return min(expires, closes) if closes is not None else expires


def base_value(*, target_value: int, slot_values: list[int]) -> int:
    """Progress that needs no assist (a lottery's base entries, a team's leader): the
    target less what the slots can add. progress = base + Σ claimed slot values."""
    return target_value - sum(slot_values)


def day_key(now: datetime) -> str:
    """The UTC day a helper's daily assist counter belongs to."""
    return now.astimezone(UTC).date().isoformat()  # YYYY-MM-DD, without strftime's cost


def remaining_cents(*, kind: str, target_value: int, progress_value: int) -> int | None:
    return target_value - progress_value if kind == "bargain" else None
