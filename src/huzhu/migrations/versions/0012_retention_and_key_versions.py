"""retention aggregates, expired evidence, and the key version of every stored hash

Revision ID: 0012
Revises: 0008
Create Date: 2026-12-07

Share opens past their retention are folded into per link and day counts
(`share_open_day`) so that open counts stay true once the opens and their keyed hashes
are gone. A decided review case records when retention cut its evidence down to counts
and outcomes. Every stored keyed hash (an account's and a carried restriction's login
hash, a share open's network, phone and agent hashes) records the version of the key it
was made with, so a key can be rotated: rows from before have the only key there was,
"v0".
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import huzhu.db.base

revision: str = '0012'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSIONED = ('account', 'carried_restriction', 'share_open')


def upgrade() -> None:
    op.create_table(
        'share_open_day',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('share_link_id', sa.BigInteger(), nullable=False),
        sa.Column('shop_id', sa.BigInteger(), nullable=False),
        sa.Column('instance_id', sa.BigInteger(), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('opens', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['share_link_id'], ['share_link.id'], name=op.f('fk_share_open_day_share_link_id_share_link')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_share_open_day')),
        sa.UniqueConstraint('share_link_id', 'day', name=op.f('uq_share_open_day_share_link_id_day')),
    )
    with op.batch_alter_table('share_open_day', schema=None) as batch_op:
        batch_op.create_index('ix_share_open_day_instance', ['instance_id'], unique=False)
    with op.batch_alter_table('review_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evidence_expired_at', huzhu.db.base.UTCDateTime(timezone=True), nullable=True))
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('key_version', sa.String(length=16), server_default='v0', nullable=False)
            )


def downgrade() -> None:
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('key_version')
    with op.batch_alter_table('review_case', schema=None) as batch_op:
        batch_op.drop_column('evidence_expired_at')
    with op.batch_alter_table('share_open_day', schema=None) as batch_op:
        batch_op.drop_index('ix_share_open_day_instance')
    op.drop_table('share_open_day')
