"""The inbox's pushes: `HUZHU_NOTIFY__*`."""

from __future__ import annotations

from pydantic import BaseModel, Field


class NotifySettings(BaseModel):
    """The participant inbox's pushes to other channels (WeChat): the inbox itself always
    gets every message that is not muted."""

    daily_pushes: int = Field(
        default=10,
        ge=0,
        description="copies pushed to one person's other channels a day (their own zone)",
    )
    assist_batch_seconds: int = Field(
        default=3600,
        ge=60,
        description="one 'friends helped' message per activity per this long",
    )
    notices_per_poll: int = Field(
        default=2000, ge=1, description="outbox events the assist notices read per poll"
    )
