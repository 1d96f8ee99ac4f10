"""Inline scoring of assists: `HUZHU_RISK__*`."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RiskSettings(BaseModel):
    """Inline scoring of assists (risk/inline.py): thresholds, weights and windows.
    Every weight is the most one signal can add; signals combine as a noisy-OR."""

    inline_enabled: bool = Field(default=True, description="score every assist inline")
    hold_score: float = Field(default=0.6, gt=0, le=1, description="hold at or above")
    refuse_score: float = Field(default=0.95, gt=0, le=1, description="refuse at or above")
    new_account_seconds: int = Field(default=86_400, ge=0, description="younger is a signal")
    w_new_account: float = Field(default=0.3, ge=0, le=1)
    device_accounts_limit: int = Field(default=3, ge=1, description="helpers per device a day")
    w_shared_device: float = Field(default=0.7, ge=0, le=1)
    net_assists_limit: int = Field(default=30, ge=1, description="assists per /24 in 10 min")
    w_busy_network: float = Field(default=0.5, ge=0, le=1)
    helper_assists_limit: int = Field(default=20, ge=1, description="one helper's per hour")
    w_fast_helper: float = Field(default=0.6, ge=0, le=1)
    w_no_share_open: float = Field(default=0.1, ge=0, le=1)
    min_open_seconds: float = Field(default=2.0, ge=0, description="faster after the open")
    w_instant_after_open: float = Field(default=0.3, ge=0, le=1)
    w_share_not_opened: float = Field(
        default=0.2, ge=0, le=1, description="a share cited with no open of it recorded"
    )
    open_memory_seconds: int = Field(
        default=86_400, ge=60, description="how long the scorer remembers a share open"
    )
    w_reciprocal: float = Field(default=0.25, ge=0, le=1)
    w_automation: float = Field(default=0.65, ge=0, le=1)
    spike_window_seconds: int = Field(default=300, ge=10)
    spike_min_assists: int = Field(default=30, ge=2, description="per instance per window")
    spike_assists_per_open: float = Field(default=3.0, gt=0)
    spike_watch_seconds: int = Field(default=1800, ge=60, description="hold new assists this long")
    spike_network_assists: int = Field(
        default=12,
        ge=2,
        description="assists on one instance from one /24 (/48) per window that are a spike",
    )
    campaign_spike_min_assists: int = Field(
        default=300, ge=2, description="per campaign per window before a campaign spike"
    )
    campaign_spike_assists_per_open: float = Field(
        default=3.0, gt=0, description="campaign assists per share open that is a spike"
    )
    ring_warn_min_assists: int = Field(
        default=3, ge=1, description="a confirmed ring's initiator with this many is warned"
    )
    # Inline groups (risk/inline.py `group_hold`): fresh accounts from one network.
    group_instance_assists: int = Field(
        default=2,
        ge=0,
        description="a fresh account's assist held when its /24 sent this many to the "
        "instance in the spike window (0: off)",
    )
    group_campaign_assists: int = Field(
        default=2,
        ge=0,
        description="fresh accounts' assists from one /24 across a campaign in the group "
        "window from which they are held as a group (0: off)",
    )
    group_window_seconds: int = Field(
        default=3600, ge=60, description="the window of the campaign's network groups"
    )
    # Bursts with no share open (risk/inline.py `burst_hold`): accounts of any age.
    burst_instance_assists: int = Field(
        default=3,
        ge=0,
        description="an assist with no share open held when its /24 sent this many to the "
        "instance in the spike window (0: off)",
    )
    burst_campaign_assists: int = Field(
        default=2,
        ge=0,
        description="accounts tapping with no share open (or within min_open_seconds of it) "
        "from one /24 or one phone across a campaign in the burst window from which they "
        "are held as a group (0: off)",
    )
    burst_window_seconds: int = Field(
        default=60, ge=10, description="the sliding window of the campaign's no-open bursts"
    )
    # Held assists bounded (the hot path, under the instance lock): beyond these a hold
    # is refused with 429 hold_limit_reached.
    held_per_instance: int = Field(
        default=20, ge=1, description="most assists one instance may have waiting on hold"
    )
    held_per_network: int = Field(
        default=30, ge=1, description="most assists one /24 may put on hold in a shop per window"
    )
    held_network_window_seconds: int = Field(
        default=86_400, ge=60, description="the window of held_per_network"
    )
    held_retry_after_seconds: int = Field(
        default=900, ge=1, description="Retry-After of a hold refused on a full instance"
    )
