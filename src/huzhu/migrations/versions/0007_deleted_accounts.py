"""deleted accounts, carried restrictions, and the hot path refusing deleted accounts

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-07

A person may delete their account: the row stays as an anonymous tombstone
(`account.deleted_at`, status `deleted`), and a restriction in force is kept against
the keyed hash of their login (`carried_restriction`) until it ends. The assist hot
path's barred rule now also refuses a deleted account, so its PostgreSQL functions
change and this revision installs their new version (see 0002).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import huzhu.db.base
from huzhu.assists.hotpath.repository import postgres

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INSTALLS = "caf17c4c8879"


def upgrade() -> None:
    op.create_table(
        "carried_restriction",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("restricted_until", huzhu.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("created_at", huzhu.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shop.id"], name=op.f("fk_carried_restriction_shop_id_shop")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carried_restriction")),
    )
    with op.batch_alter_table("carried_restriction", schema=None) as batch_op:
        batch_op.create_index(
            "ix_carried_restriction_login", ["shop_id", "provider", "subject_hash"], unique=False
        )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("deleted_at", huzhu.db.base.UTCDateTime(timezone=True), nullable=True)
        )
    postgres.install_version(op.get_bind(), INSTALLS)


def downgrade() -> None:
    postgres.drop_version(op.get_bind(), INSTALLS)
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
    with op.batch_alter_table("carried_restriction", schema=None) as batch_op:
        batch_op.drop_index("ix_carried_restriction_login")
    op.drop_table("carried_restriction")
