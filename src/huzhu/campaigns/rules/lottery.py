"""The assist lottery's provably fair draw: pure functions, no I/O.

Fairness rests on a commit–reveal scheme. At launch a 32-byte random seed is drawn and
its commitment `SHA-256(seed bytes)` is published with the rules; the seed stays secret
until the draw. At the draw the seed is revealed and the winners are a deterministic
function of (seed, sorted entries, prizes), so anyone holding the public draw record can
re-run it (`huzhu verify-draw`) and the operator could not have picked the seed after
seeing who entered.

Algorithm `huzhu-draw-v1`:

1. Entries are `(entrant, count)` pairs: `entrant` is a pseudonymous id, `count` the
   entrant's tickets. They are merged by entrant and sorted by entrant; each entrant's
   tickets are numbered 1..count, giving the ticket list ordered by (entrant, number).
   The caller's order never matters.
2. Prizes are expanded in the published order into prize slots 0..Q−1, `quantity` slots
   per prize (the top prize is listed first, so it is drawn first).
3. For prize slot i, with R tickets remaining, take counter c = 0, 1, … and
   h = SHA-256(seed ‖ "huzhu-draw-v1" ‖ i as 8-byte big-endian ‖ c as 8-byte big-endian);
   read h as a 256-bit big-endian integer x and accept it when x < 2^256 − (2^256 mod R)
   (rejection sampling: every remaining ticket is exactly equally likely, no modulo
   bias); the winning ticket is the (x mod R)-th remaining one.
4. A participant wins at most once: all of the winner's tickets leave the list.
5. The draw stops when the slots or the tickets run out, so the number of winners is
   min(Q, distinct entrants).
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ALGORITHM = "huzhu-draw-v1"
SEED_BYTES = 32
_SPACE = 1 << 256


@dataclass(frozen=True, slots=True)
class Prize:
    name: str
    value_cents: int
    quantity: int


@dataclass(frozen=True, slots=True)
class Winner:
    slot: int
    prize: str
    entrant: str
    ticket: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "slot": self.slot,
            "prize": self.prize,
            "entrant": self.entrant,
            "ticket": self.ticket,
        }


def commitment_for(seed_hex: str) -> str:
    """The public commitment to a seed: hex SHA-256 of the seed's bytes."""
    return hashlib.sha256(bytes.fromhex(seed_hex)).hexdigest()


def entries_for(*, base_entries: int, counted_assists: int, entry_cap: int) -> int:
    """One participant's tickets: the base entries plus one per counted assist, capped."""
    return max(0, min(base_entries + max(0, counted_assists), entry_cap))


def prizes_from_rules(raw: Iterable[Mapping[str, Any]]) -> list[Prize]:
    return [
        Prize(name=str(p["name"]), value_cents=int(p["value_cents"]), quantity=int(p["quantity"]))
        for p in raw
    ]


