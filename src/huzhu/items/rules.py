"""Pure decisions over a price history: no I/O."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class PriceSource(StrEnum):
    REGULAR = "regular"  # the item's regular price, when it was set or changed
    RECORDED = "recorded"  # a price recorded over the API (a sale, a shelf price)
    CAMPAIGN = "campaign"  # a campaign's price, at its create, edits and launch


def window(*, until: datetime, days: int) -> tuple[datetime, datetime]:
    """The closed window [until − days, until] a lowest price is read over: an
    observation exactly `days` before counts, one a moment earlier does not."""
    if days < 1:
        raise ValueError("a price window is at least one day")
    return until - timedelta(days=days), until
