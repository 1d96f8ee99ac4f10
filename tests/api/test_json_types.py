"""Request bodies are taken as JSON says: `true` is not the number 1, `"10"` is not 10,
and `1` is not true — in every field of every request body the API takes (issue 17 found
31 such fields, one of which put an enforcement action on account 1). `3.0` is still 3."""

from __future__ import annotations

import tempfile
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError

from huzhu.accounts.rules import Role
from huzhu.app import create_app
from huzhu.db import Database
from huzhu.kit.jsonbody import JsonBody, json_type_problem
from tests.conftest import make_settings
from tests.factories import auth, make_shop_with_roles


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes)


def _models(annotation: Any) -> Iterator[type[BaseModel]]:
    if get_origin(annotation) in (Union, types.UnionType):
        for arg in get_args(annotation):
            yield from _models(arg)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        for field in annotation.model_fields.values():
            for arg in [field.annotation, *get_args(field.annotation)]:
                for inner in get_args(arg) or [arg]:
                    if isinstance(inner, type) and issubclass(inner, BaseModel):
                        yield from _models(inner)


# Built at import, like the schemathesis module: the parametrisation needs the routes.
APP = create_app(make_settings(f"sqlite:///{Path(tempfile.mkdtemp(prefix='huzhu-jt-')) / 'j.db'}"))
BODIES = sorted(
    {
        model
        for route in _routes(APP.routes)
        if route.body_field is not None
        for model in _models(route.body_field.field_info.annotation)
    },
    key=lambda m: m.__qualname__,
)
SCALAR_FIELDS = [
    (model, name)
    for model in BODIES
    for name, field in model.model_fields.items()
    if json_type_problem(field.annotation, object()) is None
    and (json_type_problem(field.annotation, True) or json_type_problem(field.annotation, 1))
]


def test_every_request_body_takes_json_types_strictly() -> None:
    assert len(BODIES) >= 25
    assert [m.__qualname__ for m in BODIES if not issubclass(m, JsonBody)] == []
    assert len(SCALAR_FIELDS) >= 31


def _errors_at(model: type[BaseModel], name: str, value: Any) -> list[dict[str, Any]]:
    data = {"kind": model.model_fields["kind"].default} if "kind" in model.model_fields else {}
    try:
        model.model_validate(data | {name: value})
    except ValidationError as exc:
        return [e for e in exc.errors() if e["loc"][-1] == name]
    return []


@pytest.mark.parametrize(
    ("model", "name"), SCALAR_FIELDS, ids=[f"{m.__name__}.{n}" for m, n in SCALAR_FIELDS]
)
def test_a_scalar_field_refuses_the_other_json_types(model: type[BaseModel], name: str) -> None:
    annotation = model.model_fields[name].annotation
    wrong = ["10"] + ([True] if json_type_problem(annotation, True) else [1])
    for value in wrong:
        assert [e["type"] for e in _errors_at(model, name, value)] == ["json_type"], value


def test_a_whole_number_written_with_a_point_is_still_a_number() -> None:
    from huzhu.invites.schemas import PreferencesIn

    assert PreferencesIn.model_validate({"daily_max": 3.0}).daily_max == 3
    assert PreferencesIn.model_validate({"daily_max": 3}).daily_max == 3


def test_true_is_not_account_1_over_http(tmp_path: Any) -> None:
    """The issue's case: `{"account_id": true}` no longer puts an action on account 1."""
    url = f"sqlite:///{tmp_path}/j.db"
    from huzhu.migrations import run_migrations

    run_migrations(url)
    settings = make_settings(url)
    db = Database(settings.db)
    shop = make_shop_with_roles(db, settings)
    owner = auth(shop.tokens[Role.OWNER])
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        for value in (True, "1"):
            answer = client.post(
                "/api/v1/enforcement/actions",
                json={"account_id": value, "kind": "warning", "reason": "a test"},
                headers=owner,
            )
            assert answer.status_code == 422, answer.text
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert [e["field"] for e in answer.json()["errors"]] == ["account_id"]
        actions = client.get("/api/v1/enforcement/actions", headers=owner).json()["items"]
        assert actions == []
    db.dispose()
