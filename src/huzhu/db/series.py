"""Cumulative counts at a series of moments in one aggregate statement: a
`SUM(CASE WHEN t <= edge THEN 1 ELSE 0 END)` column per moment, so a series costs one
scan whatever its length and reads the same on SQLite and PostgreSQL (no dialect's
date functions). Used by the dashboard's counts in every domain that keeps rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Executable, case, func
from sqlalchemy.orm import Session


def counts_upto(at: Any, edges: Sequence[datetime]) -> list[ColumnElement[int]]:
    """One column per edge: how many rows have `at` at or before it."""
    return [func.coalesce(func.sum(case((at <= edge, 1), else_=0)), 0) for edge in edges]


def read_series(session: Session, stmt: Executable) -> list[int]:
    """The one row of a `counts_upto` statement as integers, in the edges' order."""
    return [int(v or 0) for v in session.execute(stmt).one()]
