"""The one source of "now". Always timezone-aware UTC.

Tests and the simulator shift time with `advance`, so expiry and draws can be exercised
without sleeping; production code never calls datetime.now() or time.time() directly.
`time()` and `utcnow()` are the same instant (one offset, read once): what counts in
seconds (the rate limits) and what is stored as a datetime keep one clock.
"""

from __future__ import annotations

import time as _wall
from datetime import UTC, date, datetime

# Seconds `advance` has moved this process's clock: a float, so that `time()` costs one
# addition on the hot path (the rate limits read it on every hit).
_offset = 0.0


def time() -> float:
    """Unix time in seconds on the app clock: time.time() plus the offset."""
    return _wall.time() + _offset


def utcnow() -> datetime:
    return datetime.fromtimestamp(_wall.time() + _offset, UTC)


def today() -> date:
    return utcnow().date()


def advance(seconds: float) -> None:
    """Move this process's clock forward (tests and simulations only)."""
    global _offset
    _offset += seconds


def reset() -> None:
    global _offset
    _offset = 0.0


def as_utc(value: datetime) -> datetime:
    """Read a stored time as aware UTC (SQLite hands back naive values)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def period_start(now: datetime, every_seconds: int) -> datetime:
    """The start of the period of `every_seconds` that `now` falls in (counted from the
    epoch): what scheduled work names a period by, so every runner names it alike."""
    return datetime.fromtimestamp(int(now.timestamp()) // every_seconds * every_seconds, tz=UTC)
