"""Target-set similarity finds a ring too slow for any window, and nothing in a random
graph of the same density."""

from __future__ import annotations

from huzhu.risk.graph.similar import find_similar
from tests.risk.graph.graphs import same_density_random, with_ring


def test_slow_ring_is_found_by_its_shared_targets() -> None:
    graph, ring = with_ring(21, spread_seconds=25 * 86_400)
    groups = find_similar(graph)
    assert len(groups) == 1
    assert set(groups[0].users.tolist()) == set(ring.tolist())
    assert groups[0].starts is None


def test_random_graph_of_the_same_density_has_no_similar_group() -> None:
    graph, _ = with_ring(22)
    assert find_similar(same_density_random(graph, 22)) == []
