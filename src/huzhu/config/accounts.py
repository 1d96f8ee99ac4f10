"""Who may sign in, and how: `HUZHU_ACCOUNTS__*`."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AccountSettings(BaseModel):
    local_login_open: bool = Field(
        default=True,
        description="anyone may sign in as a participant by name (demo); off in production",
    )
