"""Errors are problem+json with a stable code, never a 500, also for absurd input."""

from __future__ import annotations

from fastapi.testclient import TestClient

from huzhu.app import create_app
from tests.conftest import make_settings


def test_an_id_beyond_64_bits_is_a_clear_422_not_a_500(sqlite_url: str) -> None:
    from huzhu.accounts.rules import Role
    from huzhu.db import Database
    from tests.factories import auth, make_shop_with_roles

    settings = make_settings(sqlite_url)
    shop = make_shop_with_roles(Database(settings.db), settings)
    client = TestClient(create_app(settings))
    resp = client.delete(f"/api/v1/tokens/{2**63}", headers=auth(shop.tokens[Role.OWNER]))
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid_input"


def test_an_error_cannot_overwrite_a_member_every_problem_has() -> None:
    """A refusal once passed status="draft" as an extra and its body said "status":
    "draft" where clients (and the schema) expect the HTTP status (found by schemathesis)."""
    import pytest

    from huzhu.errors import HuzhuError

    with pytest.raises(TypeError, match="status"):
        HuzhuError("nope", status="draft")
    body = HuzhuError("fine", campaign_status="draft").to_problem()
    assert (body["status"], body["campaign_status"]) == (400, "draft")
