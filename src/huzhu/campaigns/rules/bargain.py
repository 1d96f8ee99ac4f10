"""The bargain's cut sequence: max_helpers cuts of at least one cent summing to exactly
the target, drawn from a seed stored with the instance so anyone can re-derive it.

The generator is SHA-256 in counter mode with rejection sampling (no modulo bias), not
Python's `random`, so the same seed gives the same cuts on every machine and version.
`double_mean` follows the WeChat red-packet split: each cut is uniform in
[1, 2 · remaining / cuts_left], the last takes the rest. `front_loaded` draws the same
way but weights early cuts up, so the first friends see a bigger effect, and the tail
shrinks — both keep the invariants exactly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

SPLITS = ("double_mean", "front_loaded")


def _uniform_draws(seed_hex: str) -> Iterator[int]:
    """An endless stream of 64-bit integers from SHA-256(seed ‖ counter)."""
    seed = bytes.fromhex(seed_hex)
    counter = 0
    while True:
        digest = hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
        counter += 1
        for i in range(0, 32, 8):
            yield int.from_bytes(digest[i : i + 8], "big")


def _uniform_int(draws: Iterator[int], low: int, high: int) -> int:
    """Uniform in [low, high] by rejection sampling over 64-bit draws."""
    span = high - low + 1
    limit = (1 << 64) - ((1 << 64) % span)
    for value in draws:
        if value < limit:
            return low + value % span
    raise AssertionError("unreachable: the draw stream is endless")


def is_reachable(*, target_cents: int, max_helpers: int) -> bool:
    """Each counted assist cuts at least one cent, so a target below max_helpers cents
    cannot be split honestly."""
    return max_helpers >= 1 and target_cents >= max_helpers


def cut_sequence(*, seed_hex: str, target_cents: int, max_helpers: int, split: str) -> list[int]:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}")
    if not is_reachable(target_cents=target_cents, max_helpers=max_helpers):
        raise ValueError("target must be at least one cent per helper")
    draws = _uniform_draws(seed_hex)
    cuts: list[int] = []
    remaining = target_cents
    for left in range(max_helpers, 1, -1):
        # Leave at least one cent for each of the other left - 1 cuts.
        ceiling = remaining - (left - 1)
        mean_bound = (2 * remaining) // left
        if split == "front_loaded":
            # Early cuts may reach up to three times the mean share.
            mean_bound = (3 * remaining) // left
        high = max(1, min(ceiling, mean_bound))
        cut = _uniform_int(draws, 1, high)
        cuts.append(cut)
        remaining -= cut
    cuts.append(remaining)
    return cuts
