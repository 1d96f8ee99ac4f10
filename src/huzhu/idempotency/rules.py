"""Pure rules of idempotency keys: who is asking, what exactly they asked, valid keys."""

from __future__ import annotations

import hashlib
from enum import StrEnum

MAX_KEY_LENGTH = 200
ANONYMOUS = "anonymous"


class RecordState(StrEnum):
    IN_PROGRESS = "in_progress"  # a request holds the key until locked_until
    DONE = "done"  # the answer is stored and is replayed


def principal_of(authorization: bytes | None) -> str:
    """Keys are scoped per caller: a digest of the Authorization header, so two callers
    cannot read each other's stored responses by guessing a key, and no bearer secret is
    stored."""
    if not authorization:
        return ANONYMOUS
    return hashlib.sha256(authorization).hexdigest()


def request_hash(*, method: str, path: str, query: bytes, body: bytes) -> str:
    """What the key promises to mean: the same method, path, query and body."""
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), query):
        digest.update(part)
        digest.update(b"\x00")
    digest.update(body)
    return digest.hexdigest()


def key_problem(key: str) -> str | None:
    if not key.strip():
        return "the Idempotency-Key header is empty"
    if len(key) > MAX_KEY_LENGTH:
        return f"the Idempotency-Key header is longer than {MAX_KEY_LENGTH} characters"
    return None


def is_stored(status: int) -> bool:
    """5xx and 429 are not kept: the client must be able to retry the same key once the
    server (or its rate limit) recovers. Everything else is the request's answer."""
    return status < 500 and status != 429
