"""Payments: `HUZHU_PAYMENTS__*`."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PaymentSettings(BaseModel):
    provider: str = Field(
        default="local", description="payment provider: local (a ledger in the database)"
    )
