"""Shared fixtures: real databases built by the migrations, and real servers.

Isolation: the migrations run once per test session into a template (a SQLite file, a
PostgreSQL template database); each test gets a fresh copy. That is as isolated as a
rolled-back transaction, and it also works for tests that talk to a server process.

PostgreSQL and Redis tests skip with a visible reason when the service is absent, unless
HUZHU_REQUIRE_SERVICES=1 (CI), which turns that skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from huzhu.config import Settings
from huzhu.db import Database
from huzhu.kit import clock
from tests.support import services
from tests.support.servers import LiveServer, start_server

# Inline fraud scoring is off for the suite (in process and in every server it starts,
# which inherit the environment): the tests of budgets, races and pages send scripted
# traffic from brand-new accounts on one address, which a fraud scorer rightly holds.
# The scorer's own tests (tests/risk/, tests/assists/test_inline_scoring.py) turn it on.
os.environ.setdefault("HUZHU_RISK__INLINE_ENABLED", "false")


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    yield
    clock.reset()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from huzhu.migrations import run_migrations

    path = tmp_path_factory.mktemp("tmpl") / "template.db"
    run_migrations(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    admin = services.postgres_admin_url_or_skip()
    name = f"huzhu_tmpl_{uuid.uuid4().hex[:8]}"
    services.create_database(admin, name)
    from huzhu.migrations import run_migrations

    run_migrations(services.with_database(admin, name, driver="psycopg"))
    yield name
    services.drop_database(admin, name)


def _fresh_sqlite(template: Path, tmp_path: Path) -> str:
    target = tmp_path / f"huzhu-{uuid.uuid4().hex[:6]}.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated database on each backend (plain URL, as users write it)."""
    if request.param == "sqlite":
        yield _fresh_sqlite(request.getfixturevalue("sqlite_template"), tmp_path)
        return
    template = request.getfixturevalue("postgres_template")
    admin = services.postgres_admin_url_or_skip()
    name = f"huzhu_t_{uuid.uuid4().hex[:10]}"
    services.create_database(admin, name, template=template)
    yield services.with_database(admin, name)
    services.drop_database(admin, name)


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    return _fresh_sqlite(sqlite_template, tmp_path)


def make_settings(db_url: str, **overrides: object) -> Settings:
    return Settings(database_url=db_url, env="test", **overrides)  # type: ignore[arg-type]


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url)


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    db = Database(settings.db)
    yield db
    db.dispose()


@pytest.fixture
def session(database: Database) -> Iterator[object]:
    """A session whose work is rolled back at the end of the test."""
    s = database.sessionmaker()
    try:
        yield s
    finally:
        s.rollback()
        s.close()


@pytest.fixture
def live_server(db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """A real `huzhu serve` process on a free loopback port, one worker."""
    server = start_server(db_url=db_url, workers=1, log_dir=tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sqlite_live_server(sqlite_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """A real server on SQLite only, for tests whose subject does not depend on the backend."""
    server = start_server(db_url=sqlite_url, workers=1, log_dir=tmp_path)
    try:
        yield server
    finally:
        server.stop()


def pytest_report_header() -> list[str]:
    return [
        "huzhu: HUZHU_REQUIRE_SERVICES="
        + os.environ.get("HUZHU_REQUIRE_SERVICES", "0")
        + " (1 = PostgreSQL/Redis tests fail instead of skipping)"
    ]
