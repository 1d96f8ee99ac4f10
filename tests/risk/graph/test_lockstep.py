"""CopyCatch-class lockstep: a ring acting together within minutes is found; the same
ring spread over weeks, and a random graph of the same density, are not flagged."""

from __future__ import annotations

from huzhu.risk.graph.lockstep import find_lockstep
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
