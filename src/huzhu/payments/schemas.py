"""What a payment provider call returns."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class PaymentResult(BaseModel):
    """The provider's reference for one money movement. `replayed` is true when the
    idempotency key had already been used and this is the first call's result."""

    model_config = ConfigDict(frozen=True)

    ref: str
    op: str
    amount_cents: int
    parent_ref: str | None = None
    account_id: int | None = None
    replayed: bool = False
