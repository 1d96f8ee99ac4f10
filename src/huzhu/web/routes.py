"""Wiring of the web pages into the app: the page routers and our static files."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from huzhu.web import (
    audit,
    consent,
    console,
    console_instances,
    draws,
    inbox,
    participant,
    preferences,
    privacy,
    relations,
    review,
    share,
    standing,
)
from huzhu.web.pages import routing_error

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Called after errors.install_error_handlers: its routing-error handler is replaced
    by one that answers browsers with a page and defers to it otherwise."""
    app.add_exception_handler(StarletteHTTPException, routing_error)  # type: ignore[arg-type]
    app.mount("/static/web", StaticFiles(directory=STATIC), name="web-static")
    app.add_api_route("/favicon.ico", favicon, include_in_schema=False)
    app.include_router(console.router)
    app.include_router(console_instances.router)
    app.include_router(review.router)
    app.include_router(participant.router)
    app.include_router(share.router)
    app.include_router(draws.router)
    app.include_router(preferences.router)
    app.include_router(standing.router)
    app.include_router(relations.router)
    app.include_router(inbox.router)
    app.include_router(privacy.router)
    app.include_router(audit.router)
    app.include_router(consent.router)


async def favicon() -> FileResponse:
    """Browsers ask every site for /favicon.ico: an icon, not a 404 in every console."""
    return FileResponse(
        STATIC / "favicon.svg",
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )
