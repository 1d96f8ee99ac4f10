"""Behaviour counters for inline scoring: in process (embedded) or in Redis (several
workers see the same counts).

One call per assist, `observe`, counts the assist and reads every number the scorer
needs in the same step — on Redis in one script call shared by the assists of the same
turn of the event loop, one round trip for all of them. Windows are fixed buckets
(`at // window`): the cheapest exact count, at the price of forgetting at a bucket edge,
which is fine for signals (they are evidence, not caps). Keys hold pseudonymous ids and
keyed hashes only, never a raw address or device id.

Assists are also counted per instance and network prefix (keyed hash) in the spike
window, for the network-burst spike (inline.is_network_burst).

Fresh accounts' assists (inline.is_fresh) are counted per campaign and network prefix in
the group window, for the inline group rule (inline.group_hold); the accounts whose
assists came through no remembered share open, per campaign and network prefix and per
campaign and device over the last burst window (sliding, each account once: one person
helping two friends in a minute is not a burst), for its no-open burst rule.

Share opens are recorded here too (`record_open`, from the open routes): a count per
instance and campaign for the spike rules, and the time of each open (by open id) and of
each link's latest open, kept `open_seconds`, so `observe` can tell the scorer how long
after its open an assist came — in the same round trip, with no database read.

What a store is asked and given is in ports.py; the store in process (embedded mode) is
memory.py, the one in Redis, with its Lua scripts, redis.py.
"""

from __future__ import annotations

from huzhu.risk.counters.memory import MemoryCounters
from huzhu.risk.counters.ports import Observation, RiskCounters, Windows
from huzhu.risk.counters.redis import (
    ADOPT_LUA,
    KEYS_PER_OBSERVATION,
    MAX_GROUP,
    OBSERVE_LUA,
    PREFIX,
    RedisCounters,
)

__all__ = [
    "ADOPT_LUA",
    "KEYS_PER_OBSERVATION",
    "MAX_GROUP",
    "OBSERVE_LUA",
    "PREFIX",
    "MemoryCounters",
    "Observation",
    "RedisCounters",
    "RiskCounters",
    "Windows",
    "open_counters",
]


def open_counters(
    redis_url: str | None, windows: Windows | None = None, *, key_prefix: str = "huzhu"
) -> RiskCounters:
    """Redis counters under `{key_prefix}:risk:` when a URL is set, else in-process."""
    if not redis_url:
        return MemoryCounters(windows)
    return RedisCounters.from_url(redis_url, windows, prefix=f"{key_prefix}:risk:")
