"""HuzhuError and the one handler that turns every error into application/problem+json.

Services raise HuzhuError subclasses with a stable `code`; clients branch on the code,
people read `detail`. Validation errors take the same shape and name the field. An
unexpected error is a 500 that carries only a request id: the traceback goes to the log,
never to the client.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Sequence
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from huzhu.kit.logs import REQUEST_ID

log = logging.getLogger("huzhu.errors")

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://huzhu.dev/problems/"


RESERVED_MEMBERS = frozenset({"type", "title", "status", "detail", "code", "instance"})


class HuzhuError(Exception):
    """A failure a client can act on. Subclasses fix `code`, `status` and `title`."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400
    title: ClassVar[str] = "Request failed"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        clash = RESERVED_MEMBERS & extra.keys()
        if clash:  # an extra must never overwrite a member every problem has
            raise TypeError(f"reserved problem members: {sorted(clash)}")
        self.detail = detail or self.title
        self.extra = extra
        super().__init__(self.detail)

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": TYPE_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class InvalidInput(HuzhuError):
    code = "invalid_input"
    status = 422
    title = "The request is not valid"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        errors = extra.pop("errors", None) or (
            [{"field": field, "message": detail}] if field else []
        )
        super().__init__(detail, errors=errors, **extra)


class NotFound(HuzhuError):
    code = "not_found"
    status = 404
    title = "Not found"


class Conflict(HuzhuError):
    code = "conflict"
    status = 409
    title = "Conflict with the current state"


class Unauthenticated(HuzhuError):
    code = "unauthenticated"
    status = 401
    title = "Authentication required"


class Forbidden(HuzhuError):
    code = "forbidden"
    status = 403
    title = "Not allowed"


class RateLimited(HuzhuError):
    code = "rate_limited"
    status = 429
    title = "Too many requests"


class Overloaded(HuzhuError):
    """The database could not take the request in time (no connection free within the
    bounded wait, the server refusing clients or briefly gone): nothing was written, and
    the same request may simply be sent again after `retry_after` seconds."""

    code = "overloaded"
    status = 503
    title = "The service is busy; retry shortly"


# asyncpg's connection-level failures, by class name: the hot path's pool raises them
# raw (no SQLAlchemy wrapper), and this module must not import asyncpg.
_ASYNCPG_UNAVAILABLE = frozenset(
    {
        "TooManyConnectionsError",
        "CannotConnectNowError",
        "ConnectionDoesNotExistError",
        "ConnectionFailureError",
        "AdminShutdownError",
        "CrashShutdownError",
        "ServerNotReadyError",
    }
)


def is_overload(exc: BaseException) -> bool:
    """The database could not take this work now, rather than the work being wrong: a
    pool's bounded wait ran out, PostgreSQL refused or lost the connection (too many
    clients, shutting down, gone) or rolled the transaction back to be retried
    (OperationalError covers all of these), SQLite stayed busy past its timeout. Each
    leaves nothing written, so a client may retry."""
    if isinstance(exc, Overloaded | PoolTimeout):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError):
        if exc.orig is not None and type(exc.orig).__module__.startswith("sqlite3"):
            message = str(exc.orig).lower()
            return "locked" in message or "busy" in message
        return True
    return type(exc).__module__.startswith("asyncpg") and (
        type(exc).__name__ in _ASYNCPG_UNAVAILABLE
    )


def overloaded(retry_after: int, detail: str | None = None) -> Overloaded:
    return Overloaded(
        detail
        or "too many requests are waiting for the database; retry after the Retry-After seconds",
        retry_after=retry_after,
    )


class ProblemField(BaseModel):
    field: str
    message: str
    # A refusal with a stable code says it and its parameters, so a client can word it
    # in its reader's language (the console does: web/campaign_form.py).
    code: str | None = None
    params: dict[str, Any] | None = None


