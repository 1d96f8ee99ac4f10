"""Short keyed pseudonyms: stable under one key, apart across keys and purposes, the
length asked for, and any key length accepted."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from huzhu.kit.signing import short_hasher

KEY = b"k" * 32


@given(st.text(max_size=300), st.integers(min_value=1, max_value=128))
def test_a_pseudonym_is_stable_and_as_long_as_asked(value: str, chars: int) -> None:
    first = short_hasher(KEY, purpose="device", chars=chars)(value)
    assert first == short_hasher(KEY, purpose="device", chars=chars)(value)
    assert len(first) == chars
    assert all(c in "0123456789abcdef" for c in first)


def test_keys_and_purposes_keep_pseudonyms_apart() -> None:
    device = short_hasher(KEY, purpose="device")("install-1")
    assert short_hasher(b"j" * 32, purpose="device")("install-1") != device
    assert short_hasher(KEY, purpose="net")("install-1") != device
    assert short_hasher(KEY, purpose="device")("install-2") != device
    # Keyed BLAKE2b with the purpose as personalisation: the published construction.
    expected = hashlib.blake2b(b"install-1", digest_size=10, key=KEY, person=b"device")
    assert device == expected.hexdigest()


def test_a_key_longer_than_blake2b_takes_is_hashed_down() -> None:
    long_key = b"x" * 200
    value = short_hasher(long_key, purpose="device")("install-1")
    assert value == short_hasher(long_key, purpose="device")("install-1")
    assert value != short_hasher(b"x" * 64, purpose="device")("install-1")


@given(st.lists(st.text(max_size=50), max_size=20))
def test_a_reused_hasher_gives_each_value_its_own_pseudonym(values: list[str]) -> None:
    """The hot path keeps one hasher: no value may leave anything behind for the next."""
    hasher = short_hasher(KEY, purpose="device")
    for value in values:
        expected = hashlib.blake2b(value.encode(), digest_size=10, key=KEY, person=b"device")
        assert hasher(value) == expected.hexdigest()
