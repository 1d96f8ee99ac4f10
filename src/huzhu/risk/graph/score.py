"""One suspicion score per account, with the reasons an analyst can check.

The three searches propose groups; the null model in `evidence` judges each; an
account's score is the significance (-log10 chance) of the strongest group holding it,
plus its coverage of that group's targets (0..1) so that within a group the members who
keep closest pace rank first. A score at or above `min_significance` is a flag: "this
many accounts would not line up like this by chance in a graph like this one". Below
the flag rank the accounts that share two or more of a significant group's slots without
being members (partial members, lookalikes), by the share they cover; everyone else
scores 0.

Plain FRAUDAR blocks are kept as evidence of density against the background, but a
block only counts towards the score after the same refinement and null model, because
on real data the densest block is usually honest heavy users on popular targets.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from huzhu.risk.graph import fraudar
from huzhu.risk.graph.edges import EdgeSet, FloatArray, IntArray
from huzhu.risk.graph.evidence import Group, Slots, degree_histogram, judge, refine
from huzhu.risk.graph.lockstep import find_lockstep
from huzhu.risk.graph.similar import find_similar, target_slots

Progress = Callable[[str, int, int], None]

DAY = 86_400
HOUR = 3_600


@dataclass(frozen=True)
class DetectConfig:
    """Knobs of the batch search. Defaults are the documented ones (risk settings)."""

    window_seconds: int | None = None  # None: a day for date-only data, else an hour
    min_users: int = 5  # CopyCatch's n
    min_targets: int = 4  # CopyCatch's m
    # Without time a group must be bigger: friends who help each other often share four
    # or five instances among five people, seldom eight among ten. Applies to target-set
    # and dense-block groups; lockstep groups have time on their side.
    untimed_min_users: int = 10
    untimed_min_targets: int = 8
    rho: float = 0.6  # share of the group's targets each member must hit
    min_significance: float = 6.0  # -log10 chance; at or above it an account is flagged
    blocks: int = 3  # FRAUDAR peels (each re-peels what the earlier ones left)
    bands: int = 16  # MinHash bands x rows
    rows: int = 3
    seed: int = 0


@dataclass(frozen=True)
class AccountScores:
    edges: EdgeSet
    score: FloatArray  # combined, per account
    reason: list[str]
    groups: list[Group]
    blocks: list[fraudar.DenseBlock]
    fraudar: FloatArray  # plain FRAUDAR: lift of the densest block holding the account
    lockstep: FloatArray  # significance from lockstep groups only
    similar: FloatArray  # significance from target-set groups only
    window_seconds: int | None
    min_significance: float
    seconds: dict[str, float]  # wall time of each search

    @property
    def flagged(self) -> np.ndarray:
        return self.score >= self.min_significance


def auto_window(times: np.ndarray | None) -> int | None:
    """Two days when every time is a midnight (the source has dates only), else an hour.

    With dates only, two acts a few hours apart may carry neighbouring dates; windows of
    two days on grids offset by one day put every such pair in a shared window."""
    if times is None or times.size == 0:
        return None
    return 2 * DAY if bool(np.all(times % DAY == 0)) else HOUR


def score_accounts(
    edges: EdgeSet, config: DetectConfig | None = None, *, progress: Progress | None = None
) -> AccountScores:
    config = config or DetectConfig()
    window = config.window_seconds or auto_window(edges.time)

    def stage(name: str) -> Callable[[int, int], None] | None:
        if progress is None:
            return None
        return lambda done, total: progress(name, done, total)

    groups: list[Group] = []
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    if window is not None and edges.time is not None:
        groups += find_lockstep(
            edges,
            window_seconds=window,
            min_users=config.min_users,
            min_targets=config.min_targets,
            rho=config.rho,
            min_significance=config.min_significance,
            progress=stage("lockstep"),
        )
    seconds["lockstep"], clock = time.perf_counter() - clock, time.perf_counter()
    groups += find_similar(
        edges,
        bands=config.bands,
        rows=config.rows,
        seed=config.seed,
        min_users=config.untimed_min_users,
        min_targets=config.untimed_min_targets,
        rho=config.rho,
        min_significance=config.min_significance,
        progress=stage("similar"),
    )
    seconds["similar"], clock = time.perf_counter() - clock, time.perf_counter()
    if progress is not None:
        progress("fraudar", 0, config.blocks)
    blocks = fraudar.find_blocks(edges.matrix, blocks=config.blocks, min_users=config.min_users)
    groups += _judge_blocks(edges, blocks, config)
    if progress is not None:
        progress("fraudar", config.blocks, config.blocks)
    seconds["fraudar"] = time.perf_counter() - clock
    return _combine(edges, groups, blocks, window, config, seconds)


def _judge_blocks(
    edges: EdgeSet, blocks: list[fraudar.DenseBlock], config: DetectConfig
) -> list[Group]:
    """Refine and judge each block. A block may hold several rings at once (peeling
    keeps every dense part together), so besides the whole block, each of its targets
    seeds a refinement from the block's accounts on it."""
    slots = target_slots(edges)
    values, counts = degree_histogram(edges.user_degree)
    judged: list[Group] = []
    assigned = np.zeros(edges.n_users, dtype=bool)
    seen: set[bytes] = set()
    for block in blocks:
        in_block = np.zeros(edges.n_users, dtype=bool)
        in_block[block.users] = True
        seeds = [block.users]
        for item in block.items.tolist():
            on_item = slots.by_slot.indices[
                slots.by_slot.indptr[item] : slots.by_slot.indptr[item + 1]
            ]
            seeds.append(on_item[in_block[on_item]].astype(np.int64))
        for seed in seeds:
            seed = seed[~assigned[seed]]
            if seed.size < 2:
                continue
            found = refine(
                slots,
                seed,
                rho=config.rho,
                min_users=config.untimed_min_users,
                min_targets=config.untimed_min_targets,
            )
            if found is None or found[1].tobytes() in seen:
                continue
            seen.add(found[1].tobytes())
            group = _judge_block(slots, found, values, counts, config)
            if group.significance >= config.min_significance:
                assigned[group.users] = True
                judged.append(group)
    return judged


