"""The assist route, POST /api/v1/instances/{instance_id}/assists.

It is measured against a trivial endpoint of the same app, so it avoids everything a
normal route pays for: the app serves it as a bare Starlette route placed first
(`answer_assist`, no dependency solving; its parameters are parsed here by hand), and the
FastAPI route of the same path below only documents it in the OpenAPI schema and the
permission matrix. Both run `answer_assist`; every middleware runs around it as around
any route.
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request, status
from starlette.responses import Response

from huzhu.accounts.rules import Permission, parse_bearer
from huzhu.assists.hotpath.repository.acts import Outcome
from huzhu.assists.hotpath.service import HotPath, assist_request, request_headers
from huzhu.assists.rules import AssistStatus
from huzhu.assists.schemas import MAX_ID, AssistGiven
from huzhu.errors import HuzhuError, InvalidInput
from huzhu.kit import metrics

# A router of its own, included first by the app so that matching it does not walk
# every other route; its endpoint takes the bare Request and documents its parameters
# by hand.
hot_router = APIRouter(tags=["assists"])
HOT_PATH = "/instances/{instance_id}/assists"

_HOT_PARAMETERS = [
    {
        "name": "instance_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    },
    {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "a retry with the same key gets the first answer",
        "schema": {"type": "string", "maxLength": 200},
    },
    {
        "name": "share",
        "in": "query",
        "required": False,
        "description": "the token of the share link the helper came through (recorded on "
        "the assist; a bad link is refused like opening it)",
        "schema": {"type": "string", "maxLength": 600},
    },
    {
        "name": "share_open",
        "in": "query",
        "required": False,
        "description": "the `open_id` returned by opening that link",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    },
]


def _id(raw: str, *, field: str) -> int:
    """A positive 64-bit id from a path or query string."""
    value = int(raw) if raw.isdigit() and len(raw) <= 19 else 0
    if not 1 <= value <= MAX_ID:
        raise InvalidInput(f"{field} must be a positive 64-bit integer", field=field)
    return value


async def answer_assist(request: Request) -> Response:
    """The route body (of the app's bare route and of the documented one below): 201
    counted, 202 held for review; a replay of the same Idempotency-Key answers the first
    status and body again. `instance_id`, Idempotency-Key and the optional `share` /
    `share_open` query parameters are validated by hand (FastAPI's parameter solving
    costs more than the transaction)."""
    headers = request_headers(request)
    instance_id = _id(request.path_params.get("instance_id", ""), field="instance_id")
    key = headers.get("idempotency-key") or None
    if key is not None and len(key) > 200:
        raise InvalidInput("at most 200 characters", field="Idempotency-Key")
    share, share_open = None, None
    if request.scope.get("query_string"):
        query = request.query_params
        share = query.get("share") or None
        if share is not None and len(share) > 600:
            raise InvalidInput("at most 600 characters", field="share")
        raw_open = query.get("share_open")
        share_open = _id(raw_open, field="share_open") if raw_open is not None else None
    ask = await assist_request(
        request,
        token=parse_bearer(headers.get("authorization", "")),
        instance_id=instance_id,
        idempotency_key=key,
        share=share,
        share_open_id=share_open,
        headers=headers,
    )
    hotpath: HotPath = request.app.state.hotpath
    try:
        outcome = await hotpath.give(ask)
    except HuzhuError as refused:
        metrics.count(metrics.ASSIST_OUTCOMES, "refused", refused.code)
        raise
    metrics.count(metrics.ASSIST_OUTCOMES, outcome.outcome, "")
    if outcome.outcome == Outcome.HELD:
        metrics.count(metrics.RISK_HOLDS, HOT_PATH)
    body = orjson.dumps(
        {
            "assist_id": outcome.assist_id,
            "instance_id": instance_id,
            "status": outcome.assist_status,
            "slot": outcome.slot,
            "value": outcome.value,
        }
    )
    replayed = {"Idempotent-Replayed": "true"} if outcome.outcome == Outcome.REPLAY else None
    status_code = 202 if outcome.assist_status == AssistStatus.HELD else 201
    return Response(body, status_code=status_code, media_type="application/json", headers=replayed)


@hot_router.post(
    HOT_PATH,
    response_model=AssistGiven,
    status_code=status.HTTP_201_CREATED,
    responses={202: {"model": AssistGiven, "description": "held for a check, not counted yet"}},
    openapi_extra={
        "x-huzhu-permission": Permission.ASSIST_GIVE.value,
        "parameters": _HOT_PARAMETERS,
    },
)
async def give_assist(request: Request) -> Response:
    """Assist a friend's instance (participant token). 201 counted, 202 held for a check;
    409 `already_assisted`, `instance_full`, `instance_closed`; 403 `self_assist`,
    `blocked`, `assist_refused`, `account_restricted`; 429 `daily_assist_limit`. With
    `share`: 404 `link_tampered` / `link_unknown_key`, 410 `link_expired` /
    `link_revoked` / `link_retired_key`, 422 `link_mismatch`."""
    return await answer_assist(request)
