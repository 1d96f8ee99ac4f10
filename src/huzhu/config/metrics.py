"""`/metrics`: `HUZHU_METRICS__*`."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class MetricsSettings(BaseModel):
    token: SecretStr | None = Field(
        default=None, description="bearer token /metrics asks for; unset = open"
    )
    multiprocess_dir: str | None = Field(
        default=None,
        description="where workers share metric values; `huzhu serve` sets it itself",
    )
