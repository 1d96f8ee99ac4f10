"""CopyCatch-class lockstep search (Beutel et al., WWW 2013), written from the paper.

CopyCatch looks for a set of accounts U and targets P, each target with its own time
t_p, such that every account in U acted on at least rho * |P| of P within dt of t_p,
with |U| >= n and |P| >= m. Honest people who like the same things rarely do it in the
same hour again and again; a ring working a list of targets does.

The paper searches from seeds with a local update that moves each t_p to where the
members' acts are. Here the times are snapped to a grid instead, which makes the search
near-linear: every edge falls into a *burst* (target, window of width dt) on each of two
grids offset by dt/2, so any two acts on a target less than dt/2 apart share a burst.
Bursts with fewer than rho * n accounts are dropped: a target that few of the members
work adds little evidence, and keeping them would let chance pairs seed searches (a
ring is still found from the targets most of it works). Seeds are bursts holding rho * n
accounts that each sit in bursts of at least m distinct targets; from each seed
`evidence.refine` alternates between the best window per target and the accounts that
keep pace, exactly CopyCatch's alternating step on the snapped times. Each edge lands in
two bursts and each seed touches only its accounts' bursts, so the work is
O(|E| log |E|) for the sort plus the size of the seeds' neighbourhoods.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from huzhu.risk.graph.edges import EdgeSet, IntArray
from huzhu.risk.graph.evidence import Group, Slots, degree_histogram, judge, refine

Progress = Callable[[int, int], None]


def burst_slots(edges: EdgeSet, *, window_seconds: int, min_users: int) -> Slots:
    """Users x bursts incidence for bursts of at least `min_users` accounts."""
    if edges.time is None:
        raise ValueError("lockstep needs times")
    half = max(1, window_seconds // 2)
    keys_item: list[IntArray] = []
    keys_start: list[IntArray] = []
    keys_user: list[IntArray] = []
    for offset in (0, half):
        window = np.floor_divide(edges.time + offset, window_seconds)
        keys_item.append(edges.item)
        keys_start.append(window * window_seconds - offset)
        keys_user.append(edges.user)
    item = np.concatenate(keys_item)
    start = np.concatenate(keys_start)
    user = np.concatenate(keys_user)
    # Identify bursts by (item, start) without a Python loop: sort and cut at changes.
    order = np.lexsort((start, item))
    item, start, user = item[order], start[order], user[order]
    new = np.ones(item.size, dtype=bool)
    new[1:] = (item[1:] != item[:-1]) | (start[1:] != start[:-1])
    burst = np.cumsum(new) - 1
    sizes = np.bincount(burst)
    keep_burst = sizes >= min_users
    remap = np.full(sizes.size, -1, dtype=np.int64)
    remap[keep_burst] = np.arange(int(keep_burst.sum()))
    slot = remap[burst]
    kept = slot >= 0
    n_slots = int(keep_burst.sum())
    incidence = sp.csr_matrix(
        (np.ones(int(kept.sum())), (user[kept], slot[kept])),
        shape=(edges.n_users, n_slots),
    )
    first = np.flatnonzero(new)
    slot_item = item[first][keep_burst]
    slot_start = start[first][keep_burst]
    share = sizes[keep_burst] / float(max(1, edges.n_edges))
    return Slots.of(
        incidence, item=slot_item, start=slot_start, share=share, total=float(edges.n_edges)
    )


def find_lockstep(
    edges: EdgeSet,
    *,
    window_seconds: int,
    min_users: int = 5,
    min_targets: int = 4,
    rho: float = 0.6,
    min_significance: float = 6.0,
    progress: Progress | None = None,
) -> list[Group]:
    """Lockstep groups the null model finds significant; best first."""
    # A group's target need not be worked by all n members; rho * n of them suffice.
    smallest = max(2, math.ceil(rho * min_users))
    slots = burst_slots(edges, window_seconds=window_seconds, min_users=smallest)
    inc = slots.incidence
    if inc.nnz == 0:
        return []
    # Accounts in bursts of at least m distinct targets can be members.
    user_of = np.repeat(np.arange(inc.shape[0]), np.diff(inc.indptr))
    pairs = np.unique(user_of * np.int64(edges.n_items + 1) + slots.item[inc.indices])
    distinct_targets = np.bincount(pairs // (edges.n_items + 1), minlength=inc.shape[0])
    eligible = distinct_targets >= min_targets
    by_slot = slots.by_slot
    slot_of = np.repeat(np.arange(by_slot.shape[0]), np.diff(by_slot.indptr))
    eligible_count = np.bincount(
        slot_of, weights=eligible[by_slot.indices], minlength=by_slot.shape[0]
    )
    seeds = np.flatnonzero(eligible_count >= smallest)
    seeds = seeds[np.argsort(-eligible_count[seeds], kind="stable")]
    values, counts = degree_histogram(edges.user_degree)
    assigned = np.zeros(inc.shape[0], dtype=bool)
    used = np.zeros(by_slot.shape[0], dtype=bool)
    groups: list[Group] = []
    for done, seed in enumerate(seeds.tolist()):
        if progress is not None and done % 256 == 0:
            progress(done, int(seeds.size))
        if used[seed]:
            continue
        used[seed] = True
        members = by_slot.indices[by_slot.indptr[seed] : by_slot.indptr[seed + 1]]
        members = members[eligible[members] & ~assigned[members]].astype(np.int64)
        found = refine(slots, members, rho=rho, min_users=min_users, min_targets=min_targets)
        if found is None:
            continue
        users, chosen = found
        users = users[~assigned[users]]
        if users.size < min_users:
            continue
        used[chosen] = True
        group = judge(
            slots,
            users,
            chosen,
            detector="lockstep",
            rho=rho,
            degree_values=values,
            degree_counts=counts,
            window_seconds=window_seconds,
        )
        if group.significance >= min_significance:
            assigned[users] = True
            groups.append(group)
    if progress is not None:
        progress(int(seeds.size), int(seeds.size))
    groups.sort(key=lambda g: -g.significance)
    return groups
