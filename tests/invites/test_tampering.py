"""A share link survives no change: every byte flipped, every truncation, a re-signature
with a retired key, an unknown key, one second past expiry — each refused with its own
problem code, over HTTP, never a 500 and never an open."""

from __future__ import annotations

import dataclasses
import string

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from huzhu.app import create_app
from huzhu.invites import rules
from huzhu.kit import signing
from tests.assists.conftest import World
from tests.invites.conftest import issue, make_world, start

RING = rules.Keyring(
    keys={"k1": b"old-secret", "k2": b"new-secret"}, active_kid="k2", retired=frozenset()
)
CLAIMS = rules.LinkClaims("k2", 41, 7, 3, "friend", 1_700_000_000, 1_700_086_400)
NOW = 1_700_000_100.0
B64 = string.ascii_letters + string.digits + "-_"


def _flip(token: str, i: int) -> str:
    """Change byte i to another base64url character (or to '.', which is not one)."""
    alphabet = B64 + "."
    replacement = alphabet[(alphabet.index(token[i]) + 1) % len(alphabet)]
    return token[:i] + replacement + token[i + 1 :]


def test_the_genuine_token_verifies() -> None:
    assert rules.verify_link(RING, rules.sign_link(RING, CLAIMS), now_epoch=NOW) == CLAIMS


def test_every_single_byte_change_is_refused() -> None:
    token = rules.sign_link(RING, CLAIMS)
    for i in range(len(token)):
        for alt in (_flip(token, i), token[:i] + chr(ord(token[i]) ^ 0x01) + token[i + 1 :]):
            if alt == token:
                continue
            result = rules.verify_link(RING, alt, now_epoch=NOW)
            assert isinstance(result, rules.LinkProblem), (i, alt)
            # Only bytes inside the kid can turn it into a key this ring does not have.
            assert result in (rules.LinkProblem.TAMPERED, rules.LinkProblem.UNKNOWN_KEY)


def test_every_truncation_and_extension_is_refused() -> None:
    token = rules.sign_link(RING, CLAIMS)
    for n in range(len(token)):
        assert rules.verify_link(RING, token[:n], now_epoch=NOW) == rules.LinkProblem.TAMPERED
    for extra in ("A", "=", ".", "==", " "):
        assert rules.verify_link(RING, token + extra, now_epoch=NOW) == rules.LinkProblem.TAMPERED


@given(st.text(max_size=300))
def test_arbitrary_text_never_verifies_and_never_raises(text: str) -> None:
    assert isinstance(rules.verify_link(RING, text, now_epoch=NOW), rules.LinkProblem)


def test_a_token_of_a_retired_key_is_refused_as_retired() -> None:
    old = rules.sign_link(RING, dataclasses.replace(CLAIMS, kid="k1"))
    assert rules.verify_link(RING, old, now_epoch=NOW) != rules.LinkProblem.RETIRED_KEY
    retired = rules.Keyring(keys=RING.keys, active_kid="k2", retired=frozenset({"k1"}))
    assert rules.verify_link(retired, old, now_epoch=NOW) == rules.LinkProblem.RETIRED_KEY
    # Its key may even be gone from the ring already.
    gone = rules.Keyring(keys={"k2": b"new-secret"}, active_kid="k2", retired=frozenset({"k1"}))
    assert rules.verify_link(gone, old, now_epoch=NOW) == rules.LinkProblem.RETIRED_KEY


def test_a_forged_signature_under_a_retired_kid_is_still_tampered() -> None:
    forged = rules.sign_link(
        rules.Keyring(keys={"k1": b"guess"}, active_kid="k1", retired=frozenset()),
        dataclasses.replace(CLAIMS, kid="k1"),
    )
    retired = rules.Keyring(keys=RING.keys, active_kid="k2", retired=frozenset({"k1"}))
    assert rules.verify_link(retired, forged, now_epoch=NOW) == rules.LinkProblem.TAMPERED


def test_an_unknown_key_id_is_named_as_such() -> None:
    other = rules.Keyring(keys={"k9": b"x"}, active_kid="k9", retired=frozenset())
    token = rules.sign_link(other, dataclasses.replace(CLAIMS, kid="k9"))
    assert rules.verify_link(RING, token, now_epoch=NOW) == rules.LinkProblem.UNKNOWN_KEY


