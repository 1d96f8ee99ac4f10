"""Request and response models of the privacy domain."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Deleted(BaseModel):
    account_id: int = Field(description="the id, which from now on names no one")
    deleted_at: datetime
