"""Row locks that mean the same on both dialects.

On PostgreSQL `lock_for_update` adds FOR UPDATE; on SQLite every ORM transaction already
holds the database write lock (BEGIN IMMEDIATE, see db/engine.py), so the plain select is
enough. Limits themselves are enforced by conditional UPDATEs and unique constraints;
these locks only serialise multi-row decisions such as filling a team.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

T = TypeVar("T", bound=tuple[Any, ...])


def lock_for_update(stmt: Select[T], session: Session) -> Select[T]:
    if session.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update()
    return stmt
