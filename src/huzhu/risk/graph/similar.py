"""Target-set similarity: rings too slow for any time window.

A ring that works its list over months escapes lockstep windows, but its members still
act on nearly the same targets, which honest accounts — even heavy ones — rarely do:
two enthusiasts share the popular places, not each other's whole list.

Finding all similar pairs exactly is quadratic on popular targets. MinHash (Broder 1997)
makes it near-linear: under a random permutation of targets, two accounts have the same
smallest target with probability equal to the Jaccard similarity of their sets; a *band*
of r such minima agrees with probability J^r, so with b bands, pairs above about
(1/b)^(1/r) similarity share some band while dissimilar pairs almost never do. Each
band's buckets of agreeing accounts are seeds for `evidence.refine`, and the null model
judges what comes out. Cost: O(b * r * |E|) for the signatures plus the refinements.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from huzhu.risk.graph.edges import EdgeSet, IntArray
from huzhu.risk.graph.evidence import Group, Slots, degree_histogram, judge, refine

Progress = Callable[[int, int], None]


def target_slots(edges: EdgeSet) -> Slots:
    share = edges.item_degree / float(max(1, edges.n_edges))
    return Slots.of(
        edges.matrix,
        item=np.arange(edges.n_items, dtype=np.int64),
        start=None,
        share=share,
        total=float(edges.n_edges),
    )


def minhash_signatures(
    matrix: sp.csr_matrix, users: IntArray, *, hashes: int, seed: int
) -> np.ndarray:
    """hashes x len(users) matrix of minima of random target permutations."""
    rng = np.random.default_rng(seed)
    sub = matrix[users]
    starts = sub.indptr[:-1]
    out = np.empty((hashes, users.size), dtype=np.int32)
    for h in range(hashes):
        rank = rng.permutation(matrix.shape[1]).astype(np.int32)
        out[h] = np.minimum.reduceat(rank[sub.indices], starts)
    return out


def find_similar(
    edges: EdgeSet,
    *,
    min_users: int = 5,
    min_targets: int = 4,
    rho: float = 0.6,
    bands: int = 16,
    rows: int = 3,
    seed: int = 0,
    min_significance: float = 6.0,
    progress: Progress | None = None,
) -> list[Group]:
    slots = target_slots(edges)
    candidates = np.flatnonzero(edges.user_degree >= min_targets).astype(np.int64)
    if candidates.size < min_users:
        return []
    sig = minhash_signatures(edges.matrix, candidates, hashes=bands * rows, seed=seed)
    seeds: list[IntArray] = []
    for b in range(bands):
        block = sig[b * rows : (b + 1) * rows]
        # Rows are ranks < n_items, so mixing them with a large odd multiplier keeps
        # distinct bands distinct in practice; a rare collision only costs a failed seed.
        key = np.zeros(candidates.size, dtype=np.uint64)
        for r in range(rows):
            key = key * np.uint64(0x9E3779B97F4A7C15) + block[r].astype(np.uint64)
        order = np.argsort(key, kind="stable")
        key = key[order]
        cut = np.flatnonzero(np.diff(key)) + 1
        for bucket in np.split(order, cut):
            if bucket.size >= 3:
                seeds.append(candidates[bucket])
    # Big buckets first: they are the likeliest rings, and their members are then
    # skipped as seeds of their own.
    seeds.sort(key=lambda s: -s.size)
    values, counts = degree_histogram(edges.user_degree)
    assigned = np.zeros(edges.n_users, dtype=bool)
    seen: set[bytes] = set()
    groups: list[Group] = []
    for done, members in enumerate(seeds):
        if progress is not None and done % 256 == 0:
            progress(done, len(seeds))
        members = members[~assigned[members]]
        if members.size < 3:
            continue
        found = refine(slots, members, rho=rho, min_users=min_users, min_targets=min_targets)
        if found is None:
            continue
        users, chosen = found
        fingerprint = chosen.tobytes()
        if fingerprint in seen:
            continue  # the same target set judged already (a popular core, typically)
        seen.add(fingerprint)
        users = users[~assigned[users]]
        if users.size < min_users:
            continue
        group = judge(
            slots,
            users,
            chosen,
            detector="similar",
            rho=rho,
            degree_values=values,
            degree_counts=counts,
            window_seconds=None,
        )
        if group.significance >= min_significance:
            assigned[users] = True
            groups.append(group)
    if progress is not None:
        progress(len(seeds), len(seeds))
    groups.sort(key=lambda g: -g.significance)
    return groups
