"""CopyCatch-class lockstep: a ring acting together within minutes is found; the same
ring spread over weeks, and a random graph of the same density, are not flagged."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from huzhu.risk.graph.edges import EdgeSet
from huzhu.risk.graph.lockstep import burst_slots, find_lockstep
from tests.risk.graph.graphs import same_density_random, with_ring


def test_ring_acting_within_minutes_is_found() -> None:
    graph, ring = with_ring(11)
    groups = find_lockstep(graph, window_seconds=3_600)
    assert len(groups) == 1
    assert set(groups[0].users.tolist()) == set(ring.tolist())
    assert groups[0].items.size >= 6
    assert groups[0].significance > 20
    assert groups[0].window_seconds == 3_600


def test_ring_spread_over_weeks_is_not_lockstep() -> None:
    graph, _ = with_ring(12, spread_seconds=25 * 86_400)
    assert find_lockstep(graph, window_seconds=3_600) == []


def test_random_graph_of_the_same_density_has_no_lockstep_group() -> None:
    graph, _ = with_ring(13)
    assert find_lockstep(same_density_random(graph, 13), window_seconds=3_600) == []
    # Even with day-long windows, where honest acts crowd together far more.
    assert find_lockstep(same_density_random(graph, 14), window_seconds=86_400) == []


@given(
    st.integers(0, 10**9),
    st.integers(0, 1_799),
    st.sampled_from([600, 3_600, 86_400]),
)
def test_two_acts_closer_than_half_a_window_always_share_a_burst(
    t: int, gap: int, window: int
) -> None:
    gap = gap % (window // 2)
    edges = EdgeSet.build(
        user=np.array([0, 1]),
        item=np.array([0, 0]),
        time=np.array([t, t + gap]),
        user_labels=["a", "b"],
        item_labels=["x"],
    )
    slots = burst_slots(edges, window_seconds=window, min_users=2)
    assert slots.incidence.shape[1] >= 1
    assert (slots.incidence.toarray() == 1).all()
