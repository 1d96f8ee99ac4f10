"""guardrail caps and the purchase index they count by

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07

The caps a person chose (their history: a lower cap applies at once, a higher one after
the wait), and the index their guardrails count today's and this month's orders by.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import huzhu.db.base

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('guardrail_cap',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger(), nullable=False),
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('cap', sa.String(length=30), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('chosen_at', huzhu.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('effective_at', huzhu.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', huzhu.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_guardrail_cap_account_id_account')),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_guardrail_cap_shop_id_shop')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guardrail_cap'))
    )
    with op.batch_alter_table('guardrail_cap', schema=None) as batch_op:
        batch_op.create_index('ix_guardrail_cap_account_cap', ['account_id', 'cap'], unique=False)

    with op.batch_alter_table('purchase', schema=None) as batch_op:
        batch_op.create_index('ix_purchase_account_created', ['account_id', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('purchase', schema=None) as batch_op:
        batch_op.drop_index('ix_purchase_account_created')

    with op.batch_alter_table('guardrail_cap', schema=None) as batch_op:
        batch_op.drop_index('ix_guardrail_cap_account_cap')

    op.drop_table('guardrail_cap')
