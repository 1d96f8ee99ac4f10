"""the assist hot path's PostgreSQL functions

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07

The functions' one definition is in `huzhu.assists.hotpath.repository.postgres`,
beside the SQLite statements of the same acts (sqlite.py); a revision installs the version it names. A change
to what the functions do makes a new version (their names carry it, so a running worker
keeps calling its own): it needs a revision of its own naming that version, and then
this one installs nothing (tests/db/test_migrations.py fails until it exists). Nothing
to do on SQLite, whose statements run from Python.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from huzhu.assists.hotpath.repository import postgres

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INSTALLS = "d2bf858a3d80"


def upgrade() -> None:
    postgres.install_version(op.get_bind(), INSTALLS)


def downgrade() -> None:
    postgres.drop_version(op.get_bind(), INSTALLS)
