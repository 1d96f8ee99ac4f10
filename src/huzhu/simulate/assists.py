"""A seeded synthetic world of assist campaigns with rings injected, for evaluation.

Honest side: accounts live in social circles; an initiator starts an instance and shares
it; friends — mostly from the initiator's circle, some from anywhere — open the share
link over the following hours (exponential delay) and some of them assist a little
later. Half the instances start in the same evening hours, and a few enthusiasts in each
circle help most of its instances, so honest accounts do repeat together, at the same
times — exactly what a lockstep detector must not mistake for a ring.

Rings: a ring is a set of fake accounts hired by some initiators; it works each bought
instance in one session (all members within minutes), each member on most of them, and
may add camouflage: assists on random honest instances at honest-looking times. Every
assist has a share open before it (brushing tools open the link too), and times are
whole seconds.

Everything is drawn from one `numpy.random.Generator(seed)`: the same seed gives the
same world, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from huzhu.risk.graph.edges import EdgeSet, IntArray

HOUR = 3_600
DAY = 86_400
EPOCH = 1_767_225_600  # 2026-01-01T00:00:00Z: a fixed origin keeps runs identical


@dataclass(frozen=True)
class RingSpec:
    accounts: int
    targets: int  # instances the ring is paid to boost
    camouflage: float = 0.0  # camouflage assists per ring assist
    density: float = 0.9  # share of the targets each member assists
    session_seconds: int = 600  # a target's assists fall within this span


@dataclass(frozen=True)
class WorldSpec:
    instances: int = 2_000
    circle_size: int = 40
    accounts_per_instance: float = 3.0  # honest accounts per instance
    friends_opening: float = 12.0  # mean share opens per instance
    in_circle: float = 0.8  # chance an opener comes from the initiator's circle
    assist_rate: float = 0.6  # chance an open turns into an assist
    days: int = 30
    # Honest traffic crowds too: this share of instances starts in the same four evening
    # hours of their day, and circle members open shares with a skew (u^skew of the
    # circle), so a few enthusiasts help most of their circle's instances.
    evening: float = 0.5
    skew: float = 2.0
    rings: list[RingSpec] = field(default_factory=list)


@dataclass(frozen=True)
class World:
    # Per assist
    helper: IntArray
    instance: IntArray
    at: IntArray  # unix seconds
    fake: np.ndarray  # assist made by a ring account
    # Per share open
    open_helper: IntArray
    open_instance: IntArray
    open_at: IntArray
    # Per instance / account
    initiator: IntArray  # per instance
    n_accounts: int
    ring_of: IntArray  # per account: ring index, -1 for honest accounts
    rings: list[RingSpec]

    @property
    def n_assists(self) -> int:
        return int(self.helper.size)

    def edges(self) -> EdgeSet:
        """Helper x instance graph with assist times."""
        return EdgeSet.build(
            user=self.helper,
            item=self.instance,
            time=self.at,
            user_labels=[str(a) for a in range(self.n_accounts)],
            item_labels=[str(i) for i in range(self.initiator.size)],
        )


def generate(spec: WorldSpec, *, seed: int) -> World:
    rng = np.random.default_rng(seed)
    n_instances = spec.instances
    n_honest = max(spec.circle_size, int(spec.instances * spec.accounts_per_instance))
    n_circles = max(1, n_honest // spec.circle_size)
    initiator = rng.integers(0, n_honest, n_instances)
    started = EPOCH + rng.integers(0, spec.days * DAY, n_instances)
    evening = rng.random(n_instances) < spec.evening
    day_start = EPOCH + rng.integers(0, spec.days, n_instances) * DAY
    started = np.where(
        evening, day_start + 11 * HOUR + rng.integers(0, 4 * HOUR, n_instances), started
    )

    # Honest share opens: circle friends mostly, strangers sometimes.
    opens_per = rng.poisson(spec.friends_opening, n_instances)
    o_inst = np.repeat(np.arange(n_instances), opens_per)
    circle = (initiator[o_inst] // spec.circle_size) % n_circles
    from_circle = rng.random(o_inst.size) < spec.in_circle
    member = (spec.circle_size * rng.random(o_inst.size) ** spec.skew).astype(np.int64)
    in_circle = circle * spec.circle_size + member
    o_helper = np.where(from_circle, in_circle, rng.integers(0, n_honest, o_inst.size))
    o_at = started[o_inst] + rng.exponential(2 * HOUR, o_inst.size).astype(np.int64)
    ok = o_helper != initiator[o_inst]
    o_inst, o_helper, o_at = o_inst[ok], o_helper[ok], o_at[ok]
    # One open per (helper, instance) is enough: the first.
    order = np.lexsort((o_at, o_inst, o_helper))
    o_inst, o_helper, o_at = o_inst[order], o_helper[order], o_at[order]
    first = np.r_[True, (o_helper[1:] != o_helper[:-1]) | (o_inst[1:] != o_inst[:-1])]
    o_inst, o_helper, o_at = o_inst[first], o_helper[first], o_at[first]
    assists = rng.random(o_inst.size) < spec.assist_rate
    a_inst, a_helper = o_inst[assists], o_helper[assists]
    a_at = o_at[assists] + 3 + rng.exponential(60, a_inst.size).astype(np.int64)

    helpers, insts, ats, fakes = [a_helper], [a_inst], [a_at], [np.zeros(a_inst.size, bool)]
    opens_h, opens_i, opens_t = [o_helper], [o_inst], [o_at]
    ring_of = [np.full(n_honest, -1, dtype=np.int64)]
    next_account = n_honest
    for index, ring in enumerate(spec.rings):
        members = np.arange(next_account, next_account + ring.accounts)
        next_account += ring.accounts
        ring_of.append(np.full(ring.accounts, index, dtype=np.int64))
        targets = rng.choice(n_instances, ring.targets, replace=False)
        session = started[targets] + rng.integers(0, 6 * HOUR, ring.targets)
        hit = rng.random((ring.accounts, ring.targets)) < ring.density
        m_idx, t_idx = np.nonzero(hit)
        r_helper = members[m_idx]
        r_inst = targets[t_idx]
        r_at = session[t_idx] + rng.integers(0, ring.session_seconds, m_idx.size)
        n_camo = round(ring.camouflage * m_idx.size)
        c_inst = rng.integers(0, n_instances, n_camo)
        c_helper = members[rng.integers(0, ring.accounts, n_camo)]
        c_at = started[c_inst] + rng.exponential(2 * HOUR, n_camo).astype(np.int64)
        for h, i, t in ((r_helper, r_inst, r_at), (c_helper, c_inst, c_at)):
            helpers.append(h)
            insts.append(i)
            ats.append(t)
            fakes.append(np.ones(h.size, dtype=bool))
            opens_h.append(h)
            opens_i.append(i)
            opens_t.append(t - rng.integers(2, 20, h.size))

    helper = np.concatenate(helpers)
    instance = np.concatenate(insts)
    at = np.concatenate(ats)
    fake = np.concatenate(fakes)
    # The engine allows one assist per helper per instance: keep the first.
    order = np.lexsort((at, instance, helper))
    helper, instance, at, fake = helper[order], instance[order], at[order], fake[order]
    keep = np.r_[True, (helper[1:] != helper[:-1]) | (instance[1:] != instance[:-1])]
    return World(
        helper=helper[keep],
        instance=instance[keep],
        at=at[keep],
        fake=fake[keep],
        open_helper=np.concatenate(opens_h),
        open_instance=np.concatenate(opens_i),
        open_at=np.concatenate(opens_t),
        initiator=initiator,
        n_accounts=next_account,
        ring_of=np.concatenate(ring_of),
        rings=list(spec.rings),
    )


def ring_grid(
    sizes: tuple[int, ...] = (5, 10, 20, 50),
    camouflage: tuple[float, ...] = (0.0, 1.0, 3.0),
    *,
    per_cell: int = 2,
    targets: int = 8,
    session_seconds: int = 600,
) -> list[RingSpec]:
    """Rings of every size x camouflage level, `per_cell` of each."""
    return [
        RingSpec(accounts=size, targets=targets, camouflage=camo, session_seconds=session_seconds)
        for size in sizes
        for camo in camouflage
        for _ in range(per_cell)
    ]
