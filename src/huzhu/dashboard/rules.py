"""The dashboard's arithmetic: pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

# Bucket widths, finest first: the series uses the finest that spans the campaign's life
# in at most MAX_POINTS points, so a young campaign is drawn by the minute and an old one
# by the day, and the chart never grows with the campaign's age.
WIDTHS = tuple(
    timedelta(seconds=s) for s in (60, 300, 900, 3600, 6 * 3600, 86_400, 7 * 86_400, 30 * 86_400)
)
MAX_POINTS = 24


def edges(*, since: datetime, now: datetime) -> list[datetime]:
    """The moments the series counts up to: ending at `now`, stepping back by one width,
    none before the first that reaches back to `since` (always at least `now`)."""
    span = max(now - since, timedelta(0))
    width = next((w for w in WIDTHS if span <= w * (MAX_POINTS - 1)), WIDTHS[-1])
    points = min(MAX_POINTS, int(span / width) + 2 if span else 1)
    return [now - width * k for k in range(points - 1, -1, -1)]


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide (no point drawn)."""
    return part / whole if whole else None


def per_thousand(part: int, whole: int) -> float | None:
    return 1000 * part / whole if whole else None


def shares(parts: Sequence[int], wholes: Sequence[int]) -> list[float | None]:
    return [share(p, w) for p, w in zip(parts, wholes, strict=True)]


def rates_per_thousand(parts: Sequence[int], wholes: Sequence[int]) -> list[float | None]:
    return [per_thousand(p, w) for p, w in zip(parts, wholes, strict=True)]


def stamp(moment: datetime, zone: ZoneInfo) -> str:
    """When the figures were read, to the second, in the shop's zone and naming it: the
    page renders it and every poll replaces it with the same form."""
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M:%S} ({zone.key})"


def label(moment: datetime, zone: ZoneInfo) -> str:
    """A chart's moment in the shop's zone (the stamp beside the charts names it)."""
    return f"{moment.astimezone(zone):%m-%d %H:%M}"
