"""The dashboard's series moments: few, ending now, reaching back to the start."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from huzhu.dashboard import rules

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@given(age=st.integers(min_value=0, max_value=400 * 86_400))
def test_edges_end_now_reach_the_start_and_stay_few(age: int) -> None:
    since = NOW - timedelta(seconds=age)
    edges = rules.edges(since=since, now=NOW)
    assert edges[-1] == NOW
    assert 1 <= len(edges) <= rules.MAX_POINTS
    assert edges == sorted(edges)
    assert len(set(edges)) == len(edges)
    steps = {b - a for a, b in itertools.pairwise(edges)}
    assert len(steps) <= 1  # evenly spaced
    if age <= (rules.MAX_POINTS - 1) * rules.WIDTHS[-1].total_seconds():
        assert edges[0] <= since  # the whole life is drawn


def test_a_campaign_launched_this_instant_has_one_point() -> None:
    assert rules.edges(since=NOW, now=NOW) == [NOW]


def test_shares_and_rates_are_none_with_nothing_to_divide() -> None:
    assert rules.shares([0, 1], [0, 4]) == [None, 0.25]
    assert rules.rates_per_thousand([0, 3], [0, 3]) == [None, 1000.0]
