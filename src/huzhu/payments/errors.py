"""Errors of the payments domain: each names the ledger invariant a call would break."""

from __future__ import annotations

from huzhu.errors import Conflict, InvalidInput, NotFound


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    title = "No such payment reference"


class PaymentKeyReused(Conflict):
    """The key already moved money for a different operation, amount or parent: replaying
    it must not silently return a result the caller did not ask for."""

    code = "payment_key_reused"
    title = "The idempotency key was used for a different payment"


class NotAnAuthorization(Conflict):
    code = "not_an_authorization"
    title = "Only an authorization can be captured or voided"


class NotACapture(Conflict):
    code = "not_a_capture"
    title = "Only a capture or a charge can be refunded"


class AuthorizationClosed(Conflict):
    """Capture at most once, void only while uncaptured: an authorization leaves the
    `authorized` state exactly once."""

    code = "authorization_closed"
    title = "The authorization was already captured or voided"


class RefundExceedsCapture(Conflict):
    code = "refund_exceeds_capture"
    title = "A refund cannot return more than was captured"


class InvalidAmount(InvalidInput):
    code = "invalid_amount"
    title = "The amount is not valid"


class UnknownPaymentProvider(InvalidInput):
    code = "unknown_payment_provider"
    title = "No such payment provider"
