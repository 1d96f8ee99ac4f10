"""The enforcement ladder and reports: `HUZHU_ENFORCEMENT__*`."""

from __future__ import annotations

from pydantic import BaseModel, Field


class EnforcementSettings(BaseModel):
    ladder_memory_days: int = Field(
        default=365, ge=1, description="an action counts for the next rung for this long"
    )
    participation_restriction_seconds: int = Field(
        default=30 * 24 * 3600, ge=60, description="how long a participation restriction lasts"
    )
    spam_reports_per_rung: int = Field(
        default=3,
        ge=1,
        description="confirmed spam reports (distinct reporters) that move a sender one rung",
    )
    spam_report_window_seconds: int = Field(
        default=30 * 24 * 3600, ge=60, description="only reports this recent count for the rule"
    )
    reports_per_day: int = Field(
        default=20,
        ge=1,
        description="reports one participant may file a day (reports shrink a sender's caps)",
    )
