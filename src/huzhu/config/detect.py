"""Batch ring detection: `HUZHU_DETECT__*`."""

from __future__ import annotations

from pydantic import BaseModel, Field


class DetectSettings(BaseModel):
    """Batch ring detection (`huzhu detect run`, risk/graph): what a ring must look like
    before it goes to the review queue."""

    window_seconds: int = Field(default=3600, ge=1, description="lockstep window (CopyCatch dt)")
    min_accounts: int = Field(default=5, ge=2, description="smallest lockstep ring (n)")
    min_targets: int = Field(default=4, ge=2, description="fewest instances it works (m)")
    untimed_min_accounts: int = Field(
        default=10, ge=2, description="smallest ring found without time (slow rings)"
    )
    untimed_min_targets: int = Field(default=8, ge=2, description="its fewest instances")
    rho: float = Field(
        default=0.6, gt=0, le=1, description="share of the ring's instances each member works"
    )
    min_significance: float = Field(
        default=6.0, ge=0, description="-log10 chance at or above which a group is a ring"
    )
    schedule_every_seconds: int | None = Field(
        default=None,
        ge=0,
        description="scan shops with recent assists this often (0: off; unset: 3600, "
        "off under HUZHU_ENV=test)",
    )
    schedule_window_seconds: int = Field(
        default=7 * 86_400, ge=60, description="how far back a scheduled scan looks"
    )
    auto_confirm_significance: float | None = Field(
        default=None, gt=0, description="confirm a ring above this -log10 chance (unset: never)"
    )
    # Farm or friends (risk/farm.py): a ring is confirmed by rule only with one of these
    # signs; without any it is a likely mutual-help group.
    farm_accounts_per_device: float = Field(
        default=2.0, ge=1, description="accounts per phone from which a group shares devices"
    )
    farm_accounts_per_network: float = Field(
        default=6.0, ge=1, description="accounts per /24 (/48) from which it shares networks"
    )
    farm_open_to_assist_seconds: float = Field(
        default=3.0, ge=0, description="median open-to-assist seconds below which taps are instant"
    )
    farm_unopened_share: float = Field(
        default=0.8, gt=0, le=1, description="share of assists with no open that is a farm sign"
    )
    farm_min_accounts: int = Field(
        default=5,
        ge=2,
        description="smallest group of accounts linked by shared phones the scan reports",
    )
    fresh_account_seconds: int = Field(
        default=7 * 86_400, ge=0, description="accounts younger at their first assist are fresh"
    )
    mutual_help_reason_min_chars: int = Field(
        default=20, ge=1, description="an analyst's reason to enforce on a likely mutual-help group"
    )
