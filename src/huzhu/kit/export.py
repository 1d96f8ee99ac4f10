"""Plain data for a person's export: each domain's `export_of` turns its own rows into
JSON-ready dicts with these, naming every field it gives on purpose (a new column is
not exported by accident, and no other person's id slips in with a whole row)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from enum import Enum
from typing import Any

# Maps another person's account id to the pseudonym this export calls them by: stable
# within one person's export, useless outside it.
Pseudonym = Callable[[int], str]


def plain(value: Any) -> Any:
    """A value as JSON has it: times in ISO 8601 UTC, enums by their value."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def fields_of(row: Any, names: Iterable[str]) -> dict[str, Any]:
    """The named attributes of one row, as plain data."""
    return {name: plain(getattr(row, name)) for name in names}
