"""Shared fixtures: real databases built by the migrations, and real servers.

Isolation: the migrations run once per test session into a template (a SQLite file, a
PostgreSQL template database); each test gets a fresh copy. That is as isolated as a
rolled-back transaction, and it also works for tests that talk to a server process.
A PostgreSQL copy costs the server up to a second of disk work (CREATE DATABASE writes
and syncs the whole template, DROP removes its files), so copies are made ahead, and
used ones dropped, by background threads while the tests run (PostgresCopies).

PostgreSQL and Redis tests skip with a visible reason when the service is absent, unless
HUZHU_REQUIRE_SERVICES=1 (CI), which turns that skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from huzhu.config import Settings
from huzhu.db import Database
from huzhu.kit import clock
from tests.support import services
from tests.support.servers import LiveServer, start_server

# No per-example deadline: on a loaded 2-core CI machine a database-backed example may
# take a second, and a deadline failure there says nothing about the code. Speed is
# measured by the benchmarks under bench/, never by timed assertions in tests.
hypothesis_settings.register_profile("huzhu", deadline=None)
hypothesis_settings.load_profile("huzhu")

# Inline fraud scoring is off for the suite (in process and in every server it starts,
# which inherit the environment): the tests of budgets, races and pages send scripted
# traffic from brand-new accounts on one address, which a fraud scorer rightly holds.
# The scorer's own tests (tests/risk/, tests/assists/test_inline_scoring.py) turn it on.
os.environ.setdefault("HUZHU_RISK__INLINE_ENABLED", "false")


@pytest.fixture(scope="session", autouse=True)
def _wired() -> None:
    """The test process is a process like `huzhu` and create_app: its domains are plugged
    into each other's extension points (huzhu/wiring.py) before any test calls a
    service directly, so an inbox message gets its WeChat copy here too."""
    from huzhu.wiring import wire

    wire()


@pytest.fixture(scope="session", autouse=True)
def _cheapest_argon2() -> Iterator[None]:
    """Operator passwords are hashed with argon2 at its cheapest parameters in this
    process (argon2-cffi's CHEAPEST profile, meant for tests): the production profile
    costs ~0.2 s of CPU per hash on purpose, and the suite hashes hundreds of passwords
    (every shop with operators, every login). Still argon2id, verified the same way;
    a hash carries its parameters, so servers the tests start (default profile) verify
    these and these verify theirs."""
    from argon2 import PasswordHasher, profiles

    from huzhu.accounts import service as accounts_service

    patch = pytest.MonkeyPatch()
    patch.setattr(accounts_service, "_hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))
    yield
    patch.undo()


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


class PostgresCopies:
    """Fresh databases made from the template (CREATE DATABASE ... TEMPLATE, as before),
    two made ahead of the tests that take them, dropped after use, by two background
    threads (the server makes two copies at once in about the time of one)."""

    AHEAD = 2

    def __init__(self, admin: str, template: str) -> None:
        self.admin = admin
        self.template = template
        self._threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pg-copies")
        self._ahead: deque[Future[str]] = deque()

    def _create(self) -> str:
        name = f"huzhu_t_{uuid.uuid4().hex[:10]}"
        services.create_database(self.admin, name, template=self.template)
        return name

    def take(self) -> str:
        while len(self._ahead) <= self.AHEAD:
            self._ahead.append(self._threads.submit(self._create))
        return self._ahead.popleft().result()

    def give_back(self, name: str) -> None:
        self._threads.submit(services.drop_database, self.admin, name)

    def close(self) -> None:
        for made in self._ahead:
            if made.exception() is None:
                self.give_back(made.result())
        self._threads.shutdown(wait=True)


@pytest.fixture(scope="session")
def postgres_copies(postgres_template: str) -> Iterator[PostgresCopies]:
    copies = PostgresCopies(services.postgres_admin_url_or_skip(), postgres_template)
    yield copies
    copies.close()


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
    copies: PostgresCopies = request.getfixturevalue("postgres_copies")
    name = copies.take()
    yield services.with_database(copies.admin, name)
    copies.give_back(name)


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
