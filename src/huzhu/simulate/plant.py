"""Planting rings into real organic background, as the FRAUDAR paper evaluates.

Real data has no ground truth for rings: its labels (Yelp's filter) mostly mark one-off
accounts. So the real graph is used as the honest background, and known rings are added
to it — dense blocks, blocks hiding behind random or popularity-biased camouflage, rings
run through hijacked real accounts, many small rings, and a slow ring spread over months
— and a detector is judged by how well it ranks the planted accounts above the real ones.

Each case is a function of (background, rng) so that a seed fixes the whole experiment.
Planted accounts get fresh labels (`planted-...`); targets are existing items (a ring
boosts real businesses or instances), chosen at random.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from huzhu.risk.graph.edges import EdgeSet

DAY = 86_400


@dataclass(frozen=True)
class Planted:
    edges: EdgeSet
    positive: np.ndarray  # per account of `edges`: planted (True) or real background
    name: str


@dataclass(frozen=True)
class Ring:
    accounts: int
    targets: int
    density: float = 0.8  # chance a member acts on each target
    burst_days: int = 1  # a member's act on a target falls within this many days of it
    campaign_days: int = 28  # the targets' bursts are spread over this span
    camouflage: float = 0.0  # camouflage edges per ring edge
    popular_camouflage: bool = False  # camouflage on items in proportion to their degree
    hijack: bool = False  # members are existing real accounts, not new ones


def plant(
    background: EdgeSet, rings: list[Ring], rng: np.random.Generator, *, name: str
) -> Planted:
    """Add `rings` to `background`; times are day-granular like the background's."""
    if background.time is None:
        raise ValueError("planting needs a background with dates")
    users = [background.user]
    items = [background.item]
    times = [background.time]
    labels = list(background.user_labels)
    positive = np.zeros(background.n_users, dtype=bool)
    hijackable = np.flatnonzero(background.user_degree > 0)
    # Rings act in the busy years of the background so they compete with real traffic.
    lo, hi = np.quantile(background.time, [0.5, 0.95]).astype(np.int64)
    popularity = background.item_degree / background.item_degree.sum()
    for ring in rings:
        if ring.hijack:
            members = rng.choice(hijackable[~positive[hijackable]], ring.accounts, replace=False)
        else:
            members = np.arange(len(labels), len(labels) + ring.accounts)
            labels += [f"planted-{len(labels) + k}" for k in range(ring.accounts)]
            positive = np.concatenate([positive, np.zeros(ring.accounts, dtype=bool)])
        positive[members] = True
        targets = rng.choice(background.n_items, ring.targets, replace=False)
        start = int(rng.integers(lo, max(lo + 1, hi - ring.campaign_days * DAY)))
        burst = start + rng.integers(0, ring.campaign_days, ring.targets) * DAY
        hit = rng.random((ring.accounts, ring.targets)) < ring.density
        m_idx, t_idx = np.nonzero(hit)
        users.append(members[m_idx].astype(np.int64))
        items.append(targets[t_idx].astype(np.int64))
        times.append(burst[t_idx] + rng.integers(0, ring.burst_days, m_idx.size) * DAY)
        n_camo = round(ring.camouflage * m_idx.size)
        if n_camo:
            users.append(members[rng.integers(0, ring.accounts, n_camo)].astype(np.int64))
            p = popularity if ring.popular_camouflage else None
            items.append(rng.choice(background.n_items, n_camo, p=p).astype(np.int64))
            times.append(background.time[rng.integers(0, background.n_edges, n_camo)])
    edges = EdgeSet.build(
        user=np.concatenate(users),
        item=np.concatenate(items),
        time=np.concatenate(times),
        user_labels=labels,
        item_labels=background.item_labels,
    )
    return Planted(edges=edges, positive=positive, name=name)


#: The planted cases of the evaluation: name -> rings. Sizes follow the spirit of the
#: FRAUDAR paper's injections, scaled to a graph with 201 targets.
CASES: dict[str, list[Ring]] = {
    "dense_block": [Ring(accounts=50, targets=20)],
    "random_camouflage": [Ring(accounts=50, targets=20, camouflage=1.0)],
    "popular_camouflage": [Ring(accounts=50, targets=20, camouflage=1.0, popular_camouflage=True)],
    "hijacked": [Ring(accounts=50, targets=20, hijack=True)],
    "small_rings": [Ring(accounts=6, targets=5, density=0.9) for _ in range(20)],
    "slow_ring": [Ring(accounts=50, targets=20, burst_days=180, campaign_days=1, camouflage=0.5)],
}


def plant_case(background: EdgeSet, name: str, *, seed: int) -> Planted:
    return plant(background, CASES[name], np.random.default_rng(seed), name=name)
