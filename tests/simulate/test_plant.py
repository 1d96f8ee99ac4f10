"""Planting keeps the real background intact, adds exactly the ring, and is seeded."""

from __future__ import annotations

import numpy as np
import pytest

from huzhu.simulate.plant import CASES, Ring, plant, plant_case
from tests.risk.graph.graphs import with_ring


@pytest.fixture(scope="module")
def background():  # type: ignore[no-untyped-def]
    graph, _ = with_ring(51, users=1_500, items=200, edges=6_000)
    return graph


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_case_is_deterministic_and_keeps_the_background(background, case: str) -> None:  # type: ignore[no-untyped-def]
    a = plant_case(background, case, seed=5)
    b = plant_case(background, case, seed=5)
    assert np.array_equal(a.edges.user, b.edges.user)
    assert np.array_equal(a.edges.time, b.edges.time)
    assert np.array_equal(a.positive, b.positive)
    expected = sum(r.accounts for r in CASES[case])
    assert int(a.positive.sum()) == expected
    # Every real edge is still there.
    before = set(zip(background.user.tolist(), background.item.tolist(), strict=True))
    after = set(zip(a.edges.user.tolist(), a.edges.item.tolist(), strict=True))
    assert before <= after


def test_hijacked_members_are_real_accounts_and_new_ones_are_not(background) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(1)
    hijacked = plant(background, [Ring(accounts=10, targets=5, hijack=True)], rng, name="h")
    assert hijacked.edges.n_users == background.n_users
    assert hijacked.positive[: background.n_users].sum() == 10
    fresh = plant(background, [Ring(accounts=10, targets=5)], rng, name="f")
    assert fresh.edges.n_users == background.n_users + 10
    assert fresh.positive[background.n_users :].all()
