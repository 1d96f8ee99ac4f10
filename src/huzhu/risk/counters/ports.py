"""What the scorer asks of a counter store, whichever it is: the windows it counts in,
the observation of one assist, and the calls (`RiskCounters`). Both stores count by the
same fixed buckets and forget an open's time after the same memory, from here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from huzhu.risk.inline import CounterSnapshot


@dataclass(frozen=True, slots=True)
class Windows:
    device_seconds: int = 86_400
    net_seconds: int = 600
    helper_seconds: int = 3_600
    pair_seconds: int = 30 * 86_400
    spike_seconds: int = 300
    open_seconds: int = 86_400  # how long an open's time is remembered
    group_seconds: int = 3_600  # fresh accounts' assists per campaign and network
    burst_seconds: int = 60  # accounts tapping unopened per campaign and network, device
    # A tap this soon after its open counts toward a burst as a tap with no open does: a
    # script that loads the page and taps as it answers (risk.min_open_seconds).
    instant_seconds: float = 2.0


# Not frozen: a frozen dataclass's __init__ sets each field through object.__setattr__
# (3x the cost), and one is built for every assist. Treat it as a value all the same.
@dataclass(slots=True)
class Observation:
    at: float  # unix seconds
    shop_id: int
    instance_id: int
    helper_id: int
    initiator_id: int
    device_hash: str | None
    net_hash: str | None
    campaign_id: int = 0  # 0: not known (no campaign-level counts)
    share_link_id: int | None = None  # the link the assist came through
    share_open_id: int | None = None  # the open it names (else the link's latest counts)
    # The device and network hashes under the previous key while a key is rotated: the
    # Redis counters adopt what they counted under it (in-process counters start afresh
    # with the process that a new key needs anyway).
    device_alias: str | None = None
    net_alias: str | None = None
    fresh: bool = False  # a fresh account (inline.is_fresh): counted for the group rule


class RiskCounters(Protocol):
    async def observe(self, obs: Observation) -> CounterSnapshot: ...

    async def record_open(
        self,
        *,
        instance_id: int,
        at: float,
        campaign_id: int | None = None,
        link_id: int | None = None,
        open_id: int | None = None,
    ) -> None: ...

    async def watch_instance(self, instance_id: int, *, seconds: int) -> bool:
        """Put an instance under watch; True only for the call that started it (never
        while the instance is cleared)."""
        ...

    async def clear_watch(self, instance_id: int, *, seconds: int) -> None:
        """Lift the instance's watch and keep a new one from starting for `seconds`: an
        analyst found its burst genuine, so the same burst must not hold it again."""
        ...

    async def alert_campaign(self, campaign_id: int, *, seconds: int) -> bool:
        """Mark a campaign spike reported for `seconds`; True only for the call that
        marked it (one alert per campaign per period, across workers)."""
        ...

    async def close(self) -> None: ...


def bucket_of(at: float, window: int) -> int:
    """The fixed window `at` falls in: both stores count by it, so they agree on every
    edge."""
    return int(at // window)


def seconds_since(now: float, opened: float | None, memory: int) -> float | None:
    """How long after its open an assist came; None for an open unknown or older than
    `memory` (it is no longer remembered)."""
    if opened is None or now - opened >= memory:
        return None
    return now - opened
