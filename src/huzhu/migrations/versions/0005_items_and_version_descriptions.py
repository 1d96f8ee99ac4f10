"""items and their price history

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

A shop's items and the append-only history of their prices, which a reference price is
checked against.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import huzhu.db.base

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('item',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('regular_price_cents', sa.BigInteger(), nullable=False),
    sa.Column('created_at', huzhu.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', huzhu.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('regular_price_cents > 0', name=op.f('ck_item_regular_price_positive')),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], name=op.f('fk_item_shop_id_shop')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item')),
    sa.UniqueConstraint('shop_id', 'sku', name=op.f('uq_item_shop_id_sku'))
    )
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_shop_id'), ['shop_id'], unique=False)

    op.create_table('price_observation',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.BigInteger(), nullable=False),
    sa.Column('price_cents', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('campaign_id', sa.BigInteger(), nullable=True),
    sa.Column('observed_at', huzhu.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('price_cents > 0', name=op.f('ck_price_observation_price_positive')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_price_observation_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_price_observation_item_id_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_observation'))
    )
    with op.batch_alter_table('price_observation', schema=None) as batch_op:
        batch_op.create_index('ix_price_observation_item_observed', ['item_id', 'observed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('price_observation', schema=None) as batch_op:
        batch_op.drop_index('ix_price_observation_item_observed')

    op.drop_table('price_observation')
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_shop_id'))

    op.drop_table('item')
