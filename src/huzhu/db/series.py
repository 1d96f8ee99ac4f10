"""Cumulative counts at a series of moments, in one aggregate statement per question:
each row is put in the first moment's bucket it falls at or before (one CASE, read
until its first match), the rows are counted per bucket with GROUP BY, and the buckets
are summed up here. The same SQL on SQLite and PostgreSQL (no dialect's date functions),
and one scan whatever the series' length. Used by the dashboard's counts in every
domain that keeps rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Executable, Select, case, func, select
from sqlalchemy.orm import Session


def bucket_of(at: Any, edges: Sequence[datetime]) -> ColumnElement[int]:
    """The index of the first edge `at` is at or before; len(edges) for a later row."""
    return case(*((at <= edge, i) for i, edge in enumerate(edges)), else_=len(edges))


def per_bucket(at: Any, edges: Sequence[datetime], *by: Any) -> Select[Any]:
    """SELECT bucket, COUNT(*)[, by…] … GROUP BY bucket[, by…]: add FROM and WHERE."""
    bucket = bucket_of(at, edges).label("bucket")
    return select(bucket, func.count(), *by).group_by(bucket, *by)


def cumulative(counts: Iterable[tuple[Any, Any]], points: int) -> list[int]:
    """(bucket, count) pairs → how many rows are at or before each of `points` edges."""
    per = [0] * (points + 1)
    for bucket, n in counts:
        per[int(bucket)] += int(n or 0)
    total, out = 0, []
    for n in per[:points]:
        total += n
        out.append(total)
    return out


def read_series(session: Session, stmt: Executable, points: int) -> list[int]:
    """A statement selecting (bucket, count) rows, as cumulative counts per edge."""
    return cumulative(((r[0], r[1]) for r in session.execute(stmt)), points)
