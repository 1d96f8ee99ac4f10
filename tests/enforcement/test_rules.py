"""Properties of the ladder (enforcement/rules.py): the next rung is monotone and never
skips, a lifted action does not count, a restriction lapses by the clock alone, and the
account mirror follows the strongest active participation action."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from huzhu.enforcement import rules
from huzhu.enforcement.rules import LADDER, ActionFact, ActionKind
from huzhu.enforcement.schemas import KindOrNext

T0 = datetime(2026, 1, 1, tzinfo=UTC)
MEMORY = timedelta(days=365)
PARTICIPATION = 30 * 24 * 3600


@st.composite
def facts(draw: st.DrawFn) -> ActionFact:
    kind = draw(st.sampled_from(LADDER))
    starts = T0 + timedelta(seconds=draw(st.integers(0, 400 * 24 * 3600)))
    duration = rules.duration_of(kind, participation_seconds=PARTICIPATION)
    lifted = draw(
        st.one_of(
            st.none(),
            st.integers(0, 30 * 24 * 3600).map(lambda s: starts + timedelta(seconds=s)),
        )
    )
    return ActionFact(
        kind=kind,
        starts_at=starts,
        expires_at=starts + duration if duration is not None else None,
        lifted_at=lifted,
        reason="r",
    )


histories = st.lists(facts(), max_size=12)
moments = st.integers(0, 800 * 24 * 3600).map(lambda s: T0 + timedelta(seconds=s))


@given(histories, moments)
def test_next_rung_is_one_above_the_current_and_never_skips(
    history: list[ActionFact], now: datetime
) -> None:
    current = rules.current_rung(history, now, memory=MEMORY)
    nxt = rules.rung_of(rules.next_kind(history, now, memory=MEMORY))
    assert nxt >= current  # monotone: never down
    assert nxt <= current + 1  # never skips a rung
    assert nxt == min(current + 1, rules.TOP_RUNG)


@given(histories, moments, st.sampled_from(LADDER))
def test_next_with_a_floor_is_one_above_the_current_but_never_below_the_floor(
    history: list[ActionFact], now: datetime, floor: ActionKind
) -> None:
    """A fake assister's first offence is a restriction (the floor); a repeat is one rung
    above wherever the account already stands, up to the ban."""
    current = rules.current_rung(history, now, memory=MEMORY)
    got = rules.rung_of(rules.next_kind(history, now, memory=MEMORY, floor=floor))
    assert got == min(max(current + 1, rules.rung_of(floor)), rules.TOP_RUNG)


@given(histories, moments)
def test_applying_next_again_and_again_walks_the_ladder_in_order(
    history: list[ActionFact], now: datetime
) -> None:
    # From a moment the whole history has already reached: an action starting during the
    # walk (a history dated after `now`) would rightly put the account higher at once.
    start = max([now, *(f.starts_at for f in history)])
    walked = list(history)
    rungs = []
    for step in range(7):
        at = start + timedelta(seconds=step)
        kind = rules.next_kind(walked, at, memory=MEMORY)
        rungs.append(rules.rung_of(kind))
        walked.append(ActionFact(kind=kind, starts_at=at, expires_at=None))
    assert rungs == sorted(rungs)
    assert all(b - a <= 1 for a, b in itertools.pairwise(rungs))
    assert rungs[-1] == rules.TOP_RUNG


@given(histories, facts(), moments)
def test_a_lifted_action_does_not_count(
    history: list[ActionFact], extra: ActionFact, now: datetime
) -> None:
    lifted = ActionFact(
        kind=extra.kind,
        starts_at=extra.starts_at,
        expires_at=extra.expires_at,
        lifted_at=min(extra.starts_at, now),
    )
    with_lifted = [*history, lifted]
    assert rules.current_rung(with_lifted, now, memory=MEMORY) == rules.current_rung(
        history, now, memory=MEMORY
    )
    assert rules.binding_for_invites([lifted], now) is None
    assert rules.account_standing([lifted], now).status == "active"


@given(facts(), st.integers(0, 10 * 24 * 3600))
def test_a_restriction_binds_until_it_expires_and_lapses_by_time_alone(
    fact: ActionFact, after: int
) -> None:
    unlifted = ActionFact(kind=fact.kind, starts_at=fact.starts_at, expires_at=fact.expires_at)
    if unlifted.kind is ActionKind.WARNING:
        assert rules.binding_for_invites([unlifted], unlifted.starts_at) is None
        return
    assert rules.binding_for_invites([unlifted], unlifted.starts_at) == unlifted
    if unlifted.expires_at is None:  # a ban lasts until it is lifted
        assert rules.account_standing([unlifted], T0 + timedelta(days=9999)).status == "banned"
        return
    just_before = unlifted.expires_at - timedelta(microseconds=1)
    assert rules.is_active(unlifted, just_before)
    later = unlifted.expires_at + timedelta(seconds=after)
    assert not rules.is_active(unlifted, later)
    assert rules.binding_for_invites([unlifted], later) is None
    assert rules.account_standing([unlifted], later) == rules.Standing("active", None, None)


@given(histories, moments)
def test_the_account_mirror_is_the_strongest_active_participation_action(
    history: list[ActionFact], now: datetime
) -> None:
    standing = rules.account_standing(history, now)
    active = [f for f in history if rules.is_active(f, now)]
    if any(f.kind is ActionKind.BAN for f in active):
        assert standing.status == "banned"
    elif any(f.kind is ActionKind.PARTICIPATION_RESTRICTION for f in active):
        assert standing.status == "restricted"
        assert standing.restricted_until == max(
            f.expires_at
            for f in active
            if f.kind is ActionKind.PARTICIPATION_RESTRICTION and f.expires_at is not None
        )
    else:
        assert standing == rules.Standing("active", None, None)


@given(histories, moments)
def test_invites_are_blocked_exactly_while_a_blocking_action_is_active(
    history: list[ActionFact], now: datetime
) -> None:
    blocking = rules.binding_for_invites(history, now)
    expected = [f for f in history if f.kind in rules.BLOCKS_INVITES and rules.is_active(f, now)]
    assert (blocking is None) == (not expected)
    if blocking is not None and blocking.expires_at is not None:
        # The reported "until" is the latest end among the binding actions.
        assert all(
            f.expires_at is not None and f.expires_at <= blocking.expires_at for f in expected
        )


def test_actions_older_than_the_memory_are_forgiven() -> None:
    old = ActionFact(kind=ActionKind.INVITE_RESTRICTION_7D, starts_at=T0, expires_at=None)
    assert rules.current_rung([old], T0 + MEMORY - timedelta(seconds=1), memory=MEMORY) == 3
    assert rules.current_rung([old], T0 + MEMORY, memory=MEMORY) == 0


def test_the_api_offers_next_and_exactly_the_ladder_kinds() -> None:
    assert [k.value for k in KindOrNext] == [rules.NEXT, *(k.value for k in LADDER)]
