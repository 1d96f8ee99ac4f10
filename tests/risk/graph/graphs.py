"""Small graphs for the detector tests: random honest background and planted rings."""

from __future__ import annotations

import numpy as np

from huzhu.risk.graph.edges import EdgeSet

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
DAY = 86_400


def random_edges(
    rng: np.random.Generator, *, users: int, items: int, edges: int, days: int = 30
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Honest background: popularity-skewed targets, times spread over `days`."""
    popularity = 1.0 / np.arange(1, items + 1)
    popularity /= popularity.sum()
    u = rng.integers(0, users, edges)
    i = rng.choice(items, edges, p=popularity)
    t = T0 + rng.integers(0, days * DAY, edges)
    return u, i, t


def ring_edges(
    rng: np.random.Generator,
    *,
    first_user: int,
    accounts: int,
    targets: np.ndarray,
    density: float = 0.9,
    spread_seconds: int = 300,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A ring: each member hits each target with `density`, within `spread_seconds` of
    the target's own moment."""
    moment = T0 + rng.integers(0, 20 * DAY, targets.size)
    hit = rng.random((accounts, targets.size)) < density
    m, t = np.nonzero(hit)
    times = moment[t] + rng.integers(0, spread_seconds, m.size)
    return first_user + m, targets[t], times


def edge_set(
    *parts: tuple[np.ndarray, np.ndarray, np.ndarray],
    n_users: int,
    n_items: int,
    timed: bool = True,
) -> EdgeSet:
    u = np.concatenate([p[0] for p in parts])
    i = np.concatenate([p[1] for p in parts])
    t = np.concatenate([p[2] for p in parts])
    return EdgeSet.build(
        user=u,
        item=i,
        time=t if timed else None,
        user_labels=[str(k) for k in range(n_users)],
        item_labels=[str(k) for k in range(n_items)],
    )


def with_ring(
    seed: int,
    *,
    users: int = 2_000,
    items: int = 300,
    edges: int = 8_000,
    accounts: int = 12,
    targets: int = 8,
    spread_seconds: int = 300,
    timed: bool = True,
) -> tuple[EdgeSet, np.ndarray]:
    """Background plus one ring of new accounts; returns the graph and the ring's ids."""
    rng = np.random.default_rng(seed)
    background = random_edges(rng, users=users, items=items, edges=edges)
    chosen = rng.choice(items, targets, replace=False)
    ring = ring_edges(
        rng, first_user=users, accounts=accounts, targets=chosen, spread_seconds=spread_seconds
    )
    graph = edge_set(background, ring, n_users=users + accounts, n_items=items, timed=timed)
    return graph, np.arange(users, users + accounts)


def same_density_random(graph: EdgeSet, seed: int) -> EdgeSet:
    """A random graph with the same accounts, targets and edge count, times spread."""
    rng = np.random.default_rng(seed)
    u, i, t = random_edges(
        rng, users=graph.n_users, items=graph.n_items, edges=graph.n_edges, days=30
    )
    return edge_set((u, i, t), n_users=graph.n_users, n_items=graph.n_items)
