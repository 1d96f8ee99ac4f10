"""Tables of the audit domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, event, inspect
from sqlalchemy.orm import Mapped, mapped_column

from huzhu.db import Base, IdType, JSONType, UTCDateTime

# The chain's fields, set once when the entry's transaction commits (service.seal).
SEAL_FIELDS = frozenset({"seq", "prev_hash", "hash"})


class AuditEntry(Base):
    """Append-only: inserted, sealed once into its shop's chain, never changed."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_subject", "subject_type", "subject_id"),
        Index("ux_audit_entry_shop_seq", "shop_id", "seq", unique=True),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("shop.id"), index=True)
    # "operator:<id>", "account:<id>" (the person themself), "integrator:<id>",
    # "rule:<name>", "detector:<name>" or "system:<job>".
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int] = mapped_column(BigInteger)
    # The account the step is about, so a person's history is one indexed query.
    account_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    # Why, in words: outside the chain so it can be erased (AuditNote).
    note_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # The chain: position in the shop's chain, the previous entry's hash, this one's.
    seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AuditNote(Base):
    """Free text of an entry (a report's words, a reason someone typed). Erasable: the
    text is blanked and `erased_at` stamped; the row stays so its id still resolves."""

    __tablename__ = "audit_note"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("shop.id"), index=True)
    # Who wrote it, when a person did (account_id); whom the entry is about.
    account_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    subject_account_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AuditChain(Base):
    """One row per shop: where its chain starts (after what retention pruned) and its
    head (the last sealed entry), so a removed last entry is found too."""

    __tablename__ = "audit_chain"

    shop_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("shop.id"), primary_key=True)
    base_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    base_hash: Mapped[str] = mapped_column(String(64))
    head_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    head_hash: Mapped[str] = mapped_column(String(64))
    pruned: Mapped[int] = mapped_column(Integer, default=0)
    pruned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit entry through the ORM."""


@event.listens_for(AuditEntry, "before_update")
def _refuse_change(mapper: object, connection: object, target: AuditEntry) -> None:
    # The log is evidence in appeals and disputes: a flush that would rewrite an entry
    # fails loudly. The one update allowed is its sealing: the chain fields, unset
    # until then, set once.
    state = inspect(target)
    changed = {a.key for a in state.attrs if a.history.has_changes()}
    sealing = changed <= SEAL_FIELDS and all(
        all(v is None for v in state.attrs[key].history.deleted) for key in changed
    )
    if not sealing:
        raise AuditLogIsAppendOnly(f"audit entry {target.id} cannot be changed or deleted")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(mapper: object, connection: object, target: AuditEntry) -> None:
    raise AuditLogIsAppendOnly(f"audit entry {target.id} cannot be changed or deleted")
