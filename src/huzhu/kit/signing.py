"""HMAC-SHA256 signing of short tokens and keyed hashes (and short keyed BLAKE2b
pseudonyms for what the hot path hashes on every request).

Tokens are `payload.signature`, both base64url without padding. Verification uses a
constant-time compare so a forged token cannot be found byte by byte.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64d(text: str) -> bytes:
    pad = "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(text + pad)


def b64d_canonical(text: str) -> bytes | None:
    """The bytes `text` encodes, only when `text` is exactly how b64e writes them: no
    padding, no characters outside the alphabet, no stray low bits in the last one.
    Otherwise one token would have many spellings that all pass."""
    try:
        raw = b64d(text)
    except ValueError:
        return None
    return raw if b64e(raw) == text else None


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.digest(key, message, "sha256")  # the one-shot C path: no HMAC object


def keyed_hash(key: bytes, value: str, *, purpose: str) -> str:
    """A pseudonym for personal data: the same input maps to the same hex string under
    one key, and nobody without the key can go back or test a guess."""
    return hmac.digest(key, f"{purpose}\x00{value}".encode(), "sha256").hex()


def short_hasher(key: bytes, *, purpose: str, chars: int = 20) -> Callable[[str], str]:
    """A function giving short pseudonyms (`chars` hex characters, at most 128) for values
    the hot path sees on every request, such as device ids and network prefixes: keyed
    BLAKE2b, a pseudorandom function of its key like HMAC. The purpose is BLAKE2b's
    personalisation (up to 16 bytes), so two purposes never share a pseudonym; a key
    longer than BLAKE2b's 64 bytes is hashed down to 64 first. The keyed state is made
    once and copied for each value, because a keyed BLAKE2b hashes its key as a block of
    its own first: copying costs less than half of building it each time. A closure,
    because a class with __call__ costs about twice as much a value, and `keyed_hash` cut
    short about four times."""
    if len(key) > 64:
        key = hashlib.blake2b(key).digest()
    copy = hashlib.blake2b(digest_size=(chars + 1) // 2, key=key, person=purpose.encode()[:16]).copy

    def pseudonym(value: str) -> str:
        digest = copy()
        digest.update(value.encode())
        return digest.hexdigest()[:chars]

    return pseudonym


def sign(key: bytes, payload: str) -> str:
    body = b64e(payload.encode())
    return f"{body}.{b64e(hmac_sha256(key, body.encode()))}"


def verify(key: bytes, token: str) -> str | None:
    """The payload of a genuine token, or None for anything tampered or malformed —
    including a genuine token spelled differently (a trailing `=`, a character outside
    the base64url alphabet): only the spelling `sign` gives is accepted."""
    body, sep, sig = token.partition(".")
    if not sep or not body or not sig:
        return None
    raw_sig = b64d_canonical(sig)
    if raw_sig is None or not hmac.compare_digest(hmac_sha256(key, body.encode()), raw_sig):
        return None
    raw = b64d_canonical(body)
    try:
        return raw.decode() if raw is not None else None
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True, slots=True)
class KeyRing:
    """The keys of keyed hashes by version: new hashes are made with `current`, and a
    value is looked up under every version, so a key can be rotated without forgetting
    anyone (a stored hash records its version and is made again with the current key the
    next time its value is seen)."""

    keys: Mapping[str, bytes]
    current: str

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise ValueError(f"no key for the current version {self.current!r}")

    @property
    def key(self) -> bytes:
        return self.keys[self.current]

    @property
    def previous(self) -> tuple[tuple[str, bytes], ...]:
        """The other versions, still accepted for lookup (retired ones are not listed)."""
        return tuple((v, k) for v, k in sorted(self.keys.items()) if v != self.current)

    def keyed_hash(self, value: str, *, purpose: str) -> str:
        return keyed_hash(self.key, value, purpose=purpose)

    def all_hashes(self, value: str, *, purpose: str) -> dict[str, str]:
        """The value's hash under every version, the current one first."""
        found = {self.current: self.keyed_hash(value, purpose=purpose)}
        for version, key in self.previous:
            found[version] = keyed_hash(key, value, purpose=purpose)
        return found
