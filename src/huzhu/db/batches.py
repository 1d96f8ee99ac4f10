"""Deleting what expired a bounded batch at a time (the retention sweep): each batch is
one short transaction, so a long backlog never holds its locks for long, and the next
batch starts where this one stopped."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.orm import Session


def oldest_ids(session: Session, model: Any, *where: ColumnElement[bool], limit: int) -> list[int]:
    """Up to `limit` ids of `model`'s rows matching `where`, lowest first."""
    stmt = select(model.id).where(*where).order_by(model.id).limit(limit)
    return [int(i) for i in session.scalars(stmt)]


def delete_ids(session: Session, model: Any, ids: list[int]) -> int:
    if ids:
        session.execute(
            delete(model).where(model.id.in_(ids)).execution_options(synchronize_session=False)
        )
    return len(ids)


def delete_batch(session: Session, model: Any, *where: ColumnElement[bool], limit: int) -> int:
    """Delete up to `limit` rows matching `where` (lowest ids first); how many went. A
    result equal to `limit` means more may be left."""
    return delete_ids(session, model, oldest_ids(session, model, *where, limit=limit))


def update_batch(
    session: Session,
    model: Any,
    *where: ColumnElement[bool],
    values: dict[str, Any],
    limit: int,
) -> int:
    """Set `values` on up to `limit` rows matching `where` (lowest ids first); how many.
    The rows must stop matching once changed (say, an account link set to null), so the
    next batch starts where this one stopped."""
    ids = oldest_ids(session, model, *where, limit=limit)
    if ids:
        session.execute(
            update(model)
            .where(model.id.in_(ids))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    return len(ids)
