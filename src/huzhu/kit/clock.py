"""The one source of "now". Always timezone-aware UTC.

Tests and the simulator shift time with `advance`, so expiry and draws can be exercised
without sleeping; production code never calls datetime.now() directly.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

_offset = timedelta(0)


def utcnow() -> datetime:
    return datetime.now(UTC) + _offset


def today() -> date:
    return utcnow().date()


def advance(seconds: float) -> None:
    """Move this process's clock forward (tests and simulations only)."""
    global _offset
    _offset += timedelta(seconds=seconds)


def reset() -> None:
    global _offset
    _offset = timedelta(0)


def as_utc(value: datetime) -> datetime:
    """Read a stored time as aware UTC (SQLite hands back naive values)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def period_start(now: datetime, every_seconds: int) -> datetime:
    """The start of the period of `every_seconds` that `now` falls in (counted from the
    epoch): what scheduled work names a period by, so every runner names it alike."""
    return datetime.fromtimestamp(int(now.timestamp()) // every_seconds * every_seconds, tz=UTC)
