"""create_app(settings): wiring only — routers, the error handler, the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.routing import Route

import huzhu
from huzhu.accounts.api import router as accounts_router
from huzhu.assists.api import router as assists_router
from huzhu.assists.consent.api import router as name_consent_router
from huzhu.assists.groupbuy.api import router as groupbuy_router
from huzhu.assists.hotpath.api import HOT_PATH, answer_assist
from huzhu.assists.hotpath.api import hot_router as assist_hot_router
from huzhu.assists.hotpath.service import open_hotpath
from huzhu.assists.lottery.api import router as lottery_router
from huzhu.assists.spending.api import router as spending_router
from huzhu.audit.api import router as audit_router
from huzhu.bodyguard import BodyGuard
from huzhu.campaigns.api import router as campaigns_router
from huzhu.config import Settings, load_settings, refuse_unsafe_production
from huzhu.db import Database
from huzhu.enforcement.api import router as enforcement_router
from huzhu.errors import PROBLEM_RESPONSES, install_error_handlers
from huzhu.health import router as health_router
from huzhu.idempotency.middleware import IdempotencyMiddleware
from huzhu.invites.api import bare_open_route
from huzhu.invites.api import router as invites_router
from huzhu.invites.service import ShareLinks
from huzhu.items.api import router as items_router
from huzhu.jobs.api import router as jobs_router
from huzhu.jobs.runner import JobRunner
from huzhu.kit import metrics
from huzhu.kit.gc_tuning import tune_for_serving
from huzhu.notify.api import router as notify_router
from huzhu.privacy.api import router as privacy_router
from huzhu.risk import (
    groups,  # noqa: F401  (registers what deciding a group case does)
    rings,  # noqa: F401  (registers what confirming a fraud case does)
)
from huzhu.risk.live import attach as attach_scorer
from huzhu.risk.review.api import router as review_router
from huzhu.risk.screen import InlineScreen
from huzhu.telemetry import Telemetry
from huzhu.web.routes import install as install_web_pages
from huzhu.wechat.api import router as wechat_router
from huzhu.wiring import wire

API_PREFIX = "/api/v1"


def api_routers() -> list[APIRouter]:
    """Every router served under /api/v1; the permission-matrix test walks exactly these."""
    return [
        assist_hot_router,  # first: the assist hot path is matched before anything else
        accounts_router,
        campaigns_router,
        items_router,
        assists_router,
        name_consent_router,
        groupbuy_router,
        lottery_router,
        spending_router,
        notify_router,
        invites_router,
        review_router,
        enforcement_router,
        audit_router,
        jobs_router,
        wechat_router,
        privacy_router,
    ]


def _mount_docs(app: FastAPI) -> None:
    """Swagger UI from the swagger-ui-bundle package (PyPI), so /docs works offline."""
    import swagger_ui_bundle
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles

    app.mount(
        "/static/swagger-ui",
        StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
        name="swagger-ui",
    )

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Huzhu API",
            swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
        )


def _start_job_runner(db: Database, settings: Settings) -> JobRunner:
    """Embedded mode: the job runner as a thread of this process (each serve worker
    runs one; claims are leased, so several are safe)."""
    import huzhu.all_tasks  # noqa: F401  (registers every domain's handlers)

    runner = JobRunner(db, settings)
    runner.start()
    return runner


MAX_DB_INT = 2**63 - 1


def _bound_integers(schema: dict[str, Any]) -> None:
    if schema.get("type") == "integer" and "maximum" not in schema:
        schema["maximum"] = MAX_DB_INT
    for sub in schema.get("anyOf", []):
        _bound_integers(sub)


def _document_integer_bounds(app: FastAPI) -> None:
    """Ids and cursors are 64-bit in the database; a larger one is answered with a 422
    (errors.py). State that bound in the OpenAPI schema so clients know it."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for param in operation.get("parameters", []):
                    _bound_integers(param.get("schema", {}))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    refuse_unsafe_production(settings)  # HUZHU_ENV=production: see `huzhu check`
    wire()  # domains into each other's extension points (wiring.py)
    db = Database(settings.db)
    if settings.metrics.multiprocess_dir:  # set by `huzhu serve` for its workers
        metrics.use_multiprocess(Path(settings.metrics.multiprocess_dir))
    metrics.watch_pool(db.engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The assist hot path's own driver connection (SQLite) or asyncpg pool, opened
        # before the job runner starts writing from its thread.
        screen = InlineScreen.open(settings, db)
        app.state.hotpath = await open_hotpath(
            settings, shares=ShareLinks(settings), screen=screen, db=db
        )
        runner = _start_job_runner(db, settings) if settings.jobs.run_in_process else None
        app.state.job_runner = runner  # /readyz asks whether it still runs
        # A dismissed spike lifts its watch in the scorer's counters (risk/live.py).
        attach_scorer(db, screen.scorer)
        db.open_admission()  # request units' bounded turns: deps.admit_unit_of_work
        if settings.env != "test":
            tune_for_serving()  # see kit/gc_tuning.py
        yield
        await app.state.hotpath.close()
        if runner is not None:
            runner.stop()
        db.dispose()

    app = FastAPI(
        title="Huzhu",
        version=huzhu.__version__,
        description="Social assist campaigns — bargains, group buys, assist lotteries and "
        "unlocks — with fraud, spam and over-spending answered in the engine.",
        lifespan=lifespan,
        docs_url=None,  # served below from the packaged Swagger UI: no CDN at run time
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    _mount_docs(app)
    _document_integer_bounds(app)
    app.state.settings = settings
    app.state.db = db
    install_error_handlers(app)
    app.add_middleware(IdempotencyMiddleware, settings=settings, db=db, prefix=API_PREFIX + "/")
    app.include_router(health_router())
    for router in api_routers():
        app.include_router(router, prefix=API_PREFIX, responses=PROBLEM_RESPONSES)
    # The assist hot path also as a plain Starlette route in front of everything: matched
    # by one pattern before FastAPI walks its included routers, and called without
    # dependency solving (it parses its own request). The same middleware runs around it
    # as around every route; its FastAPI twin above documents it in the OpenAPI schema.
    app.router.routes.insert(
        0,
        Route(API_PREFIX + HOT_PATH, answer_assist, methods=["POST"], include_in_schema=False),
    )
    # Share opens likewise (every click on a shared link), without hand-parsing: the
    # route body is the documented route's (invites/api.py).
    app.router.routes.insert(1, bare_open_route(API_PREFIX))
    # Participant pages and the operator console (HTML; not part of the API schema).
    install_web_pages(app)
    # Outermost: no route, middleware or the hot path reads an oversized body or a NUL.
    app.add_middleware(BodyGuard, max_bytes=settings.security.max_body_bytes)
    # Around everything, so that every answer (a 413 included) has its request id, its
    # redacted access line and its metrics.
    app.add_middleware(Telemetry)
    return app
