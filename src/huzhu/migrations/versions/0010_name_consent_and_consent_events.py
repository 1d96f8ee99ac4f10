"""a helper's consent to show their name, and the history of consent changes

Revision ID: 0010
Revises: 0011
Create Date: 2026-12-07

A helper may let the starter of an activity they assisted see their display name, per
assist, default off: a `name_consent` row beside the assist (the hot path writes assists
and knows nothing of it). Every consent change — invite preferences, name display,
WeChat messages — is appended to `consent_event`, which the person reads on /me and in
their export; it is erased with them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import huzhu.db.base

revision: str = "0010"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "name_consent",
        sa.Column("assist_id", sa.BigInteger(), nullable=False),
        sa.Column("instance_id", sa.BigInteger(), nullable=False),
        sa.Column("helper_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", huzhu.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assist_id"], ["assist.id"], name=op.f("fk_name_consent_assist_id_assist")
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["instance.id"], name=op.f("fk_name_consent_instance_id_instance")
        ),
        sa.ForeignKeyConstraint(
            ["helper_id"], ["account.id"], name=op.f("fk_name_consent_helper_id_account")
        ),
        sa.PrimaryKeyConstraint("assist_id", name=op.f("pk_name_consent")),
    )
    with op.batch_alter_table("name_consent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_name_consent_instance_id"), ["instance_id"])
        batch_op.create_index(batch_op.f("ix_name_consent_helper_id"), ["helper_id"])
    op.create_table(
        "consent_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("subject", sa.String(length=50), nullable=True),
        sa.Column("old", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("new", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("created_at", huzhu.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shop.id"], name=op.f("fk_consent_event_shop_id_shop")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_consent_event_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_event")),
    )
    with op.batch_alter_table("consent_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_event_account_id"), ["account_id"])


def downgrade() -> None:
    with op.batch_alter_table("consent_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_event_account_id"))
    op.drop_table("consent_event")
    with op.batch_alter_table("name_consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_name_consent_helper_id"))
        batch_op.drop_index(batch_op.f("ix_name_consent_instance_id"))
    op.drop_table("name_consent")
