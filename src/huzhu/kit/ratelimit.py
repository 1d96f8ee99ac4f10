"""Rate limits over the `limits` library: in-process memory in embedded mode, Redis
(settings.redis.url) when several processes must share one count.

Fixed windows: one counter increment per hit (one INCR+EXPIRE round trip on Redis), the
cheapest strategy, so it can sit on the assist hot path. Its known weakness — up to twice
the rate across a window boundary — is acceptable for abuse limits; a cap that must never
be exceeded belongs in the database, not here.

Keys are the caller's choice and may end up in Redis: pass pseudonymous ids or keyed
hashes (privacy/), never a raw IP address or phone number.

Time: in memory every "now" (a window's start and end, a read, a retry-after) is the app
clock (kit/clock.time), so windows follow `clock.advance` as the rest of the app does: a
simulated day ends a day's caps. On Redis a window is a key's TTL, and the server counts
it in real time: a limit there ignores the offset of `clock.advance` (only tests and the
simulator move it, and the simulator refuses Redis for that reason), and its
retry-after is the key's TTL.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from huzhu.kit import clock

MEMORY_URL = "memory://"


@lru_cache(maxsize=256)
def _rate(rate: str) -> RateLimitItem:
    """Parse "5/minute", "100 per hour", … once per distinct string."""
    return parse(rate)


class FixedWindowMemory(MemoryStorage):
    """limits' memory storage for fixed windows, without its expiry timer: that one
    starts a new threading.Timer thread on an increment whenever the last has finished
    (up to a hundred threads a second under load), each sweeping every key: under load,
    a fifth of a share open's CPU. A fixed-window counter needs no sweep: one past its
    expiry is dropped when next touched (here, and by MemoryStorage.get), and every
    PRUNE_EVERY increments the expired ones are dropped in one pass, so keys nobody
    touches again do not pile up. Increments and their reads happen under one lock.

    "Now" is the app clock (kit/clock.time). An increment also starts afresh a counter
    whose window ends more than one window from now: it began in a future the clock has
    left (a test or a simulation moved the clock back with `clock.reset`), so it is not
    this window's count."""

    PRUNE_EVERY = 4096

    def __init__(self) -> None:
        super().__init__()  # starts limits' timer once; it finds nothing and ends
        self._lock = threading.Lock()
        self._increments = 0

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = clock.time()
        with self._lock:
            until = self.expirations.get(key, 0)
            if until <= now or until > now + expiry:
                self.storage.pop(key, None)
                self.expirations.pop(key, None)
            value = self.storage[key] + amount
            self.storage[key] = value
            if value == amount:
                self.expirations[key] = now + expiry
            self._increments += 1
            if self._increments % self.PRUNE_EVERY == 0:
                for stale in [k for k, until in self.expirations.items() if until <= now]:
                    self.storage.pop(stale, None)
                    del self.expirations[stale]
            return value

    def get(self, key: str) -> int:
        with self._lock:
            if self.expirations.get(key, 0) <= clock.time():
                self.storage.pop(key, None)
                self.expirations.pop(key, None)
            return self.storage.get(key, 0)

    def get_expiry(self, key: str) -> float:
        """When the key's window ends; now, for a key with no live window (limits'
        own answers time.time() there, which is not the app clock)."""
        now = clock.time()
        with self._lock:
            until = self.expirations.get(key, 0)
        return until if until > now else now


@dataclass(frozen=True, slots=True)
class Window:
    remaining: int  # hits left in the current window
    reset_at: float  # unix time the window ends, on the app clock (kit/clock.time)
    retry_after: int  # whole seconds to wait (for a Retry-After header); 0 if allowed


class RateLimiter:
    def __init__(self, storage_url: str | None = None) -> None:
        self.storage_url = storage_url or MEMORY_URL
        memory = self.storage_url.startswith("memory")
        self._on_app_clock = memory
        self._storage: Storage = (
            FixedWindowMemory() if memory else cast(Storage, storage_from_string(self.storage_url))
        )
        self._limiter = FixedWindowRateLimiter(self._storage)

    def hit(self, key: str, rate: str, *, cost: int = 1) -> bool:
        """Count a hit on `key`; False when it is over `rate` (the hit is not counted)."""
        return bool(self._limiter.hit(_rate(rate), key, cost=cost))

    def test(self, key: str, rate: str) -> bool:
        """Would a hit be allowed? (Counts nothing.)"""
        return bool(self._limiter.test(_rate(rate), key))

    def acquire(self, key: str, *, limit: int, per: str) -> bool:
        """Take one unit of a cap whose size may change between calls (a reputation
        shrinks it): one atomic increment of a counter that does not depend on `limit`,
        allowed when the new count is at most `limit`. A refusal gives its unit back at
        once, so the counter only ever holds units that were granted (plus, for an
        instant, ones about to be returned): N concurrent calls against a limit of C are
        granted exactly min(N, C) on one process (memory) or many (Redis INCRBY)."""
        item = _rate(f"1/{per}")
        storage_key = item.key_for(key)
        # The count this increment produced (memory: read under the storage's lock;
        # Redis: INCRBY's answer).
        count = self._storage.incr(storage_key, item.get_expiry(), amount=1)
        if count <= limit:
            return True
        self._storage.incr(storage_key, item.get_expiry(), amount=-1)
        return False

    def release(self, key: str, *, per: str) -> None:
        """Give back a unit `acquire` granted, when a later check refused the request."""
        item = _rate(f"1/{per}")
        self._storage.incr(item.key_for(key), item.get_expiry(), amount=-1)

    def acquire_window(self, key: str, *, per: str) -> Window:
        """The window of an `acquire` counter (for its `reset_at` and `retry_after`;
        `remaining` is meaningless here)."""
        return self.window(key, f"1/{per}")

    def window(self, key: str, rate: str) -> Window:
        stats = self._limiter.get_window_stats(_rate(rate), key)
        remaining = int(stats.remaining)
        now = clock.time()
        # Memory answers on the app clock; limits' Redis storage answers the key's TTL
        # plus the real time.time(), so the TTL is what is left there.
        left = stats.reset_time - (now if self._on_app_clock else time.time())
        wait = 0 if remaining > 0 else max(1, math.ceil(left))
        return Window(remaining=remaining, reset_at=now + max(left, 0.0), retry_after=wait)

    def reset(self) -> None:
        """Forget every count (tests; on Redis this clears only the limits' own keys)."""
        self._storage.reset()
