"""The chain's arithmetic: the canonical encoding of an entry, its hash, and the walk
that finds the first entry that does not fit. Pure functions, no I/O."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

# The hash a shop's first entry follows.
GENESIS = "0" * 64


class Action(StrEnum):
    """What an entry records, besides the steps that name their own events
    (`enforcement.applied`, `report.filed`, `campaign.launched`, …)."""

    ASSISTS_READ = "assists.read"  # an instance's assists, helper by helper
    CASE_READ = "review_case.read"  # a case's evidence
    STANDING_READ = "standing.read"  # a person's enforcement standing
    ASSIST_VOIDED = "assist.voided"
    DATA_EXPORTED = "privacy.exported"  # for the person's export (privacy domain)
    ACCOUNT_DELETED = "privacy.deleted"
    AUDIT_PRUNED = "audit.pruned"


@dataclass(frozen=True, slots=True)
class EntryFact:
    """What the hash covers: every field of an entry except the note's text."""

    id: int
    shop_id: int
    seq: int
    actor: str
    action: str
    subject_type: str
    subject_id: int
    account_id: int | None
    note_id: int | None
    details: dict[str, Any]
    created_at: datetime


def canonical(fact: EntryFact, *, prev_hash: str) -> bytes:
    """One byte string per entry whatever the database: sorted keys, no spaces, UTF-8,
    times as UTC ISO-8601 with microseconds."""
    at = fact.created_at.astimezone(UTC) if fact.created_at.tzinfo else fact.created_at
    fields = {
        "id": fact.id,
        "shop_id": fact.shop_id,
        "seq": fact.seq,
        "actor": fact.actor,
        "action": fact.action,
        "subject_type": fact.subject_type,
        "subject_id": fact.subject_id,
        "account_id": fact.account_id,
        "note_id": fact.note_id,
        "details": fact.details,
        "created_at": at.replace(tzinfo=None).isoformat(timespec="microseconds"),
        "prev_hash": prev_hash,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(fact: EntryFact, *, prev_hash: str) -> str:
    return hashlib.sha256(canonical(fact, prev_hash=prev_hash)).hexdigest()


class Fault(StrEnum):
    EDITED = "edited"  # its fields no longer give its hash
    LINK_BROKEN = "link_broken"  # it does not follow the entry before it
    MISSING = "missing"  # entries before it (or after the last) are gone
    UNSEALED = "unsealed"  # committed without a place in the chain


@dataclass(frozen=True, slots=True)
class Break:
    """The first entry of a shop's chain that does not fit, and how."""

    shop_id: int
    entry_id: int | None
    seq: int | None
    fault: Fault
    detail: str


@dataclass(frozen=True, slots=True)
class Sealed:
    """An entry as stored: its fact and its chain fields."""

    fact: EntryFact
    prev_hash: str | None
    hash: str | None


def first_break(
    entries: Iterable[Sealed],
    *,
    shop_id: int,
    base_seq: int,
    base_hash: str,
    head_seq: int,
    head_hash: str,
) -> tuple[Break | None, int]:
    """Walk one shop's entries in seq order from its base (what retention left) to its
    head: the first that does not fit (None if all do) and how many were checked."""
    seq, running, checked = base_seq, base_hash, 0
    for entry in entries:
        fact = entry.fact
        if entry.hash is None or fact.seq is None:
            return Break(
                shop_id, fact.id, None, Fault.UNSEALED, "has no place in the chain"
            ), checked
        if fact.seq != seq + 1:
            gone = (
                f"entries {seq + 1}..{fact.seq - 1}" if fact.seq > seq + 2 else f"entry {seq + 1}"
            )
            return (
                Break(shop_id, fact.id, fact.seq, Fault.MISSING, f"{gone} before it removed"),
                checked,
            )
        if entry.prev_hash != running:
            return (
                Break(
                    shop_id, fact.id, fact.seq, Fault.LINK_BROKEN, "does not follow the one before"
                ),
                checked,
            )
        if entry_hash(fact, prev_hash=running) != entry.hash:
            return (
                Break(shop_id, fact.id, fact.seq, Fault.EDITED, "its fields do not give its hash"),
                checked,
            )
        seq, running, checked = fact.seq, entry.hash, checked + 1
    if seq != head_seq or running != head_hash:
        return (
            Break(
                shop_id,
                None,
                seq,
                Fault.MISSING,
                f"the chain ends at {seq}, its head is {head_seq}",
            ),
            checked,
        )
    return None, checked


def retained_through(created: Iterable[tuple[int, datetime]], *, cutoff: datetime) -> int | None:
    """The last seq retention may drop: the end of the first run of entries, in seq
    order, all made before `cutoff`. The chain is cut only at its start, so an old entry
    sealed after a younger one waits for it."""
    last = None
    for seq, at in created:
        if at >= cutoff:
            break
        last = seq
    return last
