"""Lifecycle states: the API names exactly the statuses a campaign can be in."""

from __future__ import annotations

from typing import get_args

from huzhu.campaigns.rules.lifecycle import VERSIONED_STATUSES, CampaignStatus
from huzhu.campaigns.schemas import Status


def test_the_api_status_literal_lists_every_campaign_status_in_order() -> None:
    assert list(get_args(Status)) == [status.value for status in CampaignStatus]


def test_only_a_draft_or_an_ended_campaign_keeps_no_versions() -> None:
    unversioned = set(CampaignStatus) - set(VERSIONED_STATUSES)
    assert unversioned == {CampaignStatus.DRAFT, CampaignStatus.ENDED}
