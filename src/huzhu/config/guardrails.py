"""Spending and participation guardrails: `HUZHU_GUARDRAILS__*`."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator


class GuardrailSettings(BaseModel):
    """Spending and participation guardrails (guardrails/): the shop's defaults for a
    person's caps and the ceilings a person may raise them to, the wait before a raise
    takes effect, the cooling-off pace, and when a money step asks for a confirmation."""

    daily_spend_cents: int = Field(
        default=100_000, ge=0, description="default cap on money committed a day (¥1,000)"
    )
    daily_spend_ceiling_cents: int = Field(
        default=1_000_000, ge=0, description="the most a person may raise their daily cap to"
    )
    monthly_spend_cents: int = Field(
        default=300_000, ge=0, description="default cap on money committed a month (¥3,000)"
    )
    monthly_spend_ceiling_cents: int = Field(
        default=5_000_000, ge=0, description="the most a person may raise their monthly cap to"
    )
    daily_starts: int = Field(
        default=10, ge=0, description="default cap on activities started a day"
    )
    daily_starts_ceiling: int = Field(default=50, ge=0)
    daily_joins: int = Field(default=10, ge=0, description="default cap on teams joined a day")
    daily_joins_ceiling: int = Field(default=50, ge=0)
    raise_wait_seconds: int = Field(
        default=24 * 3600, ge=0, description="how long a raised cap waits before it applies"
    )
    cooling_off_steps: int = Field(
        default=5, ge=0, description="money steps in an hour after which the next waits; 0: off"
    )
    cooling_off_minutes: int = Field(
        default=30, ge=1, le=24 * 60, description="how long the next money step waits"
    )
    confirm_above_cents: int = Field(
        default=0, ge=0, description="money steps above this amount need a confirmation first"
    )
    confirmation_ttl_seconds: int = Field(
        default=600, ge=30, le=24 * 3600, description="how long a confirmation stays valid"
    )
    summaries: bool | None = Field(
        default=None,
        description="send each person's daily or weekly summary to their inbox (their "
        "choice); unset means on, except under HUZHU_ENV=test",
    )

    @model_validator(mode="after")
    def _defaults_within_ceilings(self) -> GuardrailSettings:
        pairs = {
            "daily_spend_cents": self.daily_spend_ceiling_cents,
            "monthly_spend_cents": self.monthly_spend_ceiling_cents,
            "daily_starts": self.daily_starts_ceiling,
            "daily_joins": self.daily_joins_ceiling,
        }
        for name, ceiling in pairs.items():
            if getattr(self, name) > ceiling:
                raise ValueError(f"the default {name} is above its ceiling")
        return self
