"""Errors of the idempotency middleware."""

from __future__ import annotations

from huzhu.errors import Conflict, InvalidInput

HEADER_FIELD = "Idempotency-Key"


class IdempotencyKeyInvalid(InvalidInput):
    code = "idempotency_key_invalid"
    title = "The Idempotency-Key header is not valid"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, field=HEADER_FIELD)


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency_key_reused"
    title = "This Idempotency-Key was used for a different request"

    def __init__(self) -> None:
        super().__init__(
            "the key was first used with another method, path or body; use a new key",
            field=HEADER_FIELD,
        )


class IdempotencyInProgress(Conflict):
    code = "idempotency_in_progress"
    title = "The first request with this Idempotency-Key is still running"
