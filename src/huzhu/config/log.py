"""Server logs: `HUZHU_LOG__*`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class LogSettings(BaseModel):
    format: Literal["text", "json"] = Field(
        default="text",
        description="server log lines: text (demo) or one JSON object a line (production)",
    )
