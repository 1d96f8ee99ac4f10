"""Lifecycle states: the API names exactly the statuses a campaign can be in, and one
rule says when a campaign takes someone new."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import get_args

import pytest

from huzhu.campaigns.rules.lifecycle import (
    VERSIONED_STATUSES,
    CampaignStatus,
    StartClosed,
    start_closed,
)
from huzhu.campaigns.schemas import Status


def test_the_api_status_literal_lists_every_campaign_status_in_order() -> None:
    assert list(get_args(Status)) == [status.value for status in CampaignStatus]


def test_only_a_draft_or_an_ended_campaign_keeps_no_versions() -> None:
    unversioned = set(CampaignStatus) - set(VERSIONED_STATUSES)
    assert unversioned == {CampaignStatus.DRAFT, CampaignStatus.ENDED}


NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
BEFORE, AFTER = NOW - timedelta(minutes=1), NOW + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("status", "starts_at", "ends_at", "draw_at", "drawn", "expected"),
    [
        ("live", None, None, None, False, None),
        ("live", BEFORE, AFTER, AFTER, False, None),
        ("draft", None, None, None, False, StartClosed.NOT_STARTED),
        ("scheduled", AFTER, None, None, False, StartClosed.NOT_STARTED),
        ("live", AFTER, None, None, False, StartClosed.NOT_STARTED),
        ("paused", None, None, None, False, StartClosed.PAUSED),
        ("ended", None, AFTER, None, False, StartClosed.ENDED),
        ("live", None, NOW, None, False, StartClosed.ENDED),
        ("paused", None, BEFORE, None, False, StartClosed.ENDED),
        ("live", None, None, NOW, False, StartClosed.ENTRIES_CLOSED),
        ("live", None, None, BEFORE, True, StartClosed.DRAWN),
        # A drawn lottery says so first, even once it ended: its result is what matters.
        ("ended", None, BEFORE, BEFORE, True, StartClosed.DRAWN),
    ],
)
def test_a_campaign_takes_someone_new_only_while_live_open_and_undrawn(
    status: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    draw_at: datetime | None,
    drawn: bool,
    expected: StartClosed | None,
) -> None:
    found = start_closed(
        status=status, starts_at=starts_at, ends_at=ends_at, draw_at=draw_at, drawn=drawn, now=NOW
    )
    assert found == expected
