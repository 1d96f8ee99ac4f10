"""Idempotency keys: `HUZHU_IDEMPOTENCY__*`."""

from __future__ import annotations

from pydantic import BaseModel, Field


class IdempotencySettings(BaseModel):
    ttl_seconds: int = Field(
        default=24 * 3600, ge=60, description="how long a key's stored response is replayed"
    )
    wait_seconds: float = Field(
        default=10.0, ge=0, description="how long a replay waits for the first request"
    )
    lock_seconds: int = Field(
        default=60, ge=1, description="an in_progress key older than this may be taken over"
    )
    skip_paths: list[str] = Field(
        # The assist hot path handles its key itself, inside its one statement.
        default=[r"^/api/v1/instances/[^/]+/assists$"],
        description="regular expressions of paths the middleware leaves alone",
    )
