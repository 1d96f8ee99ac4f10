"""Webhook delivery: `HUZHU_WEBHOOKS__*`."""

from __future__ import annotations

from pydantic import BaseModel, Field


class WebhookSettings(BaseModel):
    timeout_seconds: float = Field(default=5.0, gt=0)
    max_attempts: int = Field(default=8, ge=1)
    backoff_base_seconds: float = Field(default=2.0, gt=0)
    backoff_max_seconds: float = Field(default=6 * 3600.0, gt=0, description="cap on one wait")
    allow_private_targets: bool = Field(
        default=True, description="allow webhook URLs on loopback/private networks"
    )
