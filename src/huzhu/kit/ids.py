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


# The largest id a JSON body may carry: clients commonly parse JSON numbers as doubles,
# exact only up to 2**53, so a larger bound would let a client believe an id valid that
# the server must refuse (path ids are strings and go to 2**63 - 1).
MAX_BODY_ID = 2**53
