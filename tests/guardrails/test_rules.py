"""The pure rules of the guardrails: periods in the shop's calendar, which cap a step
exceeds first, cooling-off, when a change to a cap takes effect, and the confirmation's
payload."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from huzhu.guardrails.rules import (
    Cap,
    Confirmed,
    Step,
    StepKind,
    Usage,
    cooling_off_until,
    first_cap_exceeded,
    periods,
    takes_effect_at,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_weeks_and_months_start_at_local_midnight_in_the_site_zone() -> None:
    # Sunday 17:00 UTC is already Monday 01:00 in Shanghai: a new week has begun there.
    now = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
    assert periods(now, SHANGHAI).week_start == datetime(2026, 11, 29, 16, 0, tzinfo=UTC)
    assert periods(now, ZoneInfo("UTC")).week_start == datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    # 30 Nov 20:00 UTC is 1 Dec 04:00 in Shanghai: December's spending starts there.
    late = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    span = periods(late, SHANGHAI)
    assert span.month_start == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert span.month_end == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    assert periods(late, ZoneInfo("UTC")).month_start == datetime(2026, 11, 1, tzinfo=UTC)


def test_a_day_ends_at_the_next_local_midnight_even_when_clocks_change() -> None:
    new_york = ZoneInfo("America/New_York")
    # 8 March 2026: clocks go forward at 02:00, so that day has 23 hours.
    span = periods(datetime(2026, 3, 8, 12, 0, tzinfo=UTC), new_york)
    assert span.day_start == datetime(2026, 3, 8, 5, 0, tzinfo=UTC)
    assert span.day_end == datetime(2026, 3, 9, 4, 0, tzinfo=UTC)
    assert span.day_end - span.day_start == timedelta(hours=23)


def test_the_monthly_cap_resets_with_the_month_and_the_others_with_the_day() -> None:
    span = periods(datetime(2026, 12, 7, 3, 0, tzinfo=UTC), SHANGHAI)
    assert span.resets_at(Cap.MONTHLY_SPEND) == span.month_end
    assert span.start_of(Cap.MONTHLY_SPEND) == span.month_start
    for cap in (Cap.DAILY_SPEND, Cap.DAILY_STARTS, Cap.DAILY_JOINS):
        assert span.resets_at(cap) == span.day_end
        assert span.start_of(cap) == span.day_start


LIMITS = {
    Cap.DAILY_SPEND: 10_000,
    Cap.MONTHLY_SPEND: 30_000,
    Cap.DAILY_STARTS: 3,
    Cap.DAILY_JOINS: 2,
}
SPAN = periods(datetime(2026, 12, 7, 3, 0, tzinfo=UTC), SHANGHAI)


def test_a_refusal_names_the_first_cap_exceeded_with_its_numbers() -> None:
    usage = Usage(spent_today_cents=9_000, spent_month_cents=9_000, starts_today=0, joins_today=0)
    refusal = first_cap_exceeded(Step(StepKind.JOIN_TEAM, 1_500), usage, LIMITS, SPAN)
    assert refusal is not None
    assert (refusal.cap, refusal.limit, refusal.used, refusal.needed) == (
        Cap.DAILY_SPEND,
        10_000,
        9_000,
        1_500,
    )
    assert refusal.resets_at == SPAN.day_end
    # Exactly what is left still fits.
    assert first_cap_exceeded(Step(StepKind.JOIN_TEAM, 1_000), usage, LIMITS, SPAN) is None


def test_a_start_counts_against_starts_and_a_join_against_joins_only() -> None:
    full = Usage(spent_today_cents=0, spent_month_cents=0, starts_today=3, joins_today=2)
    start = first_cap_exceeded(Step(StepKind.START), full, LIMITS, SPAN)
    assert start is not None
    assert start.cap == Cap.DAILY_STARTS
    join = first_cap_exceeded(Step(StepKind.JOIN_TEAM, 100), full, LIMITS, SPAN)
    assert join is not None
    assert join.cap == Cap.DAILY_JOINS
    # Opening a team or buying a bargain is money, not a join.
    assert first_cap_exceeded(Step(StepKind.OPEN_TEAM, 100), full, LIMITS, SPAN) is None
    assert first_cap_exceeded(Step(StepKind.BUY_BARGAIN, 100), full, LIMITS, SPAN) is None


@given(
    st.lists(
        st.tuples(st.sampled_from(list(StepKind)), st.integers(min_value=0, max_value=6_000)),
        max_size=40,
    )
)
def test_admitting_only_steps_that_fit_never_passes_a_cap(
    steps: list[tuple[StepKind, int]],
) -> None:
    used = dict.fromkeys(Cap, 0)
    for kind, amount in steps:
        step = Step(kind, amount)
        usage = Usage(
            spent_today_cents=used[Cap.DAILY_SPEND],
            spent_month_cents=used[Cap.MONTHLY_SPEND],
            starts_today=used[Cap.DAILY_STARTS],
            joins_today=used[Cap.DAILY_JOINS],
        )
        refusal = first_cap_exceeded(step, usage, LIMITS, SPAN)
        fits = all(used[cap] + step.adds(cap) <= LIMITS[cap] for cap in Cap)
        assert (refusal is None) == fits
        if refusal is None:
            for cap in Cap:
                used[cap] += step.adds(cap)
        else:
            assert used[refusal.cap] + refusal.needed > refusal.limit
    assert all(used[cap] <= LIMITS[cap] for cap in Cap)


NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
WAIT = timedelta(minutes=30)


def test_the_step_after_n_money_steps_in_an_hour_waits() -> None:
    four = tuple(NOW - timedelta(minutes=m) for m in (50, 30, 20, 10))
    assert cooling_off_until(four, now=NOW, steps=5, wait=WAIT) is None
    five = (NOW - timedelta(minutes=55), *four)
    assert (
        cooling_off_until(five, now=NOW, steps=5, wait=WAIT) == NOW - timedelta(minutes=10) + WAIT
    )


def test_cooling_off_ends_and_old_steps_drop_out_of_the_hour() -> None:
    five = tuple(NOW - timedelta(minutes=m) for m in (58, 57, 56, 55, 54))
    # The wait after the last of them (54 minutes ago) is over.
    assert cooling_off_until(five, now=NOW, steps=5, wait=WAIT) is None
    old = (NOW - timedelta(minutes=61), *tuple(NOW - timedelta(minutes=m) for m in (4, 3, 2, 1)))
    assert cooling_off_until(old, now=NOW, steps=5, wait=WAIT) is None


def test_cooling_off_set_to_zero_steps_is_off() -> None:
    many = tuple(NOW - timedelta(minutes=m) for m in range(1, 20))
    assert cooling_off_until(many, now=NOW, steps=0, wait=WAIT) is None


def test_lowering_applies_at_once_and_raising_waits() -> None:
    day = timedelta(hours=24)
    assert takes_effect_at(current=5_000, requested=1_000, now=NOW, wait=day) == NOW
    assert takes_effect_at(current=5_000, requested=5_000, now=NOW, wait=day) == NOW
    assert takes_effect_at(current=5_000, requested=9_000, now=NOW, wait=day) == NOW + day


def test_a_confirmation_payload_reads_back_and_refuses_anything_else() -> None:
    confirmed = Confirmed(
        shop_id=1,
        account_id=7,
        action=StepKind.JOIN_TEAM,
        target_id=42,
        amount_cents=4_900,
        expires_at=1_800_000_000,
    )
    assert Confirmed.from_payload(confirmed.payload()) == confirmed
    for bad in (
        "",
        "[]",
        "not json",
        '["share",1,7,"join_team",42,4900,1]',
        '["confirm",1,7,"steal",42,4900,1]',
    ):
        assert Confirmed.from_payload(bad) is None
