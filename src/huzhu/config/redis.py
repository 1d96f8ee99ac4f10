"""Redis, shared by every worker: `HUZHU_REDIS__*`, its url also `HUZHU_REDIS_URL`."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RedisSettings(BaseModel):
    url: str | None = Field(
        default=None, description="redis://host:port/db; unset = in-process storage"
    )
    key_prefix: str = Field(
        default="huzhu",
        min_length=1,
        max_length=60,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="first part of every key Huzhu writes to Redis (invite caps, risk "
        "counters, report limits): deployments sharing one Redis must differ",
    )
