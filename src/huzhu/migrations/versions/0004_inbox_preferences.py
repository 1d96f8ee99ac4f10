"""inbox messages as kind + params, inbox preferences, pushes a day, outbox cursors

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

Inbox messages are stored as a stable kind and its parameters and put into words when
read (title and body stay for the rows written before, so they keep their text; the
free-form kinds of those rows get their stable code). What a person muted and how often
their summary comes; the pushes to other channels a person got on a day (the daily cap);
and how far each reader of the outbox has read.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import huzhu.db.base

# The free-form kinds written before the registry, and their stable codes.
LEGACY_KINDS = {
    "assist.voided": "assist_voided",
    "assist.counted_after_review": "assist_voided",
    "lottery.won": "draw_result",
    "invite": "invite_received",
    "report.filed": "report_outcome",
    "report.confirmed": "report_outcome",
    "report.dismissed": "report_outcome",
    "enforcement.applied": "enforcement",
    "enforcement.lifted": "enforcement",
    "appeal.filed": "appeal_outcome",
    "appeal.upheld": "appeal_outcome",
    "appeal.lifted": "appeal_outcome",
}

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('outbox_cursor',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('last_event_id', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', huzhu.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_outbox_cursor'))
    )
    op.create_table('inbox_preference',
    sa.Column('account_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('muted_kinds', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('summary', sa.String(length=10), nullable=False),
    sa.Column('updated_at', huzhu.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_inbox_preference_account_id_account')),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_inbox_preference'))
    )
    op.create_table('inbox_push_day',
    sa.Column('account_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('pushes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_inbox_push_day_account_id_account')),
    sa.PrimaryKeyConstraint('account_id', 'day', name=op.f('pk_inbox_push_day'))
    )
    with op.batch_alter_table('inbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('params', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('topic', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('push_state', sa.String(length=10), server_default='none', nullable=False))
        batch_op.add_column(sa.Column('updated_at', huzhu.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.alter_column('title',
               existing_type=sa.VARCHAR(length=200),
               nullable=True)
        batch_op.alter_column('body',
               existing_type=sa.TEXT(),
               nullable=True)
        batch_op.create_index('ix_inbox_message_topic', ['topic', 'account_id'], unique=False, sqlite_where=sa.text('topic IS NOT NULL'), postgresql_where=sa.text('topic IS NOT NULL'))
    inbox = sa.table('inbox_message', sa.column('kind', sa.String()))
    for old, new in LEGACY_KINDS.items():
        op.execute(inbox.update().where(inbox.c.kind == old).values(kind=new))



def downgrade() -> None:
    # Messages written as kind + params had no stored text: they keep an empty one.
    op.execute("UPDATE inbox_message SET title = '' WHERE title IS NULL")
    op.execute("UPDATE inbox_message SET body = '' WHERE body IS NULL")
    with op.batch_alter_table('inbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_message_topic', sqlite_where=sa.text('topic IS NOT NULL'), postgresql_where=sa.text('topic IS NOT NULL'))
        batch_op.alter_column('body',
               existing_type=sa.TEXT(),
               nullable=False)
        batch_op.alter_column('title',
               existing_type=sa.VARCHAR(length=200),
               nullable=False)
        batch_op.drop_column('updated_at')
        batch_op.drop_column('push_state')
        batch_op.drop_column('topic')
        batch_op.drop_column('params')

    op.drop_table('inbox_push_day')
    op.drop_table('inbox_preference')
    op.drop_table('outbox_cursor')
