"""Row locks that mean the same on both dialects.

On PostgreSQL `lock_for_update` adds FOR UPDATE; on SQLite every ORM transaction already
holds the database write lock (BEGIN IMMEDIATE, see db/engine.py), so the plain select is
enough. Limits themselves are enforced by conditional UPDATEs and unique constraints;
these locks only serialise multi-row decisions such as filling a team.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, text
from sqlalchemy.orm import Session

T = TypeVar("T", bound=tuple[Any, ...])


def lock_for_update(stmt: Select[T], session: Session) -> Select[T]:
    if session.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update()
    return stmt


# Advisory lock namespaces (the first key of pg_advisory_xact_lock(int, int)).
GUARDRAILS = 0x6775  # "gu": one person's caps, steps and cap changes
AUDIT = 0x6175  # "au": one shop's audit chain, while its new entries are sealed


def lock_key(session: Session, namespace: int, key: int) -> None:
    """Serialise one transaction per (namespace, key) until it ends: a lock on something
    that has no row of its own to lock, such as a person's running totals. The key is
    folded into 31 bits; two keys that share a fold only wait for each other. On SQLite
    the transaction's write lock serves: it is taken here (BEGIN IMMEDIATE on first
    use), so what the caller reads and stamps after this call comes after any other
    writer's commit."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, :key)"),
            {"namespace": namespace, "key": key % 2**31},
        )
    else:
        session.connection()
