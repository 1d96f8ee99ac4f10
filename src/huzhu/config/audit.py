"""The audit log: `HUZHU_AUDIT__*`."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AuditSettings(BaseModel):
    retention_days: int = Field(
        default=730,
        ge=1,
        description="audit entries older than this are dropped; the chain stays verifiable",
    )
