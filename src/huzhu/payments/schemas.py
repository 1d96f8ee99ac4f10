"""What a payment provider call returns, and the ledger's names for movements and states."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class PaymentOp(StrEnum):
    """One money movement, as the ledger's `op` column names it."""

    AUTHORIZE = "authorize"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"
    CHARGE = "charge"  # authorize and capture in one step
    PAYOUT = "payout"


class TxnState(StrEnum):
    """A ledger row's running state: an authorization moves authorized → captured |
    voided once; every other movement is done when it is recorded."""

    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    VOIDED = "voided"
    DONE = "done"


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


class Movements(BaseModel):
    """What moved for one person in a period, from the ledger: charged (captures and
    one-step charges), refunded, and paid out to them (rewards)."""

    charged_cents: int
    refunded_cents: int
    paid_out_cents: int
