"""FRAUDAR-class dense-block search (Hooi et al., KDD 2016), written from the paper.

The suspiciousness of a node set S of a bipartite graph is g(S) = f(S) / |S|, where
f(S) sums the weights of the edges inside S. Greedy peeling removes, one at a time, the
node whose removal costs f the least (its priority = the weight of its remaining edges)
and returns the prefix with the best g; the paper proves this is within a factor 2 of
the optimum. A priority queue makes each removal O(log |V|) per touched edge, so a peel
is O(|E| log |V|).

Camouflage resistance comes from the column weights: an edge into a target of degree d
weighs 1 / log(d + c). Fraudsters can add any edges they like from their own accounts
to popular targets to look normal, but those edges weigh little, so they do not hide the
block; and a block's own targets, rarely touched by anyone else, keep heavy edges.

`find_blocks` peels, removes the block's inner edges, and peels again, so several rings
in one graph are each found.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from huzhu.risk.graph.edges import FloatArray, IntArray

# The paper's constant: log(d + 5) keeps weights finite and below 1/log(5) for d = 0.
LOG_OFFSET = 5.0


@dataclass(frozen=True)
class DenseBlock:
    users: IntArray
    items: IntArray
    density: float  # g of the block: weighted inner edges per node
    background: float  # g of the whole graph the block was peeled from
    edges: int  # unweighted inner edges

    @property
    def lift(self) -> float:
        """How many times denser than the background the block is."""
        return self.density / self.background if self.background > 0 else float("inf")


def column_weights(matrix: sp.csr_matrix, *, offset: float = LOG_OFFSET) -> FloatArray:
    degree = np.asarray(matrix.sum(axis=0)).ravel()
    return 1.0 / np.log(degree + offset)


# Priorities are kept as integers in units of 2**-FIXED_BITS: sums stay exact (no float
# drift over a million decrements), and a heap key can pack (priority, node) into one int,
# which heapq compares several times faster than a tuple.
FIXED_BITS = 24
NODE_BITS = 32


# A block is worth peeling only where the graph has a part at least this many times
# denser than itself (estimated by the batch peel): a random or evenly honest graph has
# none (about 1.0-1.3 on our synthetic background), rings and real dense cores have
# (1.7 and above on the synthetic rings, 2.4-6.7 on YelpChi's cores).
MIN_LIFT = 1.5


def peel(matrix: sp.csr_matrix, weights: FloatArray, *, min_lift: float = 0.0) -> DenseBlock | None:
    """One greedy peel of `matrix` (users x items, binary) with per-column `weights`;
    None when the batch estimate finds no part `min_lift` times denser than the graph.

    The heap greedy runs on the L-core of the graph (nodes whose priority stays >= L
    once every node below L is gone), with L the best density of a fast batch peel.
    Every node of the optimal block S* has priority >= g(S*) inside it (else dropping
    it would raise g), and L <= g(S*), so S* lies in the L-core and the paper's factor-2
    guarantee holds; the core is usually a small part of a large sparse graph."""
    coo = matrix.tocoo()
    eu, ei = coo.row.astype(np.int64), coo.col.astype(np.int64)
    ew = weights[ei]
    n_users, n_items = matrix.shape
    users_all = np.bincount(eu, minlength=n_users) > 0
    items_all = np.bincount(ei, minlength=n_items) > 0
    nodes = int(users_all.sum() + items_all.sum())
    background = float(ew.sum()) / nodes if nodes else 0.0
    floor = _batch_lower_bound(eu, ei, ew, n_users, n_items)
    if floor < min_lift * background:
        return None
    in_users, in_items = _core(eu, ei, ew, n_users, n_items, floor)
    keep = in_users[eu] & in_items[ei]
    # Relabel the core compactly: the greedy's Python lists then hold only core nodes.
    user_ids = np.flatnonzero(in_users)
    item_ids = np.flatnonzero(in_items)
    user_new = np.cumsum(in_users) - 1
    item_new = np.cumsum(in_items) - 1
    core = sp.csr_matrix(
        (np.ones(int(keep.sum())), (user_new[eu[keep]], item_new[ei[keep]])),
        shape=(user_ids.size, item_ids.size),
        dtype=np.float64,
    )
    users, items, density, inner = _greedy(core, weights[item_ids])
    return DenseBlock(
        users=user_ids[users],
        items=item_ids[items],
        density=density,
        background=background,
        edges=inner,
    )


def _priorities(
    eu: IntArray, ei: IntArray, ew: FloatArray, live: np.ndarray, n_users: int, n_items: int
) -> tuple[FloatArray, FloatArray]:
    w = ew * live
    users: FloatArray = np.bincount(eu, weights=w, minlength=n_users).astype(np.float64)
    items: FloatArray = np.bincount(ei, weights=w, minlength=n_items).astype(np.float64)
    return users, items


def _batch_lower_bound(
    eu: IntArray, ei: IntArray, ew: FloatArray, n_users: int, n_items: int, eps: float = 0.05
) -> float:
    """Best density seen while removing, each round, every node whose priority is at most
    (1 + eps) times the average (Bahmani, Kumar & Vassilvitskii, VLDB 2012): a real
    set's density, hence <= the optimum, in O(log |V| / eps) vectorised rounds."""
    user_on = np.bincount(eu, minlength=n_users) > 0
    item_on = np.bincount(ei, minlength=n_items) > 0
    best = 0.0
    while True:
        live = user_on[eu] & item_on[ei]
        nodes = int(user_on.sum() + item_on.sum())
        if not live.any() or nodes == 0:
            return best
        up, ip = _priorities(eu, ei, ew, live, n_users, n_items)
        f = float(ew[live].sum())
        best = max(best, f / nodes)
        cut = (1.0 + eps) * 2.0 * f / nodes  # priorities sum to 2f
        user_on &= up > cut
        item_on &= ip > cut


