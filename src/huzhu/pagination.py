"""Keyset pagination shared by every list endpoint.

Lists are ordered by id descending (newest first) and cut with a cursor — the last id of
the previous page — so a page never skips or repeats rows while new ones are inserted.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

T = TypeVar("T")
MAX_LIMIT = 200


class PageParams(BaseModel):
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    cursor: int | None = Field(default=None, ge=0, description="next_cursor of the previous page")


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="rows per page")] = 50,
    cursor: Annotated[int | None, Query(ge=0, description="previous next_cursor")] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: int | None = Field(description="the ?cursor= of the next page; null at the end")


def fetch_page(
    session: Session, stmt: Select[Any], id_column: InstrumentedAttribute[int], params: PageParams
) -> tuple[list[Any], int | None]:
    """Rows of one page of `stmt` (a select of ORM entities) and the next cursor."""
    if params.cursor is not None:
        stmt = stmt.where(id_column < params.cursor)
    rows = list(session.scalars(stmt.order_by(id_column.desc()).limit(params.limit + 1)))
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        return rows, int(getattr(rows[-1], id_column.key))
    return rows, None
