"""Pure rules of the guardrails: which caps there are, the periods they count over, when
a step fits, when a money step must wait (cooling-off), and when a person's change to a
cap takes effect. No I/O: the service reads the ledger and the chosen caps and asks here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from huzhu.kit import clock

COOLING_WINDOW = timedelta(hours=1)


class Cap(StrEnum):
    """A person's caps. Money is committed through campaigns (orders authorized or
    captured and bargains bought, net of what was refunded); activities are counted when
    started, teams when joined."""

    DAILY_SPEND = "daily_spend_cents"
    MONTHLY_SPEND = "monthly_spend_cents"
    DAILY_STARTS = "daily_starts"
    DAILY_JOINS = "daily_joins"


MONEY_CAPS = (Cap.DAILY_SPEND, Cap.MONTHLY_SPEND)


class StepKind(StrEnum):
    """What a person does that a cap counts. The three money steps need a confirmation."""

    START = "start"  # start any activity (a bargain, an unlock, a lottery entry, a team)
    OPEN_TEAM = "open_team"  # the leader's order of a new team
    JOIN_TEAM = "join_team"  # a member's order
    BUY_BARGAIN = "buy_bargain"  # buy a bargain that reached its floor


MONEY_STEPS = (StepKind.OPEN_TEAM, StepKind.JOIN_TEAM, StepKind.BUY_BARGAIN)


@dataclass(frozen=True, slots=True)
class Step:
    kind: StepKind
    amount_cents: int = 0

    @property
    def moves_money(self) -> bool:
        return self.kind in MONEY_STEPS and self.amount_cents > 0

    def adds(self, cap: Cap) -> int:
        """How much this step adds to what `cap` counts."""
        if cap in MONEY_CAPS:
            return self.amount_cents if self.kind in MONEY_STEPS else 0
        if cap == Cap.DAILY_STARTS:
            return 1 if self.kind == StepKind.START else 0
        return 1 if self.kind == StepKind.JOIN_TEAM else 0


@dataclass(frozen=True, slots=True)
class Periods:
    """The periods a cap counts over, as UTC instants of the shop's calendar."""

    day_start: datetime
    day_end: datetime
    week_start: datetime
    month_start: datetime
    month_end: datetime

    def start_of(self, cap: Cap) -> datetime:
        return self.month_start if cap == Cap.MONTHLY_SPEND else self.day_start

    def resets_at(self, cap: Cap) -> datetime:
        return self.month_end if cap == Cap.MONTHLY_SPEND else self.day_end


def _utc(local: datetime) -> datetime:
    return clock.as_utc(local.astimezone(UTC))


def periods(now: datetime, zone: ZoneInfo) -> Periods:
    """Today, this week (from Monday) and this month in `zone`, as UTC instants."""
    local = clock.as_utc(now).astimezone(zone)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    month = day.replace(day=1)
    next_month = (month + timedelta(days=32)).replace(day=1)
    # A day is not always 24 hours where clocks change: the next midnight is found by
    # date, then placed in the zone again.
    next_day = (day + timedelta(days=1, hours=3)).replace(hour=0, tzinfo=zone)
    return Periods(
        day_start=_utc(day),
        day_end=_utc(next_day),
        week_start=_utc((day - timedelta(days=day.weekday())).replace(tzinfo=zone)),
        month_start=_utc(month),
        month_end=_utc(next_month.replace(tzinfo=zone)),
    )


@dataclass(frozen=True, slots=True)
class Usage:
    """What the ledger says a person used in the current periods."""

    spent_today_cents: int
    spent_month_cents: int
    starts_today: int
    joins_today: int
    # When the person's money steps of the last hour happened, oldest first.
    recent_money_steps: tuple[datetime, ...] = ()

    def of(self, cap: Cap) -> int:
        return {
            Cap.DAILY_SPEND: self.spent_today_cents,
            Cap.MONTHLY_SPEND: self.spent_month_cents,
            Cap.DAILY_STARTS: self.starts_today,
            Cap.DAILY_JOINS: self.joins_today,
        }[cap]


@dataclass(frozen=True, slots=True)
class Refusal:
    """The first cap a step would exceed: its limit, what is used, what the step needs,
    and when the cap's period ends."""

    cap: Cap
    limit: int
    used: int
    needed: int
    resets_at: datetime


def first_cap_exceeded(
    step: Step, usage: Usage, limits: dict[Cap, int], span: Periods
) -> Refusal | None:
    for cap in Cap:
        needed = step.adds(cap)
        if needed and usage.of(cap) + needed > limits[cap]:
            return Refusal(
                cap=cap,
                limit=limits[cap],
                used=usage.of(cap),
                needed=needed,
                resets_at=span.resets_at(cap),
            )
    return None


def cooling_off_until(
    recent: tuple[datetime, ...], *, now: datetime, steps: int, wait: timedelta
) -> datetime | None:
    """After `steps` money steps within an hour, the next one waits `wait` after the
    last of them; None when the next one may go now (or when cooling-off is off)."""
    if steps <= 0:
        return None
    within = [t for t in recent if t > now - COOLING_WINDOW]
    if len(within) < steps:
        return None
    until = max(within) + wait
    return until if until > now else None


def takes_effect_at(*, current: int, requested: int, now: datetime, wait: timedelta) -> datetime:
    """A lower (or equal) cap applies at once; a higher one only after the wait, so a
    limit chosen in a calm moment cannot be undone in a heated one."""
    return now if requested <= current else now + wait


@dataclass(frozen=True, slots=True)
class Confirmed:
    """What a person confirmed: one money step on one target for one amount."""

    shop_id: int
    account_id: int
    action: StepKind
    target_id: int
    amount_cents: int
    expires_at: int  # unix seconds

    def payload(self) -> str:
        return json.dumps(
            [
                "confirm",
                self.shop_id,
                self.account_id,
                str(self.action),
                self.target_id,
                self.amount_cents,
                self.expires_at,
            ],
            separators=(",", ":"),
        )

    @classmethod
    def from_payload(cls, text: str) -> Confirmed | None:
        try:
            tag, shop, account, action, target, amount, expires = json.loads(text)
        except (ValueError, TypeError):
            return None
        if tag != "confirm" or action not in set(StepKind):
            return None
        return cls(
            shop_id=int(shop),
            account_id=int(account),
            action=StepKind(action),
            target_id=int(target),
            amount_cents=int(amount),
            expires_at=int(expires),
        )
