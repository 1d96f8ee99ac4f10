"""Routes of the assists domain: the assist hot path (the other routes land with the
campaigns service they need)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, status
from starlette.responses import Response

from huzhu.accounts.rules import Permission
from huzhu.assists import hotpath
from huzhu.assists.schemas import AssistGiven, InstanceIdPath

router = APIRouter(tags=["assists"])


@router.post(
    "/instances/{instance_id}/assists",
    response_model=AssistGiven,
    status_code=status.HTTP_201_CREATED,
    responses={202: {"model": AssistGiven, "description": "held for a check, not counted yet"}},
    openapi_extra={"x-huzhu-permission": Permission.ASSIST_GIVE.value},
)
async def give_assist(
    instance_id: InstanceIdPath,
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(max_length=200, description="a retry with the same key gets the first answer"),
    ] = None,
) -> Response:
    """Assist a friend's instance (participant token). 201 counted, 202 held for a check;
    409 `already_assisted`, `instance_full`, `instance_closed`; 403 `self_assist`,
    `assist_refused`, `account_restricted`; 429 `daily_assist_limit`."""
    return await hotpath.give_assist(
        request, instance_id=instance_id, idempotency_key=idempotency_key
    )
