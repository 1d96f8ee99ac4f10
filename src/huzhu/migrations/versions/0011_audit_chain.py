"""the audit log's own package: a hash chain per shop, erasable notes, retention

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-07

Audit entries become a hash chain per shop (`seq`, `prev_hash`, `hash`, and one
`audit_chain` row per shop with its base and head), so a removed or edited entry is
found by `huzhu audit verify`. The words in an entry (`reason`: a report's text, an
appeal's) move out of the chain into `audit_note`, which can be erased with its person:
the chain covers only the note's id. Existing entries are moved and sealed here, in id
order, with the same hash the code computes (huzhu.audit.rules).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import huzhu.db.base
from huzhu.audit import rules

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IdType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UTC = huzhu.db.base.UTCDateTime(timezone=True)


def _entries(with_reason: bool) -> Any:
    cols = [
        sa.column("id", sa.BigInteger),
        sa.column("shop_id", sa.BigInteger),
        sa.column("actor", sa.String),
        sa.column("action", sa.String),
        sa.column("subject_type", sa.String),
        sa.column("subject_id", sa.BigInteger),
        sa.column("account_id", sa.BigInteger),
        sa.column("details", JSONType),
        sa.column("created_at", UTC),
        sa.column("note_id", sa.BigInteger),
        sa.column("seq", sa.BigInteger),
        sa.column("prev_hash", sa.String),
        sa.column("hash", sa.String),
    ]
    if with_reason:
        cols.append(sa.column("reason", sa.Text))
    return sa.table("audit_entry", *cols)


def upgrade() -> None:
    op.create_table(
        "audit_note",
        sa.Column("id", IdType, nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=True),
        sa.Column("subject_account_id", sa.BigInteger(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("erased_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["shop_id"], ["shop.id"], name=op.f("fk_audit_note_shop_id_shop")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_note")),
    )
    with op.batch_alter_table("audit_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_note_shop_id"), ["shop_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_note_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_note_subject_account_id"), ["subject_account_id"], unique=False
        )
    op.create_table(
        "audit_chain",
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("base_seq", sa.BigInteger(), nullable=False),
        sa.Column("base_hash", sa.String(length=64), nullable=False),
        sa.Column("head_seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("pruned", sa.Integer(), nullable=False),
        sa.Column("pruned_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shop.id"], name=op.f("fk_audit_chain_shop_id_shop")
        ),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_audit_chain")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _move_and_seal()
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_column("reason")
        batch_op.create_index("ux_audit_entry_shop_seq", ["shop_id", "seq"], unique=True)
        batch_op.create_index(batch_op.f("ix_audit_entry_created_at"), ["created_at"], unique=False)


def _author(actor: str) -> int | None:
    kind, _, ident = actor.partition(":")
    return int(ident) if kind == "account" and ident.isdigit() else None


def _move_and_seal() -> None:
    bind = op.get_bind()
    entries = _entries(with_reason=True)
    notes = sa.table(
        "audit_note",
        sa.column("id", sa.BigInteger),
        sa.column("shop_id", sa.BigInteger),
        sa.column("account_id", sa.BigInteger),
        sa.column("subject_account_id", sa.BigInteger),
        sa.column("text", sa.Text),
        sa.column("created_at", UTC),
    )
    chains = sa.table(
        "audit_chain",
        sa.column("shop_id", sa.BigInteger),
        sa.column("base_seq", sa.BigInteger),
        sa.column("base_hash", sa.String),
        sa.column("head_seq", sa.BigInteger),
        sa.column("head_hash", sa.String),
        sa.column("pruned", sa.Integer),
    )
    heads: dict[int, tuple[int, str]] = {}
    rows = bind.execute(sa.select(entries).order_by(entries.c.id)).mappings().all()
    for row in rows:
        note_id = None
        if row["reason"]:
            note_id = bind.execute(
                sa.insert(notes)
                .values(
                    shop_id=row["shop_id"],
                    account_id=_author(row["actor"]),
                    subject_account_id=row["account_id"],
                    text=row["reason"],
                    created_at=row["created_at"],
                )
                .returning(notes.c.id)
            ).scalar_one()
        seq, prev = heads.get(row["shop_id"], (0, rules.GENESIS))
        fact = rules.EntryFact(
            id=row["id"],
            shop_id=row["shop_id"],
            seq=seq + 1,
            actor=row["actor"],
            action=row["action"],
            subject_type=row["subject_type"],
            subject_id=row["subject_id"],
            account_id=row["account_id"],
            note_id=note_id,
            details=dict(row["details"] or {}),
            created_at=row["created_at"],
        )
        digest = rules.entry_hash(fact, prev_hash=prev)
        bind.execute(
            sa.update(entries)
            .where(entries.c.id == row["id"])
            .values(note_id=note_id, seq=seq + 1, prev_hash=prev, hash=digest)
        )
        heads[row["shop_id"]] = (seq + 1, digest)
    for shop_id, (seq, digest) in sorted(heads.items()):
        bind.execute(
            sa.insert(chains).values(
                shop_id=shop_id,
                base_seq=0,
                base_hash=rules.GENESIS,
                head_seq=seq,
                head_hash=digest,
                pruned=0,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=False, server_default=""))
    bind = op.get_bind()
    bind.exec_driver_sql(
        "UPDATE audit_entry SET reason = COALESCE("
        "(SELECT text FROM audit_note WHERE audit_note.id = audit_entry.note_id), '')"
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_created_at"))
        batch_op.drop_index("ux_audit_entry_shop_seq")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
        batch_op.drop_column("note_id")
    op.drop_table("audit_chain")
    with op.batch_alter_table("audit_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_note_subject_account_id"))
        batch_op.drop_index(batch_op.f("ix_audit_note_account_id"))
        batch_op.drop_index(batch_op.f("ix_audit_note_shop_id"))
    op.drop_table("audit_note")
