"""GET /api/v1/jobs, the in-process runner inside the app, and `huzhu worker`."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from huzhu.accounts.rules import Role
from huzhu.app import create_app
from huzhu.cli.main import app as cli
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.jobs.models import Job
from huzhu.jobs.registry import handler
from huzhu.jobs.runner import JobRunner
from huzhu.jobs.service import enqueue
from tests.conftest import make_settings
from tests.factories import auth, make_shop_with_roles


@handler("test.noop")
def _noop(session: Session, settings: Settings, payload: dict[str, Any]) -> None:
    if payload.get("fail"):
        raise RuntimeError("no")


def test_jobs_list_shows_status_attempts_and_last_error(
    database: Database, settings: Settings, db_url: str
) -> None:
    shop = make_shop_with_roles(database, settings)
    with database.unit_of_work() as s:
        enqueue(s, kind="test.noop")
        enqueue(s, kind="test.noop", payload={"fail": True, "phone": "13800138000"})
    JobRunner(database, settings).run_due()
    app = create_app(make_settings(db_url, jobs={"run_in_process": False}))
    client = TestClient(app)
    resp = client.get("/api/v1/jobs", headers=auth(shop.tokens[Role.OWNER]))
    assert resp.status_code == 200
    items = resp.json()["items"]
    assert [(i["status"], i["attempts"]) for i in items] == [("pending", 1), ("done", 1)]
    assert items[0]["last_error"].startswith("RuntimeError at ")
    assert "payload" not in items[0]
    assert "13800138000" not in resp.text
    failed = client.get("/api/v1/jobs?status=done", headers=auth(shop.tokens[Role.OPERATOR]))
    assert [i["status"] for i in failed.json()["items"]] == ["done"]
    paged = client.get("/api/v1/jobs?limit=1", headers=auth(shop.tokens[Role.OWNER])).json()
    assert len(paged["items"]) == 1
    assert paged["next_cursor"] is not None


def test_app_runs_jobs_in_process_and_stops_cleanly(db_url: str) -> None:
    settings = make_settings(db_url, jobs={"run_in_process": True, "poll_interval_seconds": 0.05})
    app = create_app(settings)
    with TestClient(app):
        db: Database = app.state.db
        with db.unit_of_work() as s:
            job_id = enqueue(s, kind="test.noop").id
        deadline = time.monotonic() + 10
        status = "pending"
        while time.monotonic() < deadline and status != "done":
            time.sleep(0.05)
            with db.unit_of_work() as s:
                status = s.scalars(select(Job.status).where(Job.id == job_id)).one()
        assert status == "done"


def test_worker_once_runs_due_jobs(database: Database, db_url: str) -> None:
    with database.unit_of_work() as s:
        job_id = enqueue(s, kind="test.noop").id
    result = CliRunner().invoke(cli, ["worker", "--once"], env={"HUZHU_DATABASE_URL": db_url})
    assert result.exit_code == 0, result.output
    with database.unit_of_work() as s:
        job = s.get(Job, job_id)
        assert job is not None
        assert job.status == "done"
