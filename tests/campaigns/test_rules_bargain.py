"""The bargain's cuts: exactly max_helpers cuts of at least one cent summing to the
target, the same for the same seed."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from huzhu.campaigns.rules import bargain
from huzhu.campaigns.rules.bargain import SPLITS, SeededStream, cut_sequence, is_reachable

seeds = st.binary(min_size=32, max_size=32).map(bytes.hex)
# huzhu-cut-v1 for seed "5a" × 32, target 10,000 cents, 8 helpers. The first cut checks by
# hand: x = SHA-256(seed ‖ "huzhu-cut-v1" ‖ 0⁸) as an integer, 1 + x mod ⌊2·10000/8⌋ = 485.
KNOWN_DOUBLE_MEAN = [485, 214, 2069, 2796, 779, 1953, 448, 1256]
KNOWN_FRONT_LOADED = [1265, 1939, 785, 3742, 757, 1253, 170, 89]


@st.composite
def bargains(draw: st.DrawFn) -> tuple[str, int, int, str]:
    helpers = draw(st.integers(min_value=1, max_value=300))
    target = draw(st.integers(min_value=helpers, max_value=5_000_000))
    return draw(seeds), target, helpers, draw(st.sampled_from(SPLITS))


@given(bargains())
def test_cuts_sum_to_the_target_in_exactly_max_helpers_cuts_of_at_least_one_cent(
    case: tuple[str, int, int, str],
) -> None:
    seed, target, helpers, split = case
    cuts = cut_sequence(seed_hex=seed, target_cents=target, max_helpers=helpers, split=split)
    assert len(cuts) == helpers
    assert sum(cuts) == target
    assert min(cuts) >= 1


@given(bargains())
def test_the_same_seed_gives_the_same_cuts(case: tuple[str, int, int, str]) -> None:
    seed, target, helpers, split = case
    first = cut_sequence(seed_hex=seed, target_cents=target, max_helpers=helpers, split=split)
    again = cut_sequence(seed_hex=seed, target_cents=target, max_helpers=helpers, split=split)
    assert first == again


def test_different_seeds_give_different_cuts() -> None:
    a = cut_sequence(seed_hex="00" * 32, target_cents=10_000, max_helpers=20, split="double_mean")
    b = cut_sequence(seed_hex="01" * 32, target_cents=10_000, max_helpers=20, split="double_mean")
    assert a != b


def test_front_loaded_cuts_more_early_on_average() -> None:
    def first_half_share(split: str) -> float:
        total = 0.0
        for i in range(200):
            cuts = cut_sequence(
                seed_hex=f"{i:064x}", target_cents=100_000, max_helpers=10, split=split
            )
            total += sum(cuts[:5]) / 100_000
        return total / 200

    assert first_half_share("front_loaded") > first_half_share("double_mean")


def test_an_unreachable_target_is_refused() -> None:
    assert not is_reachable(target_cents=9, max_helpers=10)
    with pytest.raises(ValueError, match="one cent per helper"):
        cut_sequence(seed_hex="00" * 32, target_cents=9, max_helpers=10, split="double_mean")


def test_the_cuts_of_a_known_seed_never_change() -> None:
    """A known answer pins algorithm huzhu-cut-v1: the cuts stored with an instance must
    re-derive from its seed on any machine, Python version and future release."""
    seed = "5a" * 32
    assert (
        cut_sequence(seed_hex=seed, target_cents=10_000, max_helpers=8, split="double_mean")
        == KNOWN_DOUBLE_MEAN
    )
    assert (
        cut_sequence(seed_hex=seed, target_cents=10_000, max_helpers=8, split="front_loaded")
        == KNOWN_FRONT_LOADED
    )


@given(
    a=seeds,
    b=seeds,
    helpers=st.integers(min_value=5, max_value=50),
    split=st.sampled_from(SPLITS),
)
def test_different_seeds_give_different_cuts_for_any_roomy_bargain(
    a: str, b: str, helpers: int, split: str
) -> None:
    assume(a != b)
    target = 1_000 * helpers
    first = cut_sequence(seed_hex=a, target_cents=target, max_helpers=helpers, split=split)
    second = cut_sequence(seed_hex=b, target_cents=target, max_helpers=helpers, split=split)
    assert first != second


def test_a_seeded_stream_draws_every_value_of_a_small_range() -> None:
    stream = SeededStream("00" * 32)
    assert {stream.between(1, 3) for _ in range(200)} == {1, 2, 3}


# -- the public cut record ---------------------------------------------------------------

_TERMS = {"price_cents": 10_000, "floor_cents": 5_000, "max_helpers": 5, "split": "double_mean"}


def _cut_record(status: str, seed_hex: str, claimed: int) -> dict[str, object]:
    cuts = cut_sequence(seed_hex=seed_hex, target_cents=5_000, max_helpers=5, split="double_mean")
    return bargain.build_cut_record(
        instance_id=1,
        campaign_id=1,
        status=status,
        terms=_TERMS,
        seed_hex=seed_hex,
        claimed=[(i, cuts[i]) for i in range(claimed)],
    )


@given(seed=st.binary(min_size=32, max_size=32), claimed=st.integers(0, 5))
def test_a_running_bargains_record_hides_the_seed_and_every_cut_to_come(
    seed: bytes, claimed: int
) -> None:
    record = _cut_record("active", seed.hex(), claimed)
    assert record["seed_hex"] is None
    assert record["cuts"] is None
    assert seed.hex() not in repr(record)
    assert record["commitment_hex"] == hashlib.sha256(seed).hexdigest()


@given(
    seed=st.binary(min_size=32, max_size=32),
    status=st.sampled_from(["succeeded", "purchased", "expired"]),
    claimed=st.integers(0, 5),
)
def test_an_ended_bargains_record_verifies_from_its_seed(
    seed: bytes, status: str, claimed: int
) -> None:
    record = _cut_record(status, seed.hex(), claimed)
    checks = bargain.verify_cut_record(record)
    assert all(c.ok for c in checks), checks
    assert sum(record["cuts"]) == 5_000  # type: ignore[arg-type]


def test_a_cut_record_with_a_claimed_cut_changed_fails() -> None:
    record = _cut_record("succeeded", "ab" * 32, 5)
    record["claimed"][2]["value_cents"] += 1  # type: ignore[index]
    failed = {c.name for c in bargain.verify_cut_record(record) if not c.ok}
    assert failed == {"claimed"}


def test_a_cut_record_with_another_seed_fails_its_commitment() -> None:
    record = _cut_record("expired", "ab" * 32, 1)
    forged = _cut_record("expired", "cd" * 32, 0)
    record["seed_hex"], record["cuts"] = forged["seed_hex"], forged["cuts"]
    failed = {c.name for c in bargain.verify_cut_record(record) if not c.ok}
    assert "commitment" in failed
