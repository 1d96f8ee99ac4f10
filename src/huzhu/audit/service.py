"""Use cases of the audit domain: record an entry, seal it into its shop's chain at
commit, list and export, verify, prune by retention, erase a person's notes.

Called by every domain that acts on people or reads about them (enforcement, review,
voiding, campaigns, the console and API reads), by the person's deletion
(`erase_notes_of`), by `huzhu audit verify` and by the retention job.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from huzhu.accounts import service as accounts
from huzhu.accounts.rules import Principal, PrincipalKind
from huzhu.audit import repository as repo
from huzhu.audit import rules
from huzhu.audit.models import AuditChain, AuditEntry, AuditNote
from huzhu.audit.rules import Action, Break, EntryFact, Sealed
from huzhu.audit.schemas import AuditFilter
from huzhu.config import AuditSettings
from huzhu.db.locking import AUDIT, lock_key
from huzhu.kit import clock
from huzhu.pagination import MAX_LIMIT, PageParams, fetch_page

__all__ = ["Action", "AuditEntry", "AuditView", "Break"]

UNSEALED_KEY = "huzhu.audit.unsealed"
EXPORT_BATCH = MAX_LIMIT
PRUNE_SCAN = 5000
SYSTEM_RETENTION = "system:audit_retention"


def actor_of(session: Session, principal: Principal) -> str:
    """How a caller is named in the log: the operator (not their session token), the
    integrator token, or the participant's account."""
    if principal.kind == PrincipalKind.OPERATOR:
        operator_id = accounts.operator_id_of_token(session, principal.subject_id)
        return f"operator:{operator_id}"
    if principal.kind == PrincipalKind.PARTICIPANT:
        return f"account:{principal.subject_id}"
    return f"{principal.kind}:{principal.subject_id}"


def _author(actor: str) -> int | None:
    kind, _, ident = actor.partition(":")
    return int(ident) if kind == "account" and ident.isdigit() else None


