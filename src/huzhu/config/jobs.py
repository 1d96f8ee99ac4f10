"""The job runner: `HUZHU_JOBS__*`."""

from __future__ import annotations

from pydantic import BaseModel, Field


class JobSettings(BaseModel):
    run_in_process: bool = Field(default=True, description="run the job worker inside serve")
    poll_interval_seconds: float = Field(default=0.5, gt=0)
    lease_seconds: int = Field(default=60, ge=1)
    backoff_base_seconds: float = Field(
        default=2.0, gt=0, description="a failed job waits base × 2^(attempt−1) seconds"
    )
    backoff_max_seconds: float = Field(default=3600.0, gt=0, description="cap on one wait")
    keep_done_seconds: int = Field(
        default=7 * 24 * 3600, ge=3600, description="finished jobs are kept this long"
    )
