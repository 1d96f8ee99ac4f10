"""held assists bounded per network, and the hot path refusing holds past the bounds

Revision ID: 0009
Revises: 0012
Create Date: 2026-12-07

A burst could put any number of assists on hold (a 10-slot instance collected 200).
The assist hot path now refuses a hold when its instance has `held_per_instance`
waiting (instance.held_count, read under the instance lock) or its network prefix put
`held_per_network` on hold in the shop in the current window: `held_network` keeps that
count, one row per keyed network hash (never the address). The PostgreSQL functions
change, so this revision installs their new version (see 0002).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from huzhu.assists.hotpath.repository import postgres

revision: str = "0009"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INSTALLS = "ee7f79ed9aea"


def upgrade() -> None:
    op.create_table(
        "held_network",
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("network_hash", sa.String(length=64), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("shop_id", "network_hash", name=op.f("pk_held_network")),
    )
    postgres.install_version(op.get_bind(), INSTALLS)


def downgrade() -> None:
    postgres.drop_version(op.get_bind(), INSTALLS)
    op.drop_table("held_network")
