"""One null model that judges every proposed group, whichever search proposed it.

A group is a set of accounts U and a set of *slots* P: targets (for target-set
similarity and dense blocks) or (target, time window) pairs (for lockstep). Each member
covers at least k = ceil(rho * |P|) of the slots.

Null model: an account of degree d lands each of its d acts on a slot with probability
equal to that slot's share of all edges (a popular target, or a busy hour of it, is
easy to hit by chance). Its hits on P are then about Poisson(d * share(P)), so the
number of accounts of the whole graph expected to cover k of P by chance is

    expected = sum over accounts a of P(Poisson(d_a * share(P)) >= k)

and the group's significance is -log10 P(Poisson(expected) >= |U|). An enthusiast core
on popular targets has a large share(P) and many heavy accounts, so its expected count
is high and it scores low; a ring on its own targets, or in its own minutes, does not.

`refine` is the alternating verification CopyCatch uses (keep the slots most members
hit, keep the accounts that hit most of those slots, repeat), shared by all searches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy import stats

from huzhu.risk.graph.edges import IntArray

LN10 = math.log(10.0)
# A group whose chance count of members is below this is as sure as we care to say;
# capping keeps scores finite and comparable across runs.
MAX_SIGNIFICANCE = 300.0


@dataclass(frozen=True)
class Slots:
    """A users x slots incidence matrix and what each slot is."""

    incidence: sp.csr_matrix  # users x slots, binary
    by_slot: sp.csr_matrix  # slots x users, binary (the transpose, row-sliceable)
    item: IntArray  # target of each slot
    start: IntArray | None  # window start (unix seconds) of each slot, None if time-free
    share: np.ndarray  # each slot's share of all edges, for the null model
    total: float  # all edges of the graph (share * total = acts in the slot)

    @classmethod
    def of(
        cls,
        incidence: sp.csr_matrix,
        *,
        item: IntArray,
        start: IntArray | None,
        share: np.ndarray,
        total: float,
    ) -> Slots:
        incidence = sp.csr_matrix(incidence, dtype=np.float64)
        incidence.sort_indices()
        by_slot = incidence.T.tocsr()
        by_slot.sort_indices()
        return cls(
            incidence=incidence, by_slot=by_slot, item=item, start=start, share=share, total=total
        )


@dataclass(frozen=True)
class Group:
    detector: str  # "lockstep", "similar" or "fraudar"
    users: IntArray
    slots: IntArray  # indices into the proposing search's Slots
    items: IntArray  # target of each slot
    starts: IntArray | None  # window start of each slot (lockstep only)
    window_seconds: int | None
    needed: int  # k: slots each member covers at least
    coverage: np.ndarray  # per member: fraction of the group's slots covered
    expected: float  # members expected by chance (null model)
    significance: float  # -log10 P(at least |users| members by chance)
    lift: float  # edge density of users x slots against the whole graph's
    # Accounts outside the group that share at least two of its slots (its windows, for
    # lockstep): partial members or lookalikes, for an analyst to look at next.
    associates: IntArray
    associate_coverage: np.ndarray

    @property
    def size(self) -> int:
        return int(self.users.size)


def row_entries(matrix: sp.csr_matrix, rows: IntArray) -> IntArray:
    """Column indices of the given CSR rows, concatenated. Slicing a scipy matrix costs
    tens of microseconds of checks; the searches do it thousands of times."""
    starts = matrix.indptr[rows]
    lengths = matrix.indptr[rows + 1] - starts
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    # Position k of the output reads indices[starts[row of k] + offset of k in its row].
    offsets = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    out: IntArray = matrix.indices[np.repeat(starts, lengths) + offsets].astype(np.int64)
    return out


def refine(
    slots: Slots,
    seed_users: IntArray,
    *,
    rho: float,
    min_users: int,
    min_targets: int,
    max_rounds: int = 8,
) -> tuple[IntArray, IntArray] | None:
    """Alternate: slots hit by >= rho of the accounts (the best window per target),
    then accounts hitting >= rho of those slots (drawn from everyone in them, so a
    member the proposer missed joins). Returns (users, slots) or None if it falls
    below `min_users` x `min_targets`."""
    users = np.unique(seed_users)
    chosen = np.empty(0, dtype=np.int64)
    for round_ in range(max_rounds):
        # A seed may be smaller than a group (a few accounts that hashed together);
        # it only has to agree on slots, and the growth step below finds the rest.
        if users.size < (2 if round_ == 0 else min_users):
            return None
        slot_ids, counts = np.unique(row_entries(slots.incidence, users), return_counts=True)
        enough = counts >= max(2, math.ceil(rho * users.size))
        slot_ids, counts = slot_ids[enough], counts[enough]
        if slot_ids.size == 0:
            return None
        # One slot per target: the window most members share (time-free slots are
        # targets already, so this keeps them all).
        order = np.lexsort((-counts, slots.item[slot_ids]))
        slot_ids = slot_ids[order]
        items = slots.item[slot_ids]
        first = np.ones(slot_ids.size, dtype=bool)
        first[1:] = items[1:] != items[:-1]
        chosen = np.sort(slot_ids[first])
        if chosen.size < min_targets:
            return None
        candidates, hits = np.unique(row_entries(slots.by_slot, chosen), return_counts=True)
        needed = member_threshold(rho, chosen.size)
        new_users = candidates[hits >= needed].astype(np.int64)
        if np.array_equal(new_users, users):
            break
        users = new_users
    if users.size < min_users or chosen.size < min_targets:
        return None
    return users, chosen


def judge(
    slots: Slots,
    users: IntArray,
    chosen: IntArray,
    *,
    detector: str,
    rho: float,
    degree_values: IntArray,
    degree_counts: IntArray,
    window_seconds: int | None,
) -> Group:
    """Score a refined group against the null model (see the module docstring).

    `degree_values`/`degree_counts` are the distinct account degrees of the whole graph
    and how many accounts have each, so the expected count costs O(distinct degrees)."""
    needed = member_threshold(rho, chosen.size)
    sub = slots.incidence[users][:, chosen]
    # The null describes the background *without* the group: a slot the ring made busy
    # is not popular by itself. Its other acts, plus one (Laplace), set its share.
    others = float(slots.share[chosen].sum()) * slots.total - sub.nnz + chosen.size
    share = max(others, float(chosen.size)) / slots.total
    lam = degree_values * share
    expected = float(np.dot(degree_counts, stats.poisson.sf(needed - 1, lam)))
    observed = int(users.size)
    if expected <= 0.0:
        significance = MAX_SIGNIFICANCE
    else:
        log_p = float(stats.poisson.logsf(observed - 1, expected))
        significance = min(MAX_SIGNIFICANCE, -log_p / LN10) if math.isfinite(log_p) else 300.0
    covered = np.asarray(sub.sum(axis=1)).ravel()
    total_edges = float(slots.incidence.nnz)
    n_users, n_slots = slots.incidence.shape
    background = total_edges / (float(n_users) * float(n_slots)) if n_slots else 0.0
    density = float(sub.nnz) / float(users.size * chosen.size)
    lift = density / background if background > 0 else float("inf")
    near, hits = np.unique(row_entries(slots.by_slot, chosen), return_counts=True)
    outside = (hits >= 2) & ~np.isin(near, users)
    return Group(
        detector=detector,
        users=users,
        slots=chosen,
        items=slots.item[chosen],
        starts=None if slots.start is None else slots.start[chosen],
        window_seconds=window_seconds,
        needed=needed,
        coverage=covered / float(chosen.size),
        expected=expected,
        significance=max(0.0, significance),
        lift=lift,
        associates=near[outside].astype(np.int64),
        associate_coverage=hits[outside] / float(chosen.size),
    )


def member_threshold(rho: float, n_slots: int) -> int:
    """Slots a member must cover: CopyCatch's rho * |P| (never a single one)."""
    return max(2, math.ceil(rho * n_slots))


def degree_histogram(user_degree: IntArray) -> tuple[IntArray, IntArray]:
    values, counts = np.unique(user_degree[user_degree > 0], return_counts=True)
    return values.astype(np.int64), counts.astype(np.int64)
