"""The ladder as pure functions: which rung comes next, what binds now, what the account
mirror should say. No I/O, so the properties (monotone, never skips, lifted actions do
not count, expiry lapses by time) are tested directly with hypothesis.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from huzhu.accounts.rules import AccountStatus


class ActionKind(StrEnum):
    WARNING = "warning"
    INVITE_RESTRICTION_1D = "invite_restriction_1d"
    INVITE_RESTRICTION_7D = "invite_restriction_7d"
    PARTICIPATION_RESTRICTION = "participation_restriction"
    BAN = "ban"


LADDER: tuple[ActionKind, ...] = (
    ActionKind.WARNING,
    ActionKind.INVITE_RESTRICTION_1D,
    ActionKind.INVITE_RESTRICTION_7D,
    ActionKind.PARTICIPATION_RESTRICTION,
    ActionKind.BAN,
)
TOP_RUNG = len(LADDER)
NEXT = "next"  # `enforce(rung_or_kind="next")`: one rung above the current position


# An appeal is decided once: pending → upheld | lifted. (No docstring: it would become
# the description of the AppealStatus schema in the OpenAPI document.)
class AppealStatus(StrEnum):
    PENDING = "pending"
    UPHELD = "upheld"
    LIFTED = "lifted"  # also when an analyst lifted the action while the appeal waited


# Kinds that stop direct invites and share links: the invite restrictions, and anything
# stronger (someone who may not take part may not recruit either).
BLOCKS_INVITES = frozenset(LADDER[1:])
BLOCKS_PARTICIPATION = frozenset({ActionKind.PARTICIPATION_RESTRICTION, ActionKind.BAN})


def rung_of(kind: ActionKind) -> int:
    """1 for a warning … 5 for a ban; 0 is "nothing on record"."""
    return LADDER.index(kind) + 1


def duration_of(kind: ActionKind, *, participation_seconds: int) -> timedelta | None:
    """How long a kind binds; None = no expiry (a warning has no effect, a ban lasts
    until it is lifted)."""
    if kind is ActionKind.INVITE_RESTRICTION_1D:
        return timedelta(days=1)
    if kind is ActionKind.INVITE_RESTRICTION_7D:
        return timedelta(days=7)
    if kind is ActionKind.PARTICIPATION_RESTRICTION:
        return timedelta(seconds=participation_seconds)
    return None


@dataclass(frozen=True, slots=True)
class ActionFact:
    """What the ladder needs to know of one stored action."""

    kind: ActionKind
    starts_at: datetime
    expires_at: datetime | None
    lifted_at: datetime | None = None
    reason: str = ""
    action_id: int = 0


def is_active(fact: ActionFact, now: datetime) -> bool:
    """Binding right now: started, not expired, not lifted. Decided by the clock alone,
    so an expired restriction lapses without any job having run."""
    if fact.lifted_at is not None and fact.lifted_at <= now:
        return False
    if fact.starts_at > now:
        return False
    return fact.expires_at is None or fact.expires_at > now


def counts_for_ladder(fact: ActionFact, now: datetime, *, memory: timedelta) -> bool:
    """An action places the account on the ladder while it is not lifted and started
    within `memory`: a lifted action was a mistake, and an old one is forgiven. Its
    restriction having expired does not matter — the next offence still goes higher."""
    if fact.lifted_at is not None and fact.lifted_at <= now:
        return False
    return now - memory < fact.starts_at <= now


def current_rung(facts: Iterable[ActionFact], now: datetime, *, memory: timedelta) -> int:
    return max(
        (rung_of(f.kind) for f in facts if counts_for_ladder(f, now, memory=memory)), default=0
    )


def next_kind(
    facts: Iterable[ActionFact],
    now: datetime,
    *,
    memory: timedelta,
    floor: ActionKind = ActionKind.WARNING,
) -> ActionKind:
    """One rung above the current position, never past the ban, and never below `floor`:
    an offence that earns a restriction the first time (a fake assister's) goes one rung
    higher each time it is repeated within the ladder's memory, up to the ban."""
    rung = max(current_rung(facts, now, memory=memory), rung_of(floor) - 1)
    return LADDER[min(rung, TOP_RUNG - 1)]


def resolve_kind(
    rung_or_kind: str | int,
    facts: Iterable[ActionFact],
    now: datetime,
    *,
    memory: timedelta,
    floor: ActionKind = ActionKind.WARNING,
) -> ActionKind:
    """ "next" (at least `floor`), a rung number 1–5 or a kind name → the kind to apply."""
    if rung_or_kind == NEXT:
        return next_kind(facts, now, memory=memory, floor=floor)
    if isinstance(rung_or_kind, int):
        if not 1 <= rung_or_kind <= TOP_RUNG:
            raise ValueError(f"rung must be 1..{TOP_RUNG}")
        return LADDER[rung_or_kind - 1]
    return ActionKind(rung_or_kind)


def binding_for_invites(facts: Iterable[ActionFact], now: datetime) -> ActionFact | None:
    """The active action that stops invites the longest (a ban before anything), or None."""
    active = [f for f in facts if f.kind in BLOCKS_INVITES and is_active(f, now)]
    if not active:
        return None
    return max(active, key=_binding_order)


def _binding_order(fact: ActionFact) -> tuple[int, datetime]:
    # No expiry binds longest; among the rest, the latest expiry.
    if fact.expires_at is None:
        return (1, fact.starts_at)
    return (0, fact.expires_at)


@dataclass(frozen=True, slots=True)
class Standing:
    """What `account.status` / `restricted_until` should say."""

    status: AccountStatus
    restricted_until: datetime | None
    reason: str | None


def account_standing(facts: Iterable[ActionFact], now: datetime) -> Standing:
    """The account mirror implied by the active participation restrictions and bans."""
    active = [f for f in facts if f.kind in BLOCKS_PARTICIPATION and is_active(f, now)]
    bans = [f for f in active if f.kind is ActionKind.BAN]
    if bans:
        return Standing(AccountStatus.BANNED, None, bans[-1].reason)
    if active:
        longest = max(active, key=_binding_order)
        return Standing(AccountStatus.RESTRICTED, longest.expires_at, longest.reason)
    return Standing(AccountStatus.ACTIVE, None, None)


# -- what the person is told (inbox) ---------------------------------------------------

_KIND_WORDS = {
    ActionKind.WARNING: "a warning",
    ActionKind.INVITE_RESTRICTION_1D: "a 1-day restriction on sending invites",
    ActionKind.INVITE_RESTRICTION_7D: "a 7-day restriction on sending invites",
    ActionKind.PARTICIPATION_RESTRICTION: "a restriction on taking part in campaigns",
    ActionKind.BAN: "a ban from campaigns",
}


def describe_kind(kind: ActionKind) -> str:
    return _KIND_WORDS[kind]
