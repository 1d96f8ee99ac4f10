"""Regenerate migration 0001 from the models.

Only while nothing has been released: once a database in the wild holds 0001, schema
changes become new, additive migrations made with `alembic revision --autogenerate`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from huzhu.migrations import HERE, alembic_config

for old in (HERE / "versions").glob("0001_*.py"):
    old.unlink()
with tempfile.TemporaryDirectory() as tmp:
    cfg = alembic_config(f"sqlite:///{Path(tmp) / 'gen.db'}")
    command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
