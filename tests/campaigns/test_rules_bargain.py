"""The bargain's cuts: exactly max_helpers cuts of at least one cent summing to the
target, the same for the same seed."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

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
