"""Request and response models of the audit domain."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


class AuditFilter(BaseModel):
    """Which entries: every field optional, all given ones must hold."""

    kind: str | None = Field(
        default=None, max_length=60, description='an action ("report.filed") or a family ("report")'
    )
    actor: str | None = Field(
        default=None, max_length=80, description='an actor ("operator:3") or a kind ("operator")'
    )
    account_id: int | None = Field(
        default=None, ge=1, le=2**63 - 1, description="about this account"
    )
    subject_type: str | None = Field(default=None, max_length=30)
    subject_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    since: datetime | None = Field(default=None, description="at or after (ISO 8601)")
    until: datetime | None = Field(default=None, description="before (ISO 8601)")

    @field_validator("since", "until", mode="before")
    @classmethod
    def _iso_only(cls, value: object) -> object:
        # pydantic would read a bare number as seconds since 1970: a filter that says
        # "until=0.5" is a mistake to point out, not a time.
        if isinstance(value, int | float) or (
            isinstance(value, str) and NUMBER.fullmatch(value.strip())
        ):
            raise ValueError(
                "give a date or time in ISO 8601, e.g. 2026-12-07 or 2026-12-07T08:00Z"
            )
        return value

    @field_validator("since", "until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        # A time without a zone is read as UTC, the zone every stored time is in.
        if value is None:
            return None
        try:
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        except OverflowError as exc:  # 9999-12-31T23:00-05:00 is past the last UTC time
            raise ValueError("the time is out of range") from exc


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    seq: int | None = Field(description="place in the shop's chain; null until committed")
    actor: str
    action: str
    subject_type: str
    subject_id: int
    account_id: int | None
    reason: str = Field(description="why, in words; empty once erased with its person")
    reason_erased: bool
    details: dict[str, Any]
    created_at: datetime
    hash: str | None
    prev_hash: str | None
