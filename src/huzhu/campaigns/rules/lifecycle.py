"""The states of a campaign's lifecycle: draft → scheduled → live ⇄ paused → ended.

The moves between them are conditional UPDATEs in flows.py, so two operators racing on
one campaign cannot both win.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class CampaignStatus(StrEnum):
    DRAFT = "draft"  # being written: nobody can take part, every field may change
    SCHEDULED = "scheduled"  # goes live by itself at starts_at (a campaign.activate job)
    LIVE = "live"  # instances start and assists count
    PAUSED = "paused"  # no new instances or reservations; running ones keep their terms
    ENDED = "ended"  # for good: running instances finish under their terms


# Statuses in which a campaign's rules are public and may have been taken up: an edit
# then makes a new version instead of changing the one participants hold.
VERSIONED_STATUSES = (CampaignStatus.SCHEDULED, CampaignStatus.LIVE, CampaignStatus.PAUSED)


class StartClosed(StrEnum):
    """Why a campaign takes no one new right now: the `reason` of a 409
    `campaign_not_open`, and what the pages say instead of offering a start."""

    NOT_STARTED = "not_started"  # a draft or scheduled campaign, or before its starts_at
    PAUSED = "paused"  # its operator paused it; it may resume
    ENDED = "ended"  # ended by its operator or at its ends_at, for good
    ENTRIES_CLOSED = "entries_closed"  # a lottery past its draw time, the draw not yet made
    DRAWN = "drawn"  # a lottery whose draw was made: its result is public


def start_closed(
    *,
    status: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    draw_at: datetime | None,
    drawn: bool,
    now: datetime,
) -> StartClosed | None:
    """None when a participant may start (or open a team in) the campaign now.

    One rule for the refusal and for the offer: the start routes refuse by it and the
    pages offer a start only where it gives None, so a page never offers what the engine
    then refuses. A lottery once its draw time came takes no one new, whatever its status
    says: an entry made then could never take part in the draw. A drawn lottery says so
    before anything else, because its result is what a person wants to see next."""
    if drawn:
        return StartClosed.DRAWN
    if status == CampaignStatus.ENDED or (ends_at is not None and ends_at <= now):
        return StartClosed.ENDED
    if status == CampaignStatus.PAUSED:
        return StartClosed.PAUSED
    if status != CampaignStatus.LIVE or (starts_at is not None and starts_at > now):
        return StartClosed.NOT_STARTED
    if draw_at is not None and draw_at <= now:
        return StartClosed.ENTRIES_CLOSED
    return None
