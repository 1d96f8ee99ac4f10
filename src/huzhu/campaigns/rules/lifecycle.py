"""The states of a campaign's lifecycle: draft → scheduled → live ⇄ paused → ended.

The moves between them are conditional UPDATEs in flows.py, so two operators racing on
one campaign cannot both win.
"""

from __future__ import annotations

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
