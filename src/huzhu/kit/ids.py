"""Random identifiers and secrets."""

from __future__ import annotations

import hashlib
import secrets


def token(prefix: str, nbytes: int = 24) -> str:
    """An unguessable bearer secret, prefixed so a leaked one is recognisable."""
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"


def sha256_hex(value: str | bytes) -> str:
    data = value.encode() if isinstance(value, str) else value
    return hashlib.sha256(data).hexdigest()


def random_seed_hex(nbytes: int = 32) -> str:
    return secrets.token_hex(nbytes)
