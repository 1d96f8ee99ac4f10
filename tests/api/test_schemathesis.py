"""Property-based API tests: schemathesis generates requests from our OpenAPI schema and
checks that no response is a 5xx and every response matches the documented schema,
status codes and content types — as an owner, as a participant and anonymously.

The app is built at import time on its own migrated SQLite database because
schemathesis' pytest integration needs the schema when the module is collected.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from huzhu.accounts.rules import Role
from huzhu.app import create_app
from huzhu.db import Database
from huzhu.migrations import run_migrations
from tests.conftest import make_settings
from tests.factories import auth, make_participant, make_shop_with_roles

_DB_PATH = Path(tempfile.mkdtemp(prefix="huzhu-st-")) / "api.db"
run_migrations(f"sqlite:///{_DB_PATH}")
_SETTINGS = make_settings(f"sqlite:///{_DB_PATH}")
_DB = Database(_SETTINGS.db)
_SHOP = make_shop_with_roles(_DB, _SETTINGS)
APP = create_app(_SETTINGS)


def _someone_new() -> str:
    """A fresh participant's token, for a call that deletes its caller's account (the
    shared participant must outlive it)."""
    with _DB.unit_of_work() as s:
        return make_participant(s, _SETTINGS, shop_id=_SHOP.shop_id, name=uuid.uuid4().hex)[1]


schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
# A NUL character in any body is refused before the routes (422 `nul_character`, the
# same on every database; tests/api/test_bodyguard.py): JSON Schema cannot say so.
schema.config.generation.update(allow_x00=False)

# Campaign definitions have honesty rules across fields that JSON Schema cannot state (the
# budget must cover one instance's worst case, ends_at after starts_at, a reachable
# bargain); there a schema-valid body may rightly get a 422 naming the field. Every other
# check still runs on them, and every check runs on all other routes.
SEMANTIC_VALIDATION = {
    ("POST", "/api/v1/campaigns"),
    ("PATCH", "/api/v1/campaigns/{campaign_id}"),
    ("POST", "/api/v1/campaigns/{campaign_id}/schedule"),
    # invites: a time zone must be one of the server's IANA zones (422 naming it).
    ("PUT", "/api/v1/me/invite-preferences"),
    # guardrails: a cap's ceiling is the shop's setting, not part of the schema (422
    # `cap_above_ceiling` naming the cap and its ceiling).
    ("PUT", "/api/v1/me/guardrails"),
    # inbox: every kind is a kind, but muting enforcement or appeal outcomes is refused
    # with a code naming the kind (`enforcement_not_muteable`), not a schema error.
    ("PUT", "/api/v1/me/inbox/preferences"),
    # accounts: a display name may not hold control, format or unassigned characters,
    # judged by Unicode category (422 `invalid_display_name`), which a pattern cannot say.
    ("PUT", "/api/v1/me/display-name"),
    # ...and so may the name a sign-in gives a new account (the same rule).
    ("POST", "/api/v1/auth/participant"),
    ("POST", "/api/v1/participants/token"),
}


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema(case: Any) -> None:
    for caller in (Role.OWNER, Role.PARTICIPANT, None):
        headers = auth(_SHOP.tokens[caller]) if caller is not None else {}
        if case.path.endswith("/logout"):
            headers = {}  # signing out would revoke the token the other calls use
        if (case.method.upper(), case.path) == ("DELETE", "/api/v1/me") and caller is not None:
            headers = auth(_someone_new())  # deleting would end the shared participant
        excluded = (
            [positive_data_acceptance]
            if (case.method.upper(), case.path) in SEMANTIC_VALIDATION
            else []
        )
        case.call_and_validate(headers=headers, excluded_checks=excluded)
