"""What every page route shares: a route class that answers errors with an HTML page
instead of problem+json, form helpers, and safe redirects."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from huzhu.config import Settings
from huzhu.deps import in_one_unit_of_work
from huzhu.errors import (
    HuzhuError,
    NotFound,
    Overloaded,
    as_overloaded,
    http_problem,
    huzhu_response,
    is_overload,
)
from huzhu.web import auth, messages, security
from huzhu.web.templating import render

SIGNED_OUT_NOTICE = "signed_out_deleted"  # messages.NOTICES


class PageRoute(APIRoute):
    """A HuzhuError raised by a service becomes the error page with the same status and
    stable code, so a person gets a page and a test can still read the code."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                signed_out = await auth.without_deleted_account(request)
            except Overloaded as exc:  # not even the cookie's account could be read
                return error_page(request, exc)
            if signed_out is None:
                return await _answer(handler, request)
            response = await _answer(handler, signed_out)
            return _told_signed_out(signed_out, response)

        return handle


async def _answer(
    handler: Callable[[Request], Coroutine[Any, Any, Response]], request: Request
) -> Response:
    try:
        return await handler(request)
    except HuzhuError as exc:
        return error_page(request, exc)
    except (RequestValidationError, OverflowError):
        # /i/abc or an id beyond 64 bits names nothing: a page, not a JSON 422.
        return error_page(request, NotFound("no such page"))
    except Exception as exc:
        if not is_overload(exc):
            raise
        return error_page(request, as_overloaded(request, exc))


def _told_signed_out(request: Request, response: Response) -> Response:
    """A page served to a deleted account's cookie: the cookie goes, and the person is
    told why, on this page (base.html) or on the one a redirect leads to."""
    settings: Settings = request.app.state.settings
    security.clear_cookie(response, request, settings, name=security.PARTICIPANT_COOKIE)
    location = response.headers.get("location")
    if location is not None and "notice=" not in location:
        joiner = "&" if "?" in location else "?"
        response.headers["location"] = f"{location}{joiner}notice={SIGNED_OUT_NOTICE}"
    return response


def error_page(request: Request, exc: HuzhuError) -> Response:
    """The error page; a 503 for overload is problem+json to a client that is not a
    browser (it retries by the Retry-After both carry)."""
    if isinstance(exc, Overloaded) and not wants_page(request):
        return huzhu_response(request, exc)
    page = render(
        request,
        "error.html",
        status=exc.status,
        status_code=exc.status,
        code=exc.code,
        message=messages.problem_text(request, code=exc.code, detail=exc.detail, extra=exc.extra),
    )
    if "retry_after" in exc.extra:
        page.headers["Retry-After"] = str(exc.extra["retry_after"])
    return page


API_PATH = "/api"


def wants_page(request: Request) -> bool:
    """A browser asking for a page: it accepts HTML and the path is not the API's (API
    clients keep problem+json whatever they accept)."""
    path = request.url.path
    if path == API_PATH or path.startswith(API_PATH + "/"):
        return False
    return "text/html" in request.headers.get("accept", "").lower()


async def routing_error(request: Request, exc: StarletteHTTPException) -> Response:
    """A path no route serves: the HTML error page for a browser, problem+json for
    everyone else."""
    if exc.status_code == 404 and wants_page(request):
        return error_page(request, NotFound("no such page"))
    return await http_problem(request, exc)


def local_path(target: str | None, default: str) -> str:
    """Only a path on this site: `next=` must never send a person elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def redirect(path: str, **query: Any) -> RedirectResponse:
    """303 See Other after a form POST (the browser then GETs the page)."""
    clean = {k: v for k, v in query.items() if v is not None}
    url = path + ("?" + urlencode(clean) if clean else "")
    return RedirectResponse(url, status_code=303)


async def form_of(request: Request) -> dict[str, str]:
    """The submitted form as plain strings, after the CSRF check."""
    form = await request.form()
    data = {k: v for k, v in form.items() if isinstance(v, str)}
    settings: Settings = request.app.state.settings
    security.check_csrf(request, settings, data.get(security.CSRF_FIELD))
    return data


async def form_step(
    request: Request, work: Callable[[Session], object], *, back: str, notice: str
) -> Response:
    """A form's one unit of work, then back to `back`: with `notice` when it went
    through, with the problem (said in the person's language) when the engine refused
    it; a 404 is the error page (the thing the form acts on is not there)."""
    try:
        await in_one_unit_of_work(request, work)
    except HuzhuError as exc:
        if exc.status == 404:
            raise
        return redirect(back, **messages.problem_query(request, exc))
    return redirect(back, notice=notice)
