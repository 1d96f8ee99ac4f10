"""The webhook signature and the endpoint filter: pure rules, checked with hypothesis."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from huzhu.notify.rules import event_matches, signature_header, url_problem, verify_signature

secrets_ = st.text(min_size=1, max_size=40)
bodies = st.binary(max_size=300)
times = st.integers(min_value=1_000_000_000, max_value=4_000_000_000)


@given(secret=secrets_, body=bodies, t=times)
def test_signed_body_verifies(secret: str, body: bytes, t: int) -> None:
    assert verify_signature(secret, signature_header(secret, t, body), body, now=t + 10)


@given(secret=secrets_, body=bodies, t=times, extra=st.binary(min_size=1, max_size=5))
def test_changed_body_does_not_verify(secret: str, body: bytes, t: int, extra: bytes) -> None:
    assert not verify_signature(secret, signature_header(secret, t, body), body + extra, now=t)


@given(secret=secrets_, body=bodies, t=times)
def test_other_secret_does_not_verify(secret: str, body: bytes, t: int) -> None:
    assert not verify_signature(secret + "x", signature_header(secret, t, body), body, now=t)


@given(secret=secrets_, body=bodies, t=times, late=st.integers(min_value=301, max_value=10**6))
def test_stale_signature_is_refused(secret: str, body: bytes, t: int, late: int) -> None:
    """A captured request replayed later fails: the timestamp is signed with the body."""
    header = signature_header(secret, t, body)
    assert not verify_signature(secret, header, body, tolerance=300, now=t + late)


def test_forged_timestamp_does_not_verify() -> None:
    header = signature_header("s", 1_700_000_000, b"{}")
    forged = header.replace("t=1700000000", "t=1700000100")
    assert not verify_signature("s", forged, b"{}", now=1_700_000_100)


def test_malformed_headers_do_not_verify() -> None:
    for header in ("", "t=abc,v1=00", "v1=00", "t=1700000000", "garbage"):
        assert not verify_signature("s", header, b"{}", now=1_700_000_000)


def test_empty_filter_matches_every_event_and_families_match_by_prefix() -> None:
    assert event_matches([], "assist.counted")
    assert event_matches(["campaign.*"], "campaign.launched")
    assert not event_matches(["campaign.*"], "assist.counted")
    assert event_matches(["assist.counted"], "assist.counted")
    assert not event_matches(["assist.counted"], "assist.voided")


def test_private_targets_are_refused_when_not_allowed() -> None:
    assert url_problem("http://127.0.0.1:9/x", allow_private=False)
    assert url_problem("http://10.1.2.3/x", allow_private=False)
    assert url_problem("http://localhost/x", allow_private=False)
    assert url_problem("https://93.184.216.34/x", allow_private=False) is None
    assert url_problem("http://127.0.0.1:9/x", allow_private=True) is None
    assert url_problem("ftp://example.test/x", allow_private=True)
    assert url_problem("https://user:pw@example.test/x", allow_private=True)
