"""FRAUDAR-class peeling: finds a planted dense block, returns what it claims, and
reports no dense block in a random graph of the same density."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

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
