"""Bargain (砍价) rules: the seeded cut sequence, pure functions, no I/O.

A bargain has price P, floor F and target T = P − F. The instance is given its whole cut
sequence at start: exactly `max_helpers` cuts, each at least one cent, summing to exactly
T. The n-th counted assist claims the n-th cut, so the participant can always be told
the cents remaining and the most helpers still needed, and an unreachable bargain is
impossible by construction, not by promise.

The sequence is a function of the instance's seed alone, so anyone holding the seed can
re-derive it on any machine and any Python version. That is why it does not use
`random.Random` (whose algorithms are an implementation detail): the randomness is
SHA-256 in counter mode, and a bounded integer is taken by rejection sampling so every
value in the range is exactly equally likely (no modulo bias).

Algorithm `huzhu-cut-v1`, with R cents remaining and k cuts still to make:

- block c = SHA-256(seed bytes ‖ "huzhu-cut-v1" ‖ c as 8-byte big-endian), c = 0, 1, …,
  read as a 256-bit big-endian integer x; a draw below n accepts x when
  x < 2^256 − (2^256 mod n) and yields x mod n, else takes the next block;
- `double_mean` (the WeChat red-packet split): each cut but the last is uniform in
  [1, min(⌊2R/k⌋, R − (k − 1))]; the last takes the rest;
- `front_loaded`: the same with the bound ⌊4R/(k + 1)⌋, i.e. the mean cut of a linearly
  declining weight (k, k − 1, …, 1), so early helpers cut about twice as much and the
  first few assists feel worth it; the last takes the rest.

The upper bound R − (k − 1) leaves at least a cent for every later cut, so R ≥ k holds
throughout and every cut is at least one cent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from huzhu.campaigns.rules.lottery import Check, commitment_for

ALGORITHM = "huzhu-cut-v1"
SPLITS = ("double_mean", "front_loaded")
_SPACE = 1 << 256


class SeededStream:
    """Uniform integers from a hex seed: SHA-256 in counter mode with rejection sampling."""

    def __init__(self, seed_hex: str, *, label: str = ALGORITHM) -> None:
        self._prefix = bytes.fromhex(seed_hex) + label.encode()
        self._blocks = self._generate()

    def _generate(self) -> Iterator[int]:
        counter = 0
        while True:
            digest = hashlib.sha256(self._prefix + counter.to_bytes(8, "big")).digest()
            yield int.from_bytes(digest, "big")
            counter += 1

    def below(self, n: int) -> int:
        """A uniform integer in [0, n)."""
        if n < 1:
            raise ValueError("n must be at least 1")
        limit = _SPACE - (_SPACE % n)
        for x in self._blocks:
            if x < limit:
                return x % n
        raise AssertionError("unreachable: the block stream is infinite")

    def between(self, low: int, high: int) -> int:
        """A uniform integer in [low, high], both included."""
        return low + self.below(high - low + 1)


def is_reachable(*, target_cents: int, max_helpers: int) -> bool:
    """Whether `max_helpers` cuts of at least one cent can sum to exactly the target."""
    return max_helpers >= 1 and target_cents >= max_helpers


def _upper_bound(split: str, *, remaining: int, cuts_left: int) -> int:
    if split == "double_mean":
        mean_bound = 2 * remaining // cuts_left
    elif split == "front_loaded":
        mean_bound = 4 * remaining // (cuts_left + 1)
    else:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    # Leave at least one cent for each later cut.
    return max(1, min(mean_bound, remaining - (cuts_left - 1)))


def cut_sequence(*, seed_hex: str, target_cents: int, max_helpers: int, split: str) -> list[int]:
    """The instance's cuts in claim order: exactly `max_helpers` cuts, each >= 1 cent,
    summing to exactly `target_cents`. Raises ValueError for an unreachable config
    (campaign validation refuses those before any instance exists)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    if not is_reachable(target_cents=target_cents, max_helpers=max_helpers):
        raise ValueError("target_cents must be at least one cent per helper (max_helpers)")
    stream = SeededStream(seed_hex)
    cuts: list[int] = []
    remaining = target_cents
    for index in range(max_helpers - 1):
        cuts_left = max_helpers - index
        cut = stream.between(1, _upper_bound(split, remaining=remaining, cuts_left=cuts_left))
        cuts.append(cut)
        remaining -= cut
    cuts.append(remaining)
    return cuts


