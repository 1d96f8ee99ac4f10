"""Request bodies taken as JSON says, not as pydantic's lax mode would read them.

Lax mode turns JSON `true` into the integer 1 and the string "10" into 10, so
`{"account_id": true}` once put an enforcement action on account 1. Every request model
derives from `JsonBody`, which refuses, field by field, before any conversion:
- true or false where a number is expected, and a string where only a number is;
- a number or a string where only true or false is.
`3.0` is still the integer 3 (JSON Schema's "integer" allows it), and every other type
(strings, enums, times, nested models) is validated as before.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

_NUMBERS = frozenset({int, float})
_SCALARS = frozenset({int, float, bool})


def _members(annotation: Any) -> set[Any]:
    """The types a field takes, Optional and Annotated unwrapped; None left out."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        found: set[Any] = set()
        for arg in get_args(annotation):
            found |= _members(arg)
        return found
    return set() if annotation is type(None) else {annotation}


def json_type_problem(annotation: Any, value: Any) -> str | None:
    """Why `value` is not the JSON type the field takes, or None when it may be."""
    members = _members(annotation)
    if not members or not members <= _SCALARS:
        return None  # strings, enums, times, models: their own validation decides
    if isinstance(value, bool):
        return None if bool in members else "must be a number, not true or false"
    if isinstance(value, str):
        return (
            "must be a JSON number, not a string"
            if members & _NUMBERS
            else ("must be true or false, not a string")
        )
    if isinstance(value, int | float) and not members & _NUMBERS:
        return "must be true or false, not a number"
    return None


def _items_of(annotation: Any) -> Any | None:
    """The item type of a list field (Optional and Annotated unwrapped), else None."""
    for member in _members(annotation):
        if get_origin(member) is list and get_args(member):
            return get_args(member)[0]
    return None


class JsonBody(BaseModel):
    """The base of every request body (see the module's docstring). A model validator
    rather than a field validator: a discriminated union's tag may carry none."""

    @model_validator(mode="before")
    @classmethod
    def _json_types(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        errors = []
        for name, field in cls.model_fields.items():
            key = field.alias or name
            if key not in data or data[key] is None:
                continue
            for loc, value, problem in _problems(field.annotation, data[key], key):
                errors.append(
                    InitErrorDetails(
                        type=PydanticCustomError("json_type", problem),
                        loc=loc,
                        input=value,
                    )
                )
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return data


def _problems(
    annotation: Any, value: Any, key: str
) -> list[tuple[tuple[str | int, ...], Any, str]]:
    items = _items_of(annotation)
    if items is not None and isinstance(value, list):
        return [
            ((key, position), item, problem)
            for position, item in enumerate(value)
            if (problem := json_type_problem(items, item)) is not None
        ]
    problem = json_type_problem(annotation, value)
    return [] if problem is None else [((key,), value, problem)]
