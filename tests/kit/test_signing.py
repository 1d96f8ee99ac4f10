"""Short keyed pseudonyms: stable under one key, apart across keys and purposes, the
length asked for, and any key length accepted."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huzhu.kit.signing import KeyRing, keyed_hash, short_hasher, sign, verify

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


PAYLOADS = st.text(min_size=1, max_size=80)


@given(PAYLOADS)
def test_a_genuine_token_verifies_in_the_one_spelling_sign_gives(payload: str) -> None:
    token = sign(KEY, payload)
    assert verify(KEY, token) == payload
    body, _, sig = token.partition(".")
    respelled = [
        f"{token}=",  # padding that b64e never writes
        f"{token}==",
        f"{body}.{sig[:5]}*{sig[5:]}",  # a character outside the alphabet, skipped by a lax decoder
        f"{body}.{sig[:5]}\\n{sig[5:]}",
        f"{body}=.{sig}",
        f"{body}.{sig}.",
    ]
    for other in respelled:
        assert verify(KEY, other) is None, other


@given(PAYLOADS)
def test_the_last_characters_stray_bits_do_not_pass(payload: str) -> None:
    """A 32-byte signature leaves 2 unused bits in its last character: flipping them
    decodes to the same bytes, and must still be refused."""
    body, _, sig = sign(KEY, payload).partition(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(sig[-1])
    for low in range(1, 4):
        twin = f"{body}.{sig[:-1]}{alphabet[last ^ low]}"
        assert verify(KEY, twin) is None


def test_a_token_under_another_key_or_with_a_changed_body_fails() -> None:
    token = sign(KEY, "hello")
    assert verify(b"j" * 32, token) is None
    _body, _, sig = token.partition(".")
    assert verify(KEY, f"{sign(KEY, 'hellO').partition('.')[0]}.{sig}") is None
    assert verify(KEY, "") is None
    assert verify(KEY, ".") is None


def test_a_key_ring_hashes_with_its_current_version_and_finds_under_every_one() -> None:
    ring = KeyRing(keys={"v0": b"a" * 32, "v1": b"b" * 32, "v2": b"c" * 32}, current="v1")
    found = ring.all_hashes("login-1", purpose="subject:local")
    assert list(found) == ["v1", "v0", "v2"]  # the current version first
    assert found["v1"] == ring.keyed_hash("login-1", purpose="subject:local")
    assert found["v0"] == keyed_hash(b"a" * 32, "login-1", purpose="subject:local")
    assert len(set(found.values())) == 3
    assert [v for v, _ in ring.previous] == ["v0", "v2"]


def test_a_key_ring_refuses_a_current_version_it_has_no_key_for() -> None:
    with pytest.raises(ValueError, match="v9"):
        KeyRing(keys={"v0": KEY}, current="v9")
