"""FRAUDAR-class peeling: finds a planted dense block, returns what it claims, and
reports no dense block in a random graph of the same density."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from huzhu.risk.graph import fraudar
from tests.risk.graph.graphs import same_density_random, with_ring


def _g(matrix: sp.csr_matrix, weights: np.ndarray, users: np.ndarray, items: np.ndarray) -> float:
    inner = matrix[users][:, items]
    return float((inner @ weights[items]).sum()) / (users.size + items.size)


def test_planted_block_is_the_first_block() -> None:
    graph, ring = with_ring(1, accounts=30, targets=12, timed=False)
    blocks = fraudar.find_blocks(graph.matrix, blocks=2)
    found = set(blocks[0].users.tolist())
    assert len(found & set(ring.tolist())) >= 0.9 * ring.size
    assert len(found - set(ring.tolist())) <= 0.1 * ring.size
    assert blocks[0].lift > 2


def test_peel_returns_the_density_it_reports_and_beats_the_whole_graph() -> None:
    graph, _ = with_ring(2, users=400, items=60, edges=1_500, timed=False)
    weights = fraudar.column_weights(graph.matrix)
    block = fraudar.peel(graph.matrix, weights)
    assert abs(_g(graph.matrix, weights, block.users, block.items) - block.density) < 1e-6
    everyone = np.arange(graph.n_users)
    assert block.density >= _g(graph.matrix, weights, everyone, np.arange(graph.n_items))


def test_peel_is_exact_greedy_on_a_tiny_graph() -> None:
    # A 3x3 biclique plus a pendant path: the biclique (g = 9w / 6) is the best prefix.
    rows = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 4]
    cols = [0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 3]
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(5, 4))
    block = fraudar.peel(matrix, np.ones(4))
    assert block.users.tolist() == [0, 1, 2]
    assert block.items.tolist() == [0, 1, 2]
    assert block.density == 1.5


def test_random_graph_of_the_same_density_has_no_dense_block() -> None:
    graph, _ = with_ring(3, accounts=30, targets=12, timed=False)
    planted = fraudar.find_blocks(graph.matrix, blocks=1)
    assert planted[0].lift > 2.0
    # No part of a random graph is 1.5 times denser than the graph: no block at all.
    assert fraudar.find_blocks(same_density_random(graph, 3).matrix) == []
    # Asked to peel anyway, the densest part is barely denser than the whole.
    matrix = same_density_random(graph, 3).matrix
    forced = fraudar.peel(matrix, fraudar.column_weights(matrix))
    assert forced is not None
    assert forced.lift < 1.5


@given(
    st.integers(2, 4).flatmap(
        lambda n_users: st.integers(2, 4).flatmap(
            lambda n_items: st.tuples(
                st.just(n_users),
                st.just(n_items),
                st.lists(st.booleans(), min_size=n_users * n_items, max_size=n_users * n_items),
                st.lists(st.floats(0.1, 2.0, allow_nan=False), min_size=n_items, max_size=n_items),
            )
        )
    )
)
@settings(max_examples=150, deadline=None)
def test_peel_keeps_the_papers_factor_two_against_brute_force(
    graph: tuple[int, int, list[bool], list[float]],
) -> None:
    # The core pruning must not cost the guarantee: g(peel) >= g(best subset) / 2.
    n_users, n_items, cells, w = graph
    dense = np.array(cells, dtype=float).reshape(n_users, n_items)
    if dense.sum() == 0:
        return
    matrix = sp.csr_matrix(dense)
    weights = np.array(w)
    block = fraudar.peel(matrix, weights)
    assert block is not None
    assert abs(_g(matrix, weights, block.users, block.items) - block.density) < 1e-6
    best = 0.0
    for mask in range(1, 1 << (n_users + n_items)):
        users = np.array([u for u in range(n_users) if mask >> u & 1], dtype=np.int64)
        items = np.array([i for i in range(n_items) if mask >> (n_users + i) & 1], dtype=np.int64)
        if users.size and items.size:
            best = max(best, _g(matrix, weights, users, items))
    assert block.density >= best / 2 - 1e-6
    assert block.density <= best + 1e-6
