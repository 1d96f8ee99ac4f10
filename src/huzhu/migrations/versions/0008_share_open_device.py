"""the keyed device hash of a share open

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

Batch ring detection tells a device farm from a mutual-help group by how many accounts
share a phone and a network. The network of each open was already kept (a keyed hash of
its /24 or /48); the phone was not kept anywhere the scan can read. An open now keeps a
keyed hash of the client's install id (`X-Huzhu-Device`), never the id itself. Existing
opens have none: unknown, which is no evidence either way.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('share_open', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device_hash', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('share_open', schema=None) as batch_op:
        batch_op.drop_column('device_hash')