def record(
    session: Session,
    *,
    shop_id: int,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: int,
    account_id: int | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry; `reason` (words someone typed) goes to an erasable note. The
    entry takes its place in the chain when the transaction commits (`_seal`)."""
    now = clock.utcnow()
    note_id = None
    if reason:
        note = AuditNote(
            shop_id=shop_id,
            account_id=_author(actor),
            subject_account_id=account_id,
            text=reason,
            created_at=now,
        )
        note_id = repo.add_note(session, note).id
    entry = repo.add(
        session,
        AuditEntry(
            shop_id=shop_id,
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            account_id=account_id,
            note_id=note_id,
            # As the database gives it back, so the hash sealed now is the one verified.
            details=json.loads(json.dumps(details or {})),
            created_at=now,
        ),
    )
    session.info.setdefault(UNSEALED_KEY, []).append(entry)
    return entry


def record_read(
    session: Session,
    principal: Principal,
    *,
    action: Action,
    subject_type: str,
    subject_id: int,
    account_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """An operator (or integrator) looked at personal data: one entry per look. A
    participant reading their own data is not an operator read and is not logged."""
    if principal.kind == PrincipalKind.PARTICIPANT:
        return
    record(
        session,
        shop_id=principal.shop_id,
        actor=actor_of(session, principal),
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        account_id=account_id,
        details=details,
    )


def fact_of(entry: AuditEntry) -> EntryFact:
    return EntryFact(
        id=entry.id,
        shop_id=entry.shop_id,
        seq=entry.seq if entry.seq is not None else 0,
        actor=entry.actor,
        action=entry.action,
        subject_type=entry.subject_type,
        subject_id=entry.subject_id,
        account_id=entry.account_id,
        note_id=entry.note_id,
        details=dict(entry.details or {}),
        created_at=clock.as_utc(entry.created_at),
    )


def _chain_for_update(session: Session, shop_id: int) -> AuditChain:
    """The shop's chain row, read after taking the shop's audit lock: every writer that
    seals after us sees what we sealed."""
    lock_key(session, AUDIT, shop_id)
    chain = repo.chain_of(session, shop_id)
    if chain is None:
        chain = repo.add_chain(
            session,
            AuditChain(
                shop_id=shop_id,
                base_seq=0,
                base_hash=rules.GENESIS,
                head_seq=0,
                head_hash=rules.GENESIS,
                pruned=0,
            ),
        )
    return chain


@event.listens_for(Session, "before_commit")
def _seal(session: Session) -> None:
    """Give this transaction's new entries their place in their shops' chains. Done as
    the transaction commits, when it holds every other lock it will take, so waiting for
    a shop's audit lock here can never deadlock with a lock the holder still wants; shops
    are locked in id order for the same reason."""
    if session.in_nested_transaction():
        return
    pending: list[AuditEntry] = session.info.pop(UNSEALED_KEY, [])
    fresh = [e for e in pending if e in session and e.seq is None]
    if not fresh:
        return
    session.flush()
    for shop_id in sorted({e.shop_id for e in fresh}):
        chain = _chain_for_update(session, shop_id)
        for entry in sorted((e for e in fresh if e.shop_id == shop_id), key=lambda e: e.id):
            entry.seq = chain.head_seq + 1
            entry.prev_hash = chain.head_hash
            entry.hash = rules.entry_hash(fact_of(entry), prev_hash=chain.head_hash)
            chain.head_seq, chain.head_hash = entry.seq, entry.hash
    session.flush()


# -- reading -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditView:
    """An entry with its note's words (empty once erased)."""

    id: int
    seq: int | None
    actor: str
    action: str
    subject_type: str
    subject_id: int
    account_id: int | None
    reason: str
    reason_erased: bool
    details: dict[str, Any]
    created_at: datetime
    hash: str | None
    prev_hash: str | None


def _views(session: Session, entries: list[AuditEntry]) -> list[AuditView]:
    notes = repo.notes(session, [e.note_id for e in entries if e.note_id is not None])
    out = []
    for e in entries:
        note = notes.get(e.note_id) if e.note_id is not None else None
        out.append(
            AuditView(
                id=e.id,
                seq=e.seq,
                actor=e.actor,
                action=e.action,
                subject_type=e.subject_type,
                subject_id=e.subject_id,
                account_id=e.account_id,
                reason=note.text if note is not None else "",
                reason_erased=note is not None and note.erased_at is not None,
                details=dict(e.details or {}),
                created_at=clock.as_utc(e.created_at),
                hash=e.hash,
                prev_hash=e.prev_hash,
            )
        )
    return out


def _query(shop_id: int, where: AuditFilter) -> Any:
    return repo.query(
        shop_id=shop_id,
        action=where.kind,
        actor=where.actor,
        account_id=where.account_id,
        subject_type=where.subject_type,
        subject_id=where.subject_id,
        since=where.since,
        until=where.until,
    )


def list_entries(
    session: Session, params: PageParams, *, shop_id: int, where: AuditFilter
) -> tuple[list[AuditView], int | None]:
    """One page of the shop's entries that match, newest first."""
    rows, cursor = fetch_page(session, _query(shop_id, where), AuditEntry.id, params)
    return _views(session, rows), cursor


def export_entries(session: Session, *, shop_id: int, where: AuditFilter) -> Iterator[AuditView]:
    """Every matching entry, newest first, a page at a time (the console's CSV and JSON)."""
    params = PageParams(limit=EXPORT_BATCH)
    while True:
        views, cursor = list_entries(session, params, shop_id=shop_id, where=where)
        yield from views
        if cursor is None:
            return
        params = PageParams(limit=EXPORT_BATCH, cursor=cursor)


# -- verifying ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChainReport:
    shop_id: int
    checked: int
    base_seq: int
    head_seq: int
    fault: Break | None


def verify(session: Session, *, shop_id: int | None = None) -> list[ChainReport]:
    """Walk each shop's chain (or one shop's) and name its first bad entry."""
    chains = {c.shop_id: c for c in repo.chains(session)}
    reports = []
    shops = [shop_id] if shop_id is not None else sorted(chains)
    for shop in shops:
        chain = chains.get(shop)
        base = (chain.base_seq, chain.base_hash) if chain else (0, rules.GENESIS)
        head = (chain.head_seq, chain.head_hash) if chain else (0, rules.GENESIS)
        entries = (
            Sealed(fact=fact_of(e), prev_hash=e.prev_hash, hash=e.hash)
            for e in repo.walk(session, shop)
        )
        fault, checked = rules.first_break(
            entries,
            shop_id=shop,
            base_seq=base[0],
            base_hash=base[1],
            head_seq=head[0],
            head_hash=head[1],
        )
        reports.append(ChainReport(shop, checked, base[0], head[0], fault))
    if shop_id is None:
        for stray in repo.unchained_shops(session):
            first = next(iter(repo.walk(session, stray)))
            fault = Break(stray, first.id, first.seq, rules.Fault.UNSEALED, "its shop has no chain")
            reports.append(ChainReport(stray, 0, 0, 0, fault))
    return reports


# -- retention and erasure ---------------------------------------------------------------


def _last_expired(session: Session, chain: AuditChain, *, cutoff: datetime) -> int | None:
    last, after = None, chain.base_seq
    while True:
        seqs = repo.first_seqs(session, chain.shop_id, after=after, limit=PRUNE_SCAN)
        found = rules.retained_through(((s, clock.as_utc(at)) for s, at in seqs), cutoff=cutoff)
        if found is None:
            return last
        last = found
        if found != seqs[-1][0] or len(seqs) < PRUNE_SCAN:
            return last
        after = found


def prune_expired(session: Session, conf: AuditSettings) -> dict[int, int]:
    """Drop each shop's entries older than the retention period, oldest first and whole,
    and move the chain's base to the last one dropped so verify starts from there.
    Returns the entries dropped per shop; the dropping itself is an entry."""
    cutoff = clock.utcnow() - timedelta(days=conf.retention_days)
    dropped: dict[int, int] = {}
    for known in repo.chains(session):
        chain = _chain_for_update(session, known.shop_id)
        last = _last_expired(session, chain, cutoff=cutoff)
        if last is None:
            continue
        last_hash = repo.hash_at(session, chain.shop_id, last)
        assert last_hash is not None
        count = repo.drop_through(session, chain.shop_id, last)
        chain.base_seq, chain.base_hash = last, last_hash
        chain.pruned += count
        chain.pruned_at = clock.utcnow()
        dropped[chain.shop_id] = count
        record(
            session,
            shop_id=chain.shop_id,
            actor=SYSTEM_RETENTION,
            action=Action.AUDIT_PRUNED,
            subject_type="audit_chain",
            subject_id=chain.shop_id,
            details={"through_seq": last, "entries": count, "retention_days": conf.retention_days},
        )
    session.flush()
    return dropped


def erase_notes_of(session: Session, account_id: int) -> int:
    """At the person's deletion: blank every note they wrote or that is about them, and
    record the deletion itself (by the person). The entries stay, their chain valid: it
    covers a note's id, never its words. Returns how many notes were erased."""
    erased = repo.erase_notes(session, account_id=account_id, now=clock.utcnow())
    account = accounts.get_account(session, account_id)
    if account is not None:
        record(
            session,
            shop_id=account.shop_id,
            actor=f"account:{account_id}",
            action=Action.ACCOUNT_DELETED,
            subject_type="account",
            subject_id=account_id,
            # Named as the subject only: the deletion adds no row under the person
            # (privacy/registry.py keeps their entries as they were, no more).
            details={"notes_erased": erased},
        )
    return erased