def test_expiry_is_exact_to_the_second() -> None:
    token = rules.sign_link(RING, CLAIMS)
    last = CLAIMS.expires_epoch - 1
    assert rules.verify_link(RING, token, now_epoch=last) == CLAIMS
    assert rules.verify_link(RING, token, now_epoch=last + 1) == rules.LinkProblem.EXPIRED


def test_a_non_canonical_base64_twin_is_refused() -> None:
    """The last character of unpadded base64 carries spare bits; a twin that decodes to
    the same bytes is a different token and must not verify."""
    token = rules.sign_link(RING, CLAIMS)
    body, _, sig = token.partition(".")
    twins = [
        sig[:-1] + c
        for c in B64
        if c != sig[-1] and signing.b64d(sig[:-1] + c) == signing.b64d(sig)
    ]
    assert twins, "a 32-byte signature leaves spare bits in its last character"
    for twin in twins:
        assert (
            rules.verify_link(RING, f"{body}.{twin}", now_epoch=NOW) == rules.LinkProblem.TAMPERED
        )


# -- over HTTP -------------------------------------------------------------------------------


@pytest.fixture
def sqlite_world(sqlite_url: str) -> World:
    return make_world(sqlite_url)


def test_every_byte_flipped_is_a_problem_over_http_never_a_500(sqlite_world: World) -> None:
    world = sqlite_world
    instance_id = start(world, "alice")
    _, alice = world.person("alice")
    with TestClient(create_app(world.settings), raise_server_exceptions=False) as client:
        token = issue(client, alice, instance_id).json()["token"]
        seen: set[str] = set()
        for i in range(len(token)):
            resp = client.post(f"/api/v1/shares/{_flip(token, i)}/open")
            assert resp.status_code in (404, 410), (i, resp.status_code, resp.text)
            assert resp.headers["content-type"].startswith("application/problem+json")
            seen.add(resp.json()["code"])
        assert seen <= {"link_tampered", "link_unknown_key"}
        assert "link_tampered" in seen
        for n in (1, 2, len(token) // 2, len(token) - 1):
            cut = client.post(f"/api/v1/shares/{token[:n]}/open")
            assert cut.status_code == 404
            assert cut.json()["code"] == "link_tampered"
        assert client.post(f"/api/v1/shares/{token}/open").status_code == 201


def test_rotation_over_http_old_links_work_until_their_key_is_retired(sqlite_url: str) -> None:
    keys = {"k1": SecretStr("first-secret"), "k2": SecretStr("second-secret")}
    before = make_world(sqlite_url, invites={"link_keys": keys, "link_active_kid": "k1"})
    instance_id = start(before, "alice")
    _, alice = before.person("alice")
    with TestClient(create_app(before.settings), raise_server_exceptions=False) as client:
        old = issue(client, alice, instance_id).json()["token"]
    rotated = make_world(sqlite_url, invites={"link_keys": keys, "link_active_kid": "k2"})
    with TestClient(create_app(rotated.settings), raise_server_exceptions=False) as client:
        assert client.post(f"/api/v1/shares/{old}/open").status_code == 201
        new = issue(client, alice, instance_id).json()["token"]
        assert (
            rules.verify_link(
                rules.Keyring(
                    keys={k: v.get_secret_value().encode() for k, v in keys.items()},
                    active_kid="k2",
                    retired=frozenset(),
                ),
                new,
                now_epoch=0,
            ).kid
            == "k2"
        )  # type: ignore[union-attr]
    retired = make_world(
        sqlite_url,
        invites={"link_keys": keys, "link_active_kid": "k2", "link_retired_kids": {"k1"}},
    )
    with TestClient(create_app(retired.settings), raise_server_exceptions=False) as client:
        resp = client.post(f"/api/v1/shares/{old}/open")
        assert resp.status_code == 410
        assert resp.json()["code"] == "link_retired_key"
        assert client.post(f"/api/v1/shares/{new}/open").status_code == 201
    unknown = make_world(
        sqlite_url, invites={"link_keys": {"k3": SecretStr("third")}, "link_active_kid": "k3"}
    )
    with TestClient(create_app(unknown.settings), raise_server_exceptions=False) as client:
        resp = client.post(f"/api/v1/shares/{new}/open")
        assert resp.status_code == 404
        assert resp.json()["code"] == "link_unknown_key"