def _judge_block(
    slots: Slots,
    found: tuple[IntArray, IntArray],
    values: IntArray,
    counts: IntArray,
    config: DetectConfig,
) -> Group:
    return judge(
        slots,
        found[0],
        found[1],
        detector="fraudar",
        rho=config.rho,
        degree_values=values,
        degree_counts=counts,
        window_seconds=None,
    )


def _combine(
    edges: EdgeSet,
    groups: list[Group],
    blocks: list[fraudar.DenseBlock],
    window: int | None,
    config: DetectConfig,
    seconds: dict[str, float],
) -> AccountScores:
    n = edges.n_users
    score = np.zeros(n)
    per_detector = {name: np.zeros(n) for name in ("lockstep", "similar", "fraudar")}
    notes: dict[int, list[str]] = {}
    ranked = sorted(groups, key=lambda g: -g.significance)
    for number, group in enumerate(ranked, start=1):
        value = group.significance + group.coverage
        np.maximum.at(score, group.users, value)
        np.maximum.at(per_detector[group.detector], group.users, group.significance)
        text = _describe(number, group, edges)
        for user, covered in zip(group.users.tolist(), group.coverage.tolist(), strict=True):
            notes.setdefault(user, []).append(f"{text} covers {covered:.0%}")
    # Partial members rank below every flag, by how much of a ring's work they share.
    below_flag = np.nextafter(config.min_significance, 0.0)
    for number, group in enumerate(ranked, start=1):
        value = below_flag * group.associate_coverage
        lifted = value > score[group.associates]
        for user, covered in zip(
            group.associates[lifted].tolist(),
            group.associate_coverage[lifted].tolist(),
            strict=True,
        ):
            notes.setdefault(user, []).append(
                f"near {group.detector} group {number}: on {covered:.0%} of its"
                f" {'windows' if group.starts is not None else 'targets'} (not claimed)"
            )
        np.maximum.at(score, group.associates, value)
    plain, which = fraudar.block_scores(n, blocks)
    for user in np.flatnonzero(which >= 0).tolist():
        b = int(which[user])
        notes.setdefault(user, []).append(
            f"fraudar block {b + 1}: {blocks[b].users.size} accounts x {blocks[b].items.size}"
            f" targets, density {blocks[b].lift:.1f}x background"
            + ("" if score[user] > 0 else " (dense, but no group in it beats chance)")
        )
    reason = ["; ".join(notes[u]) if u in notes else "" for u in range(n)]
    return AccountScores(
        edges=edges,
        score=score,
        reason=reason,
        groups=ranked,
        blocks=blocks,
        fraudar=plain,
        lockstep=per_detector["lockstep"],
        similar=per_detector["similar"],
        window_seconds=window,
        min_significance=config.min_significance,
        seconds=seconds,
    )


def _describe(number: int, group: Group, edges: EdgeSet) -> str:
    head = f"{group.detector} group {number}: {group.size} accounts on {group.items.size} targets"
    if group.starts is not None and group.window_seconds is not None:
        first = _iso(int(group.starts.min()))
        last = _iso(int(group.starts.max()) + group.window_seconds)
        head += f" in {_span(group.window_seconds)} windows between {first} and {last}"
    return (
        f"{head}, density {group.lift:.1f}x background,"
        f" chance 1e-{group.significance:.0f} (expected {group.expected:.2g} such accounts),"
    )


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%MZ")


def _span(seconds: int) -> str:
    if seconds % DAY == 0:
        return f"{seconds // DAY}d"
    if seconds % HOUR == 0:
        return f"{seconds // HOUR}h"
    return f"{seconds}s"