# -- the public cut record: commit at start, reveal at the end --------------------------
#
# Like the lottery's draw: the seed's commitment SHA-256(seed bytes) is public from the
# moment the instance starts (on its page, in its record and in the instance.started
# event), and the seed only once the instance no longer runs — at success every cut has
# been claimed, so the seed tells no one anything still to come. With the seed anyone
# re-derives every cut and checks each claimed one (`huzhu verify-cuts`).

RUNNING = "active"


def seed_revealed(status: str) -> bool:
    """Whether an instance in `status` shows its seed: never while it runs."""
    return status != RUNNING


def build_cut_record(
    *,
    instance_id: int,
    campaign_id: int,
    status: str,
    terms: Mapping[str, Any],
    seed_hex: str,
    claimed: Sequence[tuple[int, int]],
) -> dict[str, Any]:
    """The instance's public cut record. `claimed`: (slot, value) of the cuts counted
    assists hold now. The seed and the whole sequence only once `seed_revealed`."""
    price, floor = int(terms["price_cents"]), int(terms["floor_cents"])
    revealed = seed_revealed(status)
    return {
        "algorithm": ALGORITHM,
        "instance_id": instance_id,
        "campaign_id": campaign_id,
        "status": status,
        "split": str(terms.get("split", "double_mean")),
        "price_cents": price,
        "floor_cents": floor,
        "target_cents": price - floor,
        "max_helpers": int(terms["max_helpers"]),
        "commitment_hex": commitment_for(seed_hex),
        "seed_hex": seed_hex if revealed else None,
        "claimed": [{"slot": slot, "value_cents": value} for slot, value in sorted(claimed)],
        "cuts": (
            cut_sequence(
                seed_hex=seed_hex,
                target_cents=price - floor,
                max_helpers=int(terms["max_helpers"]),
                split=str(terms.get("split", "double_mean")),
            )
            if revealed
            else None
        ),
    }


def verify_cut_record(record: Mapping[str, Any]) -> list[Check]:
    """Re-check a cut record from itself alone: the seed matches the commitment, the
    sequence is what the seed gives for the terms, and every claimed cut is the one its
    slot holds. Compare the commitment with the one published at the start besides
    (lottery.launch_check): a record forged with a fresh seed passes this."""
    checks = [
        Check(
            "algorithm",
            record.get("algorithm") == ALGORITHM,
            f"record says {record.get('algorithm')!r}, verifier knows {ALGORITHM!r}",
        )
    ]
    try:
        seed_hex = record["seed_hex"]
        if seed_hex is None:
            checks.append(Check("seed", False, "not revealed yet: the bargain is still running"))
            return checks
        price, floor = int(record["price_cents"]), int(record["floor_cents"])
        target = int(record["target_cents"])
        expected = cut_sequence(
            seed_hex=str(seed_hex),
            target_cents=price - floor,
            max_helpers=int(record["max_helpers"]),
            split=str(record["split"]),
        )
        actual_commitment = commitment_for(str(seed_hex))
        published = [int(v) for v in record["cuts"]]
        claimed = [(int(c["slot"]), int(c["value_cents"])) for c in record["claimed"]]
    except (KeyError, TypeError, ValueError) as exc:
        checks.append(
            Check("record", False, f"the record is malformed ({type(exc).__name__}: {exc})")
        )
        return checks
    commitment = str(record.get("commitment_hex") or "").lower()
    checks.append(
        Check(
            "commitment",
            actual_commitment == commitment,
            f"sha256(seed) = {actual_commitment}, published commitment = {commitment}",
        )
    )
    checks.append(
        Check(
            "terms",
            target == price - floor,
            f"target {target} = price {price} − floor {floor}",
        )
    )
    checks.append(
        Check(
            "cuts",
            published == expected,
            f"{len(expected)} cut(s) re-derived, summing to {sum(expected)}"
            + ("" if published == expected else "; the published cuts differ"),
        )
    )
    wrong = [s for s, v in claimed if not 0 <= s < len(expected) or expected[s] != v]
    checks.append(
        Check(
            "claimed",
            not wrong,
            f"{len(claimed)} claimed cut(s) each equal to its slot's"
            if not wrong
            else f"claimed cut(s) at slot(s) {wrong} differ from the sequence",
        )
    )
    return checks