class Problem(BaseModel):
    """RFC 9457 problem details, as every error of this API is sent."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    errors: list[ProblemField] | None = None


def problem_doc(status: int, description: str) -> dict[str, object]:
    """A route's own description of one error status, documented as problem+json like
    the router-wide PROBLEM_RESPONSES (a bare `{"model": Problem}` would say JSON)."""
    return {
        "model": Problem,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        "description": description,
    }


# Documented on every /api/v1 route so clients (and schemathesis) know the error shape.
PROBLEM_RESPONSES: dict[int | str, dict[str, object]] = {
    status: problem_doc(status, description)
    for status, description in (
        (400, "Bad request"),
        (401, "Not authenticated"),
        (403, "Not allowed"),
        (404, "Not found"),
        (409, "Conflict with the current state"),
        (422, "Invalid input; `errors` names the fields"),
        (429, "Too many requests"),
        (503, "Busy: retry after the Retry-After seconds"),
    )
}


def problem_response(
    body: dict[str, Any], *, status: int, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_path(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def validation_errors(errors: Sequence[Any]) -> list[dict[str, str]]:
    return [
        {"field": _field_path(err.get("loc", ())), "message": str(err.get("msg", "invalid"))}
        for err in errors
    ]


def _allowed_methods(request: Request) -> list[str]:
    path = request.url.path
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            methods.update(m.upper() for m in operations)
    return sorted(methods)


async def http_problem(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """A routing-level error (no such path, wrong method) as problem+json. The web pages
    put their own handler in front of it for browsers (web/routes.py) and call this one
    for everything else."""
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 405:
        # Starlette lists only the first matching route's methods; a path served by
        # several routes (GET and POST /tokens) must list them all.
        headers = {"Allow": ", ".join(_allowed_methods(request))}
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    body = {
        "type": TYPE_BASE + code,
        "title": str(exc.detail),
        "status": exc.status_code,
        "detail": str(exc.detail),
        "code": code,
        "instance": request.url.path,
    }
    return problem_response(body, status=exc.status_code, headers=headers)


def _retry_after(request: Request) -> int:
    settings = getattr(request.app.state, "settings", None)
    return int(settings.db.retry_after_seconds) if settings is not None else 1


def as_overloaded(request: Request, exc: BaseException) -> Overloaded:
    """The Overloaded an overload (is_overload) is answered with."""
    if isinstance(exc, Overloaded):
        return exc
    log.warning("shed request path=%s: %s", request.url.path, type(exc).__name__)
    return overloaded(_retry_after(request))


def _shed(request: Request, exc: BaseException) -> JSONResponse:
    """The 503 for an overload that reached a handler as a database error."""
    return huzhu_response(request, as_overloaded(request, exc))


def huzhu_response(request: Request, exc: HuzhuError) -> JSONResponse:
    headers = {"Retry-After": str(exc.extra["retry_after"])} if "retry_after" in exc.extra else None
    return problem_response(exc.to_problem(request.url.path), status=exc.status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HuzhuError)
    async def _huzhu(request: Request, exc: HuzhuError) -> JSONResponse:
        return huzhu_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc.errors())
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        err = InvalidInput(detail or "invalid request", errors=errors)
        return problem_response(err.to_problem(request.url.path), status=422)

    app.add_exception_handler(StarletteHTTPException, http_problem)  # type: ignore[arg-type]

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> JSONResponse:
        # An id or amount beyond the database's 64-bit integers (e.g. /endpoints/2**63)
        # matches nothing that can exist; say so instead of failing with a 500.
        err = InvalidInput("a number in the request is out of range", field="path or body")
        return problem_response(err.to_problem(request.url.path), status=422)

    @app.exception_handler(PoolTimeout)
    @app.exception_handler(OperationalError)
    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        if is_overload(exc):
            return _shed(request, exc)
        return await _unexpected(request, exc)

    @app.exception_handler(DataError)
    async def _data_error(request: Request, exc: DataError) -> JSONResponse:
        err = InvalidInput("a value in the request is out of range for this field")
        return problem_response(err.to_problem(request.url.path), status=422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        if is_overload(exc):  # raised outside the routes (a middleware's own unit of work)
            return _shed(request, exc)
        # The id huzhu/telemetry.py gave this request (and its log lines, and its header).
        current = REQUEST_ID.get()
        request_id = current if current != "-" else uuid.uuid4().hex
        # Only the path and the exception: request bodies and headers may hold personal data.
        log.error(
            "unhandled error request_id=%s path=%s", request_id, request.url.path, exc_info=exc
        )
        body = {
            "type": TYPE_BASE + "internal",
            "title": "Internal error",
            "status": 500,
            "detail": "An unexpected error happened; quote the request id when reporting it.",
            "code": "internal",
            "request_id": request_id,
        }
        return problem_response(body, status=500)