def _core(
    eu: IntArray, ei: IntArray, ew: FloatArray, n_users: int, n_items: int, floor: float
) -> tuple[np.ndarray, np.ndarray]:
    user_on = np.bincount(eu, minlength=n_users) > 0
    item_on = np.bincount(ei, minlength=n_items) > 0
    # A float sum may land a hair under the floor; the margin keeps ties in the core.
    floor *= 1.0 - 1e-9
    for _ in range(1_000):
        live = user_on[eu] & item_on[ei]
        up, ip = _priorities(eu, ei, ew, live, n_users, n_items)
        drop_u = user_on & (up < floor)
        drop_i = item_on & (ip < floor)
        if not drop_u.any() and not drop_i.any():
            break
        user_on &= ~drop_u
        item_on &= ~drop_i
    return user_on, item_on


def _greedy(matrix: sp.csr_matrix, weights: FloatArray) -> tuple[IntArray, IntArray, float, int]:
    """The paper's greedy with a priority queue: (users, items, best g, inner edges)."""
    n_users, n_items = matrix.shape
    if n_users + n_items >= 1 << NODE_BITS:
        raise ValueError("graph too large for packed heap keys")
    rows = sp.csr_matrix(matrix, dtype=np.float64)
    rows.eliminate_zeros()
    cols = rows.tocsc()
    user_active = np.diff(rows.indptr) > 0
    item_active = np.diff(cols.indptr) > 0
    fixed = np.round(weights * (1 << FIXED_BITS)).astype(np.int64)
    # Node ids: users 0..n_users-1, items n_users..; isolated nodes never enter, because
    # removing a node of priority 0 always raises g, so no best prefix would keep one.
    user_priority = np.bincount(
        np.repeat(np.arange(n_users), np.diff(rows.indptr)),
        weights=fixed[rows.indices],
        minlength=n_users,
    ).astype(np.int64)
    item_priority = np.diff(cols.indptr).astype(np.int64) * fixed
    priority: list[int] = np.concatenate([user_priority, item_priority]).tolist()
    alive = np.concatenate([user_active, item_active]).tolist()
    size = int(np.count_nonzero(user_active) + np.count_nonzero(item_active))
    total = int(user_priority.sum())
    background = total / size if size else 0.0

    # Plain lists: the inner loop runs once per edge, and list indexing is several times
    # faster than numpy scalar access.
    row_ptr: list[int] = rows.indptr.tolist()
    row_idx: list[int] = rows.indices.tolist()
    col_ptr: list[int] = cols.indptr.tolist()
    col_idx: list[int] = cols.indices.tolist()
    w: list[int] = fixed.tolist()

    shift = NODE_BITS
    mask = (1 << NODE_BITS) - 1
    heap = [(priority[v] << shift) | v for v in range(n_users + n_items) if alive[v]]
    heapq.heapify(heap)
    push, pop = heapq.heappush, heapq.heappop
    best, best_removed, removed = background, 0, 0
    order: list[int] = []
    while heap:
        key = pop(heap)
        v = key & mask
        p = key >> shift
        if not alive[v] or p != priority[v]:
            continue  # a stale entry: v was removed or its priority dropped since
        alive[v] = False
        total -= p
        size -= 1
        removed += 1
        order.append(v)
        if v < n_users:
            for j in row_idx[row_ptr[v] : row_ptr[v + 1]]:
                node = n_users + j
                if alive[node]:
                    left = priority[node] - w[j]
                    priority[node] = left
                    push(heap, (left << shift) | node)
        else:
            j = v - n_users
            wj = w[j]
            for u in col_idx[col_ptr[j] : col_ptr[j + 1]]:
                if alive[u]:
                    left = priority[u] - wj
                    priority[u] = left
                    push(heap, (left << shift) | u)
        if size > 0 and total > best * size:
            best, best_removed = total / size, removed
    kept = np.concatenate([user_active, item_active])
    kept[np.asarray(order[:best_removed], dtype=np.int64)] = False
    users = np.flatnonzero(kept[:n_users]).astype(np.int64)
    items = np.flatnonzero(kept[n_users:]).astype(np.int64)
    inner = int(rows[users][:, items].nnz) if users.size and items.size else 0
    return users, items, best / float(1 << FIXED_BITS), inner


