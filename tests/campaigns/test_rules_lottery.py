"""The draw is a pure, deterministic function of seed, entries and prizes: properties."""

from __future__ import annotations

import hashlib
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from huzhu.campaigns.rules.lottery import (
    ALGORITHM,
    Prize,
    build_record,
    commitment_for,
    draw,
    entries_for,
    sorted_entries,
    verify_record,
)

seeds = st.binary(min_size=32, max_size=32).map(bytes.hex)
entrant_ids = st.text(alphabet="0123456789abcdef", min_size=4, max_size=8)
entry_lists = st.lists(st.tuples(entrant_ids, st.integers(1, 6)), max_size=40)
prize_lists = st.lists(
    st.builds(
        Prize,
        name=st.sampled_from(["top", "second", "coupon"]),
        value_cents=st.integers(1, 5_000_000),
        quantity=st.integers(1, 5),
    ),
    min_size=1,
    max_size=3,
)


@given(seed=seeds, entries=entry_lists, prizes=prize_lists)
def test_same_seed_and_entries_give_the_same_winners(
    seed: str, entries: list[tuple[str, int]], prizes: list[Prize]
) -> None:
    assert draw(seed_hex=seed, entries=entries, prizes=prizes) == draw(
        seed_hex=seed, entries=list(entries), prizes=prizes
    )


@given(seed=seeds, entries=entry_lists, prizes=prize_lists, shuffle_seed=st.integers())
def test_order_of_input_entries_does_not_matter(
    seed: str, entries: list[tuple[str, int]], prizes: list[Prize], shuffle_seed: int
) -> None:
    shuffled = list(entries)
    random.Random(shuffle_seed).shuffle(shuffled)
    assert draw(seed_hex=seed, entries=shuffled, prizes=prizes) == draw(
        seed_hex=seed, entries=entries, prizes=prizes
    )


@given(seed=seeds, entries=entry_lists, prizes=prize_lists)
def test_winners_are_distinct_entrants_and_as_many_as_prizes_allow(
    seed: str, entries: list[tuple[str, int]], prizes: list[Prize]
) -> None:
    winners = draw(seed_hex=seed, entries=entries, prizes=prizes)
    counts = dict(sorted_entries(entries))
    names = [w.entrant for w in winners]
    assert set(names) <= set(counts)
    assert len(names) == len(set(names))
    assert len(winners) == min(sum(p.quantity for p in prizes), len(counts))
    assert all(1 <= w.ticket <= counts[w.entrant] for w in winners)
    assert [w.slot for w in winners] == list(range(len(winners)))


@given(seed=seeds, entries=entry_lists, prizes=prize_lists)
def test_a_record_verifies_from_itself_alone(
    seed: str, entries: list[tuple[str, int]], prizes: list[Prize]
) -> None:
    record = build_record(
        campaign_id=1,
        commitment_hex=commitment_for(seed),
        seed_hex=seed,
        entries=entries,
        prizes=prizes,
        drawn_at="2026-01-01T00:00:00+00:00",
    )
    assert all(check.ok for check in verify_record(record))


@settings(max_examples=50)
@given(seed=seeds, other=seeds)
def test_a_different_seed_fails_the_commitment(seed: str, other: str) -> None:
    entries = [("aa", 2), ("bb", 1), ("cc", 3)]
    prizes = [Prize("top", 100, 2)]
    record = build_record(
        campaign_id=1,
        commitment_hex=commitment_for(seed),
        seed_hex=seed,
        entries=entries,
        prizes=prizes,
        drawn_at="x",
    )
    record["seed_hex"] = other
    commitment_ok = {c.name: c.ok for c in verify_record(record)}["commitment"]
    assert commitment_ok == (other == seed)


def test_commitment_is_sha256_of_the_seed_bytes() -> None:
    seed = "00" * 31 + "01"
    assert commitment_for(seed) == hashlib.sha256(bytes.fromhex(seed)).hexdigest()


def test_entries_are_base_plus_counted_assists_capped() -> None:
    assert entries_for(base_entries=1, counted_assists=3, entry_cap=10) == 4
    assert entries_for(base_entries=1, counted_assists=30, entry_cap=10) == 10
    assert entries_for(base_entries=0, counted_assists=0, entry_cap=10) == 0


def test_known_answer_pins_the_algorithm() -> None:
    """A fixed vector: changing the algorithm without a new version name breaks this."""
    winners = draw(
        seed_hex="ab" * 32,
        entries=[("alice", 3), ("bob", 1), ("carol", 2)],
        prizes=[Prize("top", 100, 1), Prize("coupon", 10, 5)],
    )
    assert ALGORITHM == "huzhu-draw-v1"
    assert [w.entrant for w in winners] == ["carol", "alice", "bob"]
