"""Queries of the audit domain, written once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import Select, delete, or_, select, update
from sqlalchemy.orm import Session

from huzhu.audit.models import AuditChain, AuditEntry, AuditNote

WALK_BATCH = 1000


def add(session: Session, entry: AuditEntry) -> AuditEntry:
    session.add(entry)
    session.flush()
    return entry


def add_note(session: Session, note: AuditNote) -> AuditNote:
    session.add(note)
    session.flush()
    return note


def chain_of(session: Session, shop_id: int) -> AuditChain | None:
    return session.get(AuditChain, shop_id, populate_existing=True)


def add_chain(session: Session, chain: AuditChain) -> AuditChain:
    session.add(chain)
    session.flush()
    return chain


def chains(session: Session) -> Sequence[AuditChain]:
    return session.scalars(select(AuditChain).order_by(AuditChain.shop_id)).all()


def unchained_shops(session: Session) -> list[int]:
    """Shops with entries but no chain row (entries written around the code)."""
    known = select(AuditChain.shop_id)
    stmt = select(AuditEntry.shop_id).where(AuditEntry.shop_id.not_in(known)).distinct()
    return sorted(session.scalars(stmt))


def walk(session: Session, shop_id: int) -> Iterator[AuditEntry]:
    """A shop's entries in chain order (unsealed ones last), a batch at a time."""
    after: tuple[int, int] | None = None
    sealed = AuditEntry.seq.is_not(None)
    while True:
        stmt = select(AuditEntry).where(AuditEntry.shop_id == shop_id, sealed)
        if after is not None:
            stmt = stmt.where(AuditEntry.seq > after[0])
        batch = session.scalars(stmt.order_by(AuditEntry.seq).limit(WALK_BATCH)).all()
        yield from batch
        if len(batch) < WALK_BATCH:
            break
        last = batch[-1]
        assert last.seq is not None
        after = (last.seq, last.id)
    yield from session.scalars(
        select(AuditEntry)
        .where(AuditEntry.shop_id == shop_id, AuditEntry.seq.is_(None))
        .order_by(AuditEntry.id)
    )


def query(
    *,
    shop_id: int,
    action: str | None = None,
    actor: str | None = None,
    account_id: int | None = None,
    subject_type: str | None = None,
    subject_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.shop_id == shop_id)
    if action is not None:
        # A kind names one action ("report.filed") or a family ("report").
        stmt = stmt.where(
            or_(
                AuditEntry.action == action,
                AuditEntry.action.startswith(action + ".", autoescape=True),
            )
        )
    if actor is not None:
        # An actor is one ("operator:3") or a kind of them ("operator").
        stmt = stmt.where(
            or_(
                AuditEntry.actor == actor, AuditEntry.actor.startswith(actor + ":", autoescape=True)
            )
        )
    if account_id is not None:
        stmt = stmt.where(AuditEntry.account_id == account_id)
    if subject_type is not None:
        stmt = stmt.where(AuditEntry.subject_type == subject_type)
    if subject_id is not None:
        stmt = stmt.where(AuditEntry.subject_id == subject_id)
    if since is not None:
        stmt = stmt.where(AuditEntry.created_at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.created_at < until)
    return stmt


def notes(session: Session, note_ids: list[int]) -> dict[int, AuditNote]:
    if not note_ids:
        return {}
    rows = session.scalars(select(AuditNote).where(AuditNote.id.in_(note_ids)))
    return {n.id: n for n in rows}


def erase_notes(session: Session, *, account_id: int, now: datetime) -> int:
    result = session.execute(
        update(AuditNote)
        .where(
            or_(AuditNote.account_id == account_id, AuditNote.subject_account_id == account_id),
            AuditNote.erased_at.is_(None),
        )
        .values(text="", erased_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def first_seqs(
    session: Session, shop_id: int, *, after: int, limit: int
) -> list[tuple[int, datetime]]:
    """(seq, created_at) of the oldest sealed entries after `after`, in chain order."""
    rows = session.execute(
        select(AuditEntry.seq, AuditEntry.created_at)
        .where(AuditEntry.shop_id == shop_id, AuditEntry.seq > after)
        .order_by(AuditEntry.seq)
        .limit(limit)
    )
    return [(int(r.seq), r.created_at) for r in rows]


def hash_at(session: Session, shop_id: int, seq: int) -> str | None:
    return session.scalar(
        select(AuditEntry.hash).where(AuditEntry.shop_id == shop_id, AuditEntry.seq == seq)
    )


def drop_through(session: Session, shop_id: int, seq: int) -> int:
    """Retention only: remove a shop's entries up to `seq` and their notes, whole. A bulk
    statement, not the ORM unit of work, whose guard refuses any deletion."""
    doomed = select(AuditEntry.note_id).where(
        AuditEntry.shop_id == shop_id, AuditEntry.seq <= seq, AuditEntry.note_id.is_not(None)
    )
    session.execute(
        delete(AuditNote)
        .where(AuditNote.id.in_(doomed))
        .execution_options(synchronize_session=False)
    )
    result = session.execute(
        delete(AuditEntry)
        .where(AuditEntry.shop_id == shop_id, AuditEntry.seq <= seq)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
