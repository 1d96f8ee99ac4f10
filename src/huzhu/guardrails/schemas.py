"""What the guardrails answer about a person's own choices."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from huzhu.guardrails.rules import Cap


class CapChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    cap: Cap
    value: int
    chosen_at: datetime
    effective_at: datetime
    cancelled_at: datetime | None
