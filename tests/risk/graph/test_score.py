"""The combined score flags ring members with reasons and leaves honest accounts at 0."""

from __future__ import annotations

import numpy as np

from huzhu.risk.graph.score import DetectConfig, auto_window, score_accounts
from tests.risk.graph.graphs import same_density_random, with_ring


def test_ring_members_are_flagged_with_their_evidence() -> None:
    graph, ring = with_ring(31)
    result = score_accounts(graph)
    assert result.window_seconds == 3_600
    assert set(np.flatnonzero(result.flagged).tolist()) == set(ring.tolist())
    honest = np.setdiff1d(np.arange(graph.n_users), ring)
    assert result.score[ring].min() >= 6.0
    # Honest accounts that happen to share a few of the ring's targets rank next, below
    # the flag, and say so; the rest score 0.
    assert result.score[honest].max() < 6.0
    near = honest[result.score[honest] > 0]
    assert near.size < 0.05 * honest.size
    assert all("not claimed" in result.reason[int(u)] for u in near)
    assert (result.score[honest] == 0).sum() > 0.9 * honest.size
    reason = result.reason[int(ring[0])]
    assert "lockstep group 1" in reason
    assert "1h windows" in reason
    assert "x background" in reason


def test_slow_ring_is_flagged_by_similarity_without_times() -> None:
    graph, ring = with_ring(32, spread_seconds=25 * 86_400, timed=False)
    result = score_accounts(graph)
    assert result.window_seconds is None
    flagged = set(np.flatnonzero(result.flagged).tolist())
    # Every flag is a ring member; a member who joined under 60% of the ring's work
    # (here one of twelve) falls below CopyCatch's rho and is not claimed.
    assert flagged <= set(ring.tolist())
    assert len(flagged) >= ring.size - 1
    assert result.reason[int(ring[0])].startswith("similar group 1")


def test_nothing_is_flagged_in_a_random_graph() -> None:
    graph, _ = with_ring(33)
    result = score_accounts(same_density_random(graph, 33), DetectConfig())
    assert not result.flagged.any()


def test_window_follows_the_time_resolution() -> None:
    assert auto_window(None) is None
    assert auto_window(np.array([86_400 * 3, 86_400 * 9])) == 2 * 86_400
    assert auto_window(np.array([86_400 * 3, 86_400 * 9 + 5])) == 3_600
