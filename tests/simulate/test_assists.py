"""The synthetic assist world is a function of its seed and keeps the engine's rules."""

from __future__ import annotations

import numpy as np

from huzhu.simulate.assists import RingSpec, WorldSpec, generate, ring_grid

SPEC = WorldSpec(instances=300, rings=[RingSpec(accounts=6, targets=5, camouflage=1.0)])


def test_same_seed_same_world_and_another_seed_another() -> None:
    a, b, c = generate(SPEC, seed=7), generate(SPEC, seed=7), generate(SPEC, seed=8)
    for name in ("helper", "instance", "at", "fake", "open_helper", "open_at", "ring_of"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert not np.array_equal(a.at[: c.at.size], c.at[: a.at.size])


def test_one_assist_per_helper_and_instance_each_after_an_open() -> None:
    world = generate(SPEC, seed=3)
    pairs = world.helper * world.initiator.size + world.instance
    assert np.unique(pairs).size == pairs.size
    opened = {}
    for h, i, t in zip(
        world.open_helper.tolist(),
        world.open_instance.tolist(),
        world.open_at.tolist(),
        strict=True,
    ):
        opened[(h, i)] = min(t, opened.get((h, i), t))
    for h, i, t in zip(
        world.helper.tolist(), world.instance.tolist(), world.at.tolist(), strict=True
    ):
        assert opened[(h, i)] <= t
    honest = ~world.fake
    assert not np.any(world.helper[honest] == world.initiator[world.instance[honest]])


def test_fake_assists_come_exactly_from_ring_accounts() -> None:
    world = generate(SPEC, seed=4)
    assert np.array_equal(world.fake, world.ring_of[world.helper] >= 0)
    assert (world.ring_of >= 0).sum() == 6
    edges = world.edges()
    assert edges.n_edges == world.n_assists
    assert edges.time is not None


def test_ring_grid_covers_every_size_and_camouflage() -> None:
    rings = ring_grid(sizes=(5, 10), camouflage=(0.0, 2.0), per_cell=3)
    assert len(rings) == 12
    assert {(r.accounts, r.camouflage) for r in rings} == {(5, 0.0), (5, 2.0), (10, 0.0), (10, 2.0)}
