"""an assist that could begin a group keeps its burst keys, so a group held later
reaches back to it

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

The inline group rules (a burst of taps with no share open, fresh accounts behind one
network) hold a group from its second or third member on: the first assists counted,
alone in their window. An assist that could be a group's first now keeps its signs
(`group_signs`: "f" fresh account, "u" a tap with no open or an instant one) and the
keyed hashes of its network prefix and device, and the hold of its group puts it on hold
with the rest (risk/reach.py). The retention sweep clears the three columns once the
group windows are over ("burst_keys"); a partial index on `created_at` finds those rows.
The PostgreSQL give function takes the three values, so this revision installs its new
version (see 0002).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from huzhu.assists.hotpath.repository import postgres

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INSTALLS = "27f8f9846583"
KEPT = sa.text("group_signs IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("assist", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_signs", sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column("net_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("device_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "ix_assist_burst_keys",
            ["created_at"],
            unique=False,
            sqlite_where=KEPT,
            postgresql_where=KEPT,
        )
    postgres.install_version(op.get_bind(), INSTALLS)


def downgrade() -> None:
    postgres.drop_version(op.get_bind(), INSTALLS)
    with op.batch_alter_table("assist", schema=None) as batch_op:
        batch_op.drop_index("ix_assist_burst_keys")
        batch_op.drop_column("device_hash")
        batch_op.drop_column("net_hash")
        batch_op.drop_column("group_signs")
