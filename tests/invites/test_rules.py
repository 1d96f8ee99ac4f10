"""Properties of the invites domain's pure rules: the reputation cap, quiet hours and
the client-hint prefixes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import get_args
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

from huzhu.config import InviteSettings
from huzhu.invites import rules, schemas

_D = InviteSettings()
DEFAULT = rules.ReputationParams(
    prior_bad=_D.reputation_prior_bad,
    prior_good=_D.reputation_prior_good,
    volume_cap=_D.reputation_volume_cap,
    tolerated_rate=_D.reputation_tolerated_rate,
    stop_rate=_D.reputation_stop_rate,
)


@st.composite
def params(draw: st.DrawFn) -> rules.ReputationParams:
    a = draw(st.floats(0.1, 10))
    b = draw(st.floats(1, 200))
    tolerated = draw(st.floats(0, 0.5))
    return rules.ReputationParams(
        prior_bad=a,
        prior_good=b,
        volume_cap=draw(st.integers(1, 5000)),
        tolerated_rate=tolerated,
        stop_rate=draw(st.floats(0.01, 1)),
    )


counts = st.integers(0, 100_000)
bases = st.integers(0, 1000)


@given(params(), bases, counts, counts)
def test_the_cap_is_never_below_zero_nor_above_the_base(
    p: rules.ReputationParams, base: int, bad: int, sent: int
) -> None:
    assert 0 <= rules.shrunk_cap(base, bad=bad, sent=sent, p=p) <= base


@given(params(), bases, counts, counts, st.integers(1, 1000))
def test_more_bad_outcomes_never_raise_the_cap(
    p: rules.ReputationParams, base: int, bad: int, sent: int, more: int
) -> None:
    assert rules.shrunk_cap(base, bad=bad + more, sent=sent, p=p) <= rules.shrunk_cap(
        base, bad=bad, sent=sent, p=p
    )


@given(params(), bases, counts, counts, st.integers(1, 1000))
def test_more_clean_volume_never_lowers_the_cap(
    p: rules.ReputationParams, base: int, bad: int, sent: int, more: int
) -> None:
    assert rules.shrunk_cap(base, bad=bad, sent=sent + more, p=p) >= rules.shrunk_cap(
        base, bad=bad, sent=sent, p=p
    )


@given(bases, counts)
def test_one_report_on_a_new_or_any_account_does_not_shrink_its_cap(base: int, sent: int) -> None:
    assert rules.shrunk_cap(base, bad=1, sent=sent, p=DEFAULT) == base
    assert rules.shrunk_cap(base, bad=0, sent=0, p=DEFAULT) == base


@given(params(), st.integers(1, 1000), st.integers(0, 10**9))
def test_volume_cannot_hide_many_reports(p: rules.ReputationParams, base: int, sent: int) -> None:
    """Past bad >= stop × (V + a + b) − a the cap is 0 whatever the volume: the
    denominator stops growing at V."""
    threshold = p.stop_rate * (p.volume_cap + p.prior_bad + p.prior_good) - p.prior_bad
    bad = max(0, int(threshold) + 1)
    assert rules.shrunk_cap(base, bad=bad, sent=sent, p=p) == 0


def test_the_default_curve_at_a_few_points() -> None:
    """Pinned so a change of the defaults is a visible decision (README table)."""
    cap = lambda bad, sent: rules.shrunk_cap(20, bad=bad, sent=sent, p=DEFAULT)  # noqa: E731
    assert cap(0, 0) == 20
    assert cap(1, 0) == 20  # (1+1)/50 = 4 %
    assert cap(2, 0) == 19  # 3/50 = 6 %: multiplier (30 − 6)/25 = 0.96
    assert cap(3, 10) == 18  # 4/60 = 6.7 %: 0.93
    assert cap(10, 20) == 11  # 11/70 = 15.7 %: 0.57
    assert cap(30, 600) == 14  # volume counts up to 200: 31/250 = 12.4 %: 0.70
    assert cap(74, 10**6) == 0  # 75/250 = 30 %: stopped, whatever the volume


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    st.times(),
    st.times(),
    st.sampled_from(["Asia/Shanghai", "UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]),
)
def test_quiet_hours_end_after_now_and_within_a_day(
    now: datetime, start: time, end: time, zone: str
) -> None:
    start, end = start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0)
    until = rules.quiet_until(now, start=start, end=end, zone=ZoneInfo(zone))
    if start == end:
        assert until is None
    if until is not None:
        assert now < until <= now + timedelta(hours=25)  # 25: a DST day


@given(st.integers(0, 23), st.integers(0, 59))
def test_22_to_08_is_quiet_exactly_at_night(hour: int, minute: int) -> None:
    zone = ZoneInfo("Asia/Shanghai")
    local = datetime(2026, 3, 1, hour, minute, tzinfo=zone)
    until = rules.quiet_until(local.astimezone(UTC), start=time(22), end=time(8), zone=zone)
    quiet = hour >= 22 or hour < 8
    assert (until is not None) == quiet
    if until is not None:
        assert until.astimezone(zone).time() == time(8)


def test_parse_hhmm_refuses_what_is_not_a_time() -> None:
    assert rules.parse_hhmm("07:30") == time(7, 30)
    for bad in ("24:00", "7:30", "07:60", "ab:cd", "0730"):
        with pytest.raises(ValueError, match="HH:MM"):
            rules.parse_hhmm(bad)


@given(st.ip_addresses())
def test_an_ip_prefix_is_a_network_containing_the_address(address: object) -> None:
    import ipaddress

    prefix = rules.ip_prefix(str(address))
    assert prefix is not None
    network = ipaddress.ip_network(prefix)
    assert ipaddress.ip_address(str(address)) in network
    assume(network.version == 4)
    assert network.prefixlen == 24


def test_the_api_and_the_settings_offer_exactly_the_accept_from_choices() -> None:
    assert list(get_args(schemas.AcceptFrom)) == [choice.value for choice in rules.AcceptFrom]
    for choice in rules.AcceptFrom:
        assert InviteSettings(default_accept_from=choice.value).default_accept_from == choice
    with pytest.raises(ValidationError, match="default_accept_from"):
        InviteSettings(default_accept_from="friends")