def find_blocks(
    matrix: sp.csr_matrix,
    *,
    blocks: int = 5,
    min_users: int = 3,
    min_lift: float = MIN_LIFT,
    offset: float = LOG_OFFSET,
) -> list[DenseBlock]:
    """Up to `blocks` dense blocks, best first; each peel runs on what the earlier
    blocks left (their inner edges removed). Weights stay those of the whole graph, so a
    target's popularity is judged once, against everyone. Stops early when what is left
    has no part `min_lift` times denser than itself: peeling an even background costs
    the most and finds nothing."""
    weights = column_weights(matrix, offset=offset)
    current = sp.csr_matrix(matrix, dtype=np.float64)
    found: list[DenseBlock] = []
    for _ in range(blocks):
        if current.nnz == 0:
            break
        block = peel(current, weights, min_lift=min_lift)
        if block is None or block.users.size < min_users or block.edges == 0:
            break
        found.append(block)
        current = _without_block(current, block)
    return found


def _without_block(matrix: sp.csr_matrix, block: DenseBlock) -> sp.csr_matrix:
    coo = matrix.tocoo()
    in_users = np.zeros(matrix.shape[0], dtype=bool)
    in_items = np.zeros(matrix.shape[1], dtype=bool)
    in_users[block.users] = True
    in_items[block.items] = True
    keep = ~(in_users[coo.row] & in_items[coo.col])
    out = sp.csr_matrix(
        (coo.data[keep], (coo.row[keep], coo.col[keep])), shape=matrix.shape, dtype=np.float64
    )
    out.sort_indices()
    return out


def block_scores(n_users: int, found: list[DenseBlock]) -> tuple[FloatArray, IntArray]:
    """Per user: the lift of the densest block holding them (0 outside every block), and
    that block's index (-1 outside)."""
    score = np.zeros(n_users, dtype=np.float64)
    which = np.full(n_users, -1, dtype=np.int64)
    for index, block in enumerate(found):
        better = block.lift > score[block.users]
        chosen = block.users[better]
        score[chosen] = block.lift
        which[chosen] = index
    return score, which
