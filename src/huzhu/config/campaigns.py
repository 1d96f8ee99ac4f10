"""Platform limits on every campaign: `HUZHU_CAMPAIGNS__*`."""

from __future__ import annotations

from pydantic import BaseModel, Field

LEGAL_TOP_PRIZE_CENTS = 5_000_000


class CampaignSettings(BaseModel):
    max_helpers_limit: int = Field(
        default=200, ge=1, le=10_000, description="platform cap on a bargain's max_helpers"
    )
    # China's 2020 promotion rules (《规范促销行为暂行规定》) cap a prize-giving
    # sale's top prize at ¥50,000, discounts included: a platform may set a lower ceiling,
    # never a higher one.
    max_top_prize_cents: int = Field(
        default=LEGAL_TOP_PRIZE_CENTS,
        ge=1,
        le=LEGAL_TOP_PRIZE_CENTS,
        description="¥50,000: the 2020 promotion rules' prize ceiling (lower only)",
    )
    max_bargain_cut_cents: int = Field(
        default=5_000_000, ge=1, description="the most one bargain may cut (price − floor)"
    )
    max_unlock_reward_cents: int = Field(
        default=5_000_000, ge=1, description="the most one unlock's reward may be worth"
    )
    reference_price_window_days: int = Field(
        default=7,
        ge=1,
        le=90,
        description="a reference price naming an item is at most the lowest price recorded "
        "for it in this many days before launch",
    )
    default_instance_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    default_purchase_window_seconds: int = Field(default=24 * 3600, ge=60)
    default_daily_assists_per_helper: int = Field(default=5, ge=1)
