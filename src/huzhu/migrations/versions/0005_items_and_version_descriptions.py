"""items, their price history, and the description in each campaign version

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

A shop's items and the append-only history of their prices, which a reference price is
checked against; each campaign version keeps the description its participants read.
Existing versions take their campaign's current description (the only one known), and
existing bargain and group-buy versions name no item, with the default 7-day window.
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

    with op.batch_alter_table('campaign_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.Text(), server_default='', nullable=False))

    op.execute(
        "UPDATE campaign_version SET description = "
        "(SELECT c.description FROM campaign c WHERE c.id = campaign_version.campaign_id)"
    )
    _backfill_priced_keys()


_VERSION = sa.table(
    'campaign_version',
    sa.column('id', sa.BigInteger()),
    sa.column('rules', huzhu.db.base.JSONType),
)
_PRICED_KEYS = ('item_id', 'reference_window_days')


def _rewrite_priced_rules(*, add: bool) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(_VERSION.c.id, _VERSION.c.rules)).mappings().all()
    for row in rows:
        rules = dict(row['rules'])
        if rules.get('kind') not in ('bargain', 'groupbuy') or ('item_id' in rules) == add:
            continue
        if add:
            rules.update(item_id=None, reference_window_days=7)
        else:
            for key in _PRICED_KEYS:
                rules.pop(key, None)
        bind.execute(_VERSION.update().where(_VERSION.c.id == row['id']).values(rules=rules))


def _backfill_priced_keys() -> None:
    """Bargain and group-buy snapshots gain `item_id` (none) and `reference_window_days`,
    so an edit of an older campaign compares like with like instead of versioning it."""
    _rewrite_priced_rules(add=True)


def downgrade() -> None:
    _rewrite_priced_rules(add=False)
    with op.batch_alter_table('campaign_version', schema=None) as batch_op:
        batch_op.drop_column('description')

    with op.batch_alter_table('price_observation', schema=None) as batch_op:
        batch_op.drop_index('ix_price_observation_item_observed')

    op.drop_table('price_observation')
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_shop_id'))

    op.drop_table('item')
