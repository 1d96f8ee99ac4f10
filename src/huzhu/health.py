"""What an orchestrator and a monitoring system ask: /healthz (the process answers),
/readyz (it can do its work, or which part cannot) and /metrics (Prometheus)."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import text
from starlette.responses import JSONResponse

from huzhu.config import Settings
from huzhu.db import Database
from huzhu.errors import Unauthenticated, problem_response
from huzhu.jobs import service as jobs
from huzhu.kit import metrics
from huzhu.migrations import current_revision, head_revision
from huzhu.notify import service as notify

OK = "ok"


def readiness(request: Request) -> dict[str, str]:
    """Each check's state: `ok`, or what is wrong."""
    settings: Settings = request.app.state.settings
    db: Database = request.app.state.db
    checks: dict[str, str] = {}
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            at = current_revision(conn)
        checks["database"] = OK
        head = head_revision()
        checks["migrations"] = OK if at == head else f"at {at or 'none'}, code needs {head}"
    except Exception:
        checks["database"] = "unreachable"
        checks["migrations"] = "unknown: the database is unreachable"
    if settings.redis.url:
        try:
            import redis

            redis.Redis.from_url(settings.redis.url, socket_timeout=1).ping()
            checks["redis"] = OK
        except Exception:
            checks["redis"] = "unreachable"
    runner = getattr(request.app.state, "job_runner", None)
    if settings.jobs.run_in_process:
        checks["job_runner"] = OK if runner is not None and runner.is_alive() else "stopped"
    return checks


def _scraped(db: Database) -> Iterable[tuple[str, str, list[tuple[dict[str, str], float]]]]:
    """What the database knows, read at scrape time (the same for every worker)."""
    with db.sessionmaker() as session:
        depth, lag = jobs.queue_state(session)
        outbox = notify.outbox_state(session)
    yield "huzhu_job_queue_depth", "Jobs due and waiting for a runner", [({}, depth)]
    yield "huzhu_job_queue_lag_seconds", "How long the oldest due job has waited", [({}, lag)]
    yield (
        "huzhu_outbox_lag_seconds",
        "Age of the oldest outbox event not yet dispatched to webhooks",
        [({}, outbox.lag_seconds)],
    )
    yield (
        "huzhu_webhook_deliveries",
        "Webhook deliveries by status (failed: out of attempts)",
        [({"status": status}, n) for status, n in sorted(outbox.deliveries.items())],
    )
    yield (
        "huzhu_webhook_deliveries_retrying",
        "Pending webhook deliveries whose last attempt failed",
        [({}, outbox.retrying)],
    )


def router() -> APIRouter:
    routes = APIRouter(tags=["health"])

    @routes.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers. Also the trivial baseline of bench/assist.py."""
        return {"status": "ok"}

    @routes.get("/readyz")
    def readyz(request: Request) -> JSONResponse:
        """Readiness: the database answers and is migrated to this code's head, Redis
        answers when configured, the in-process job runner runs. 503 names what is not."""
        checks = readiness(request)
        failing = sorted(name for name, state in checks.items() if state != OK)
        if not failing:
            return JSONResponse({"status": "ok", "checks": checks})
        body: dict[str, Any] = {
            "type": "https://huzhu.dev/problems/not_ready",
            "title": "Not ready",
            "status": 503,
            "detail": "not ready: " + ", ".join(f"{n} ({checks[n]})" for n in failing),
            "code": "not_ready",
            "failing": failing,
            "checks": checks,
        }
        return problem_response(body, status=503)

    @routes.get("/metrics", include_in_schema=False)
    def prometheus(request: Request) -> Response:
        """Prometheus text format; with `metrics.token` set, only for that bearer token."""
        settings: Settings = request.app.state.settings
        if settings.metrics.token is not None:
            expected = f"Bearer {settings.metrics.token.get_secret_value()}"
            offered = request.headers.get("authorization", "")
            if not hmac.compare_digest(offered.encode(), expected.encode()):
                raise Unauthenticated("/metrics needs the bearer token of HUZHU_METRICS__TOKEN")
        db: Database = request.app.state.db
        collector = metrics.ScrapeTimeCollector(lambda: _scraped(db))
        return Response(metrics.exposition(collector), media_type=metrics.CONTENT_TYPE)

    return routes