def sorted_entries(entries: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    """Merge by entrant and sort by entrant; entrants with no tickets drop out."""
    merged: dict[str, int] = {}
    for entrant, count in entries:
        merged[entrant] = merged.get(entrant, 0) + int(count)
    return sorted((e, n) for e, n in merged.items() if n > 0)


def _tickets(entries: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    return [(entrant, k) for entrant, count in entries for k in range(1, count + 1)]


def _draw_index(seed: bytes, slot: int, remaining: int) -> int:
    limit = _SPACE - (_SPACE % remaining)
    counter = 0
    while True:
        digest = hashlib.sha256(
            seed + ALGORITHM.encode() + slot.to_bytes(8, "big") + counter.to_bytes(8, "big")
        ).digest()
        x = int.from_bytes(digest, "big")
        if x < limit:
            return x % remaining
        counter += 1


def draw(
    *, seed_hex: str, entries: Iterable[tuple[str, int]], prizes: Sequence[Prize]
) -> list[Winner]:
    """The winners, in prize-slot order. Deterministic in (seed, entries, prizes)."""
    seed = bytes.fromhex(seed_hex)
    tickets = _tickets(sorted_entries(entries))
    slots = [prize.name for prize in prizes for _ in range(prize.quantity)]
    winners: list[Winner] = []
    for slot, prize_name in enumerate(slots):
        if not tickets:
            break
        entrant, ticket = tickets[_draw_index(seed, slot, len(tickets))]
        winners.append(Winner(slot=slot, prize=prize_name, entrant=entrant, ticket=ticket))
        # The entrant's tickets are contiguous (sorted by entrant): drop them all at once.
        start = bisect.bisect_left(tickets, (entrant, 0))
        end = bisect.bisect_right(tickets, (entrant, 1 << 62))
        del tickets[start:end]
    return winners


def build_record(
    *,
    campaign_id: int,
    commitment_hex: str,
    seed_hex: str,
    entries: Iterable[tuple[str, int]],
    prizes: Sequence[Prize],
    drawn_at: str,
) -> dict[str, Any]:
    """The public draw record: everything needed to re-run and check the draw, alone."""
    ordered = sorted_entries(entries)
    winners = draw(seed_hex=seed_hex, entries=ordered, prizes=prizes)
    return {
        "algorithm": ALGORITHM,
        "campaign_id": campaign_id,
        "commitment_hex": commitment_hex,
        "seed_hex": seed_hex,
        "drawn_at": drawn_at,
        "prizes": [
            {"name": p.name, "value_cents": p.value_cents, "quantity": p.quantity} for p in prizes
        ],
        "entries": [{"entrant": e, "entries": n} for e, n in ordered],
        "total_tickets": sum(n for _, n in ordered),
        "winners": [w.as_dict() for w in winners],
    }


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str


LAUNCH_CHECK = "launch commitment"


def launch_check(
    record: Mapping[str, Any], launch_hex: str | None, *, source: str = "published at launch"
) -> Check:
    """The record's commitment against the one published before anyone could enter. A
    forged record — a fresh seed and a commitment made to match it — passes
    `verify_record`, which trusts the record; it never passes this."""
    claimed = str(record.get("commitment_hex") or "").lower() or None
    launch = launch_hex.lower() if launch_hex else None
    return Check(
        LAUNCH_CHECK,
        launch is not None and claimed == launch,
        f"record commitment = {claimed}, {source} = {launch}",
    )


def verify_record(record: Mapping[str, Any]) -> list[Check]:
    """Re-check a draw record from itself alone: the seed matches the commitment, and the
    published winners are what the algorithm gives for the seed, entries and prizes."""
    checks: list[Check] = []
    algorithm = record.get("algorithm")
    checks.append(
        Check(
            "algorithm",
            algorithm == ALGORITHM,
            f"record says {algorithm!r}, verifier knows {ALGORITHM!r}",
        )
    )
    try:
        seed_hex = str(record["seed_hex"])
        commitment = str(record["commitment_hex"]).lower()
        prizes = prizes_from_rules(record["prizes"])
        entries = [(str(e["entrant"]), int(e["entries"])) for e in record["entries"]]
        published = [
            Winner(
                slot=int(w["slot"]),
                prize=str(w["prize"]),
                entrant=str(w["entrant"]),
                ticket=int(w["ticket"]),
            )
            for w in record["winners"]
        ]
        actual_commitment = commitment_for(seed_hex)
    except (KeyError, TypeError, ValueError) as exc:
        checks.append(
            Check("record", False, f"the record is malformed ({type(exc).__name__}: {exc})")
        )
        return checks
    checks.append(
        Check(
            "commitment",
            actual_commitment == commitment,
            f"sha256(seed) = {actual_commitment}, published commitment = {commitment}",
        )
    )
    sorted_ok = entries == sorted_entries(entries)
    checks.append(
        Check(
            "entries",
            sorted_ok,
            "entries are merged and sorted by entrant"
            if sorted_ok
            else "entries are not in canonical order",
        )
    )
    expected = draw(seed_hex=seed_hex, entries=entries, prizes=prizes)
    same = expected == published
    detail = f"{len(expected)} winner(s) re-drawn" + (
        "" if same else f"; first difference at slot {_first_difference(expected, published)}"
    )
    checks.append(Check("winners", same, detail))
    return checks


def _first_difference(a: Sequence[Winner], b: Sequence[Winner]) -> int:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return min(len(a), len(b))
