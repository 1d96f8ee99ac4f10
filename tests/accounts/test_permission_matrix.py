"""Every API route, called by every role and by an anonymous caller, is allowed or denied
exactly as the role table in accounts/rules.py says — the whole matrix, not a sample.

A route states its permission with `Depends(require(...))`, or — for the assist hot path,
which authenticates without the session dependency — with
`openapi_extra={"x-huzhu-permission": ...}`. A route with neither is public, and the
public set is pinned here so a forgotten `require` fails this test.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from huzhu.accounts.deps import permission_of
from huzhu.accounts.rules import ROLE_PERMISSIONS, Permission, Role
from huzhu.app import API_PREFIX, api_routers, create_app
from huzhu.config import Settings
from huzhu.db import Database
from tests.conftest import make_settings
from tests.factories import auth, make_shop_with_roles

# Routes anyone may call: sign-in, and the honest public views a helper opens before
# assisting. Adding a public route means adding it here, on purpose.
PUBLIC_ROUTES = {
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/participant"),
    ("GET", "/api/v1/campaigns/{campaign_id}/public"),
    ("GET", "/api/v1/campaigns/{campaign_id}/draw"),
    ("GET", "/api/v1/instances/{instance_id}"),
    ("GET", "/api/v1/instances/{instance_id}/cuts"),
    ("GET", "/api/v1/teams/{team_id}"),
    # WeChat: the JS-SDK config a share page asks for, and the OAuth sign-in's two legs.
    ("GET", "/api/v1/wechat/jssdk-config"),
    ("GET", "/api/v1/wechat/oauth/authorize"),
    ("GET", "/api/v1/wechat/oauth/callback"),
    # invites: anyone holding a share link may open it or print its QR code, and an
    # invite's one-tap opt-out works without signing in (the token is the authority).
    ("POST", "/api/v1/shares/{token}/open"),
    ("GET", "/api/v1/shares/{token}/qr.png"),
    ("GET", "/api/v1/shares/{token}/qr.svg"),
    ("POST", "/api/v1/opt-outs/{token}"),
}


def _permission(route: APIRoute) -> Permission | None:
    extra = (route.openapi_extra or {}).get("x-huzhu-permission")
    if extra:
        return Permission(extra)
    stack: list[Any] = [route.dependant]
    while stack:
        dep = stack.pop()
        found = permission_of(dep.call) if dep.call is not None else None
        if found is not None:
            return found
        stack.extend(dep.dependencies)
    return None


def _api_routes(app: Any) -> list[tuple[str, str, APIRoute]]:
    out = []
    for router in api_routers():
        for route in router.routes:
            if isinstance(route, APIRoute):
                for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                    out.append((method, API_PREFIX + route.path, route))
    # Sign-out revokes the caller's token, so it goes last, and deleting one's account
    # (the participant, the last caller) after it.
    return sorted(
        out, key=lambda r: (r[:2] == ("DELETE", API_PREFIX + "/me"), r[1].endswith("/logout"))
    )


def _problem_code(resp: Any) -> str | None:
    if not resp.headers.get("content-type", "").startswith("application/problem+json"):
        return None
    body = resp.json()
    return body.get("code") if isinstance(body, dict) else None


def _concrete(path: str) -> str:
    # Any id will do: authorization is decided before the row is looked up.
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.fixture
def matrix_env(sqlite_url: str) -> Any:
    settings: Settings = make_settings(sqlite_url)
    db = Database(settings.db)
    shop = make_shop_with_roles(db, settings)
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield app, client, shop
    db.dispose()


def test_public_routes_are_exactly_the_pinned_set(matrix_env: Any) -> None:
    app, _, _ = matrix_env
    public = {(m, p) for m, p, r in _api_routes(app) if _permission(r) is None}
    assert public <= PUBLIC_ROUTES, f"routes without a permission: {public - PUBLIC_ROUTES}"


def test_every_route_allows_and_denies_every_role_as_the_table_says(matrix_env: Any) -> None:
    app, client, shop = matrix_env
    callers: list[tuple[str, Role | None]] = [("anonymous", None)] + [(r.value, r) for r in Role]
    mismatches: list[str] = []
    checked = 0
    for method, path, route in _api_routes(app):
        needed = _permission(route)
        for name, role in callers:
            headers = auth(shop.tokens[role]) if role is not None else {}
            body = {} if method in ("POST", "PUT", "PATCH") else None
            resp = client.request(method, _concrete(path), headers=headers, json=body)
            assert resp.status_code < 500, (
                f"{method} {path} as {name}: {resp.status_code} {resp.text}"
            )
            code = _problem_code(resp)
            denied = resp.status_code == 401 or code == "permission_denied"
            if needed is None:
                expected_denied = False
            elif role is None:
                expected_denied = True
            else:
                expected_denied = needed not in ROLE_PERMISSIONS[role]
            checked += 1
            if denied != expected_denied:
                mismatches.append(
                    f"{method} {path} as {name}: got {resp.status_code} {code}, "
                    f"expected {'deny' if expected_denied else 'allow'} ({needed})"
                )
    assert checked >= 7 * 8
    assert not mismatches, "\n".join(mismatches)


# The review queue and the enforcement ladder: who may call what, pinned route by route,
# so a route that names the wrong permission fails here even when the table allows it.
REVIEW_AND_ENFORCEMENT_ROUTES = {
    ("POST", "/api/v1/reports"): Permission.REPORT_FILE,
    ("GET", "/api/v1/review/cases"): Permission.REVIEW_READ,
    ("GET", "/api/v1/review/cases/{case_id}"): Permission.REVIEW_READ,
    ("POST", "/api/v1/review/cases/{case_id}/assign"): Permission.REVIEW_DECIDE,
    ("POST", "/api/v1/review/cases/{case_id}/confirm"): Permission.REVIEW_DECIDE,
    ("POST", "/api/v1/review/cases/{case_id}/dismiss"): Permission.REVIEW_DECIDE,
    ("POST", "/api/v1/enforcement/actions"): Permission.ENFORCEMENT_ACT,
    ("GET", "/api/v1/enforcement/actions"): Permission.REVIEW_READ,
    ("GET", "/api/v1/enforcement/actions/{action_id}"): Permission.REVIEW_READ,
    ("POST", "/api/v1/enforcement/actions/{action_id}/lift"): Permission.ENFORCEMENT_ACT,
    ("GET", "/api/v1/enforcement/accounts/{account_id}"): Permission.REVIEW_READ,
    ("GET", "/api/v1/me/enforcement"): Permission.ENFORCEMENT_READ_OWN,
    ("POST", "/api/v1/enforcement/actions/{action_id}/appeal"): Permission.APPEAL_FILE,
    ("GET", "/api/v1/appeals"): Permission.REVIEW_READ,
    ("GET", "/api/v1/appeals/{appeal_id}"): Permission.REVIEW_READ,
    ("POST", "/api/v1/appeals/{appeal_id}/decide"): Permission.APPEAL_DECIDE,
}
ANALYSTS = {Role.OWNER, Role.ANALYST}


def test_review_and_enforcement_routes_name_their_permission_and_only_analysts_decide() -> None:
    declared = {
        (m, p): _permission(r)
        for m, p, r in _api_routes(None)
        if (m, p) in REVIEW_AND_ENFORCEMENT_ROUTES
    }
    assert declared == REVIEW_AND_ENFORCEMENT_ROUTES
    for permission in set(REVIEW_AND_ENFORCEMENT_ROUTES.values()):
        holders = {role for role in Role if permission in ROLE_PERMISSIONS[role]}
        participant_acts = {
            Permission.REPORT_FILE,
            Permission.APPEAL_FILE,
            Permission.ENFORCEMENT_READ_OWN,
        }
        assert holders == ({Role.PARTICIPANT} if permission in participant_acts else ANALYSTS)


def test_only_owners_read_the_audit_log() -> None:
    """It records what analysts and operators did and looked at: theirs to be watched
    by, not to read or export."""
    (declared,) = [
        _permission(r) for m, p, r in _api_routes(None) if (m, p) == ("GET", "/api/v1/audit")
    ]
    assert declared == Permission.AUDIT_READ
    assert {role for role in Role if Permission.AUDIT_READ in ROLE_PERMISSIONS[role]} == {
        Role.OWNER
    }
