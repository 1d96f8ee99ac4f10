"""Every request, as a pure ASGI middleware around the whole app: a request id (taken
from a sane `X-Request-ID` or made, returned in the response header, on every log line
of the request: kit/logs.py), one access log line with tokens redacted, and the request
metrics by route template (kit/metrics.py). The template, not the path: ids and tokens
would make a label per request."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from huzhu.kit import metrics
from huzhu.kit.logs import REQUEST_ID, new_request_id, redact_target

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HEADER = b"x-request-id"
UNMATCHED = "unmatched"
access_log = logging.getLogger("huzhu.access")


def route_template(scope: Scope) -> str | None:
    """The matched route's path with its parameters as `{name}`, or None when no route
    matched. Rebuilt from the path parameters the router left in the scope, which every
    kind of route does (the hot path and share opens are plain Starlette routes)."""
    if "endpoint" not in scope:
        return None
    path: str = scope["path"]
    params: dict[str, Any] = scope.get("path_params") or {}
    named = {str(value): name for name, value in params.items()}
    for value, name in named.items():
        if "/" in value and path.endswith("/" + value):  # a {name:path} parameter
            path = path[: -len(value)] + "{" + name + "}"
    return "/".join("{" + named[part] + "}" if part in named else part for part in path.split("/"))


def _offered_id(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key == HEADER:
            return bytes(value).decode("latin-1")
    return None


class Telemetry:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id(_offered_id(scope))
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500  # what the client gets when the app fails before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", []), (HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, status, time.perf_counter() - started)
            REQUEST_ID.reset(token)

    @staticmethod
    def _record(scope: Scope, status: int, seconds: float) -> None:
        route = route_template(scope)
        method: str = scope["method"]
        metrics.observe_request(
            route=route or UNMATCHED, method=method, status=status, seconds=seconds
        )
        if access_log.isEnabledFor(logging.INFO):
            target = redact_target(
                scope["path"], scope.get("query_string", b"").decode("latin-1"), route
            )
            access_log.info(
                "%s %s %s",
                method,
                target,
                status,
                extra={
                    "method": method,
                    "path": target,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )
