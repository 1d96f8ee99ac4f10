"""Database: the sync engine and session factory, configured per dialect.

SQLite runs in WAL mode with a busy timeout so readers never block the writer and
concurrent writers queue instead of failing; foreign keys are switched on per connection.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from huzhu.config import DatabaseSettings
from huzhu.db.admission import Admission

ON_LOOP_KEY = "huzhu.db.on_loop"

# A step to take on the event loop once a unit of work committed.
LoopStep = Callable[[], Awaitable[None]]


def defer_to_loop(session: Session) -> list[LoopStep]:
    """Mark a session whose unit of work runs whole in a worker thread: what it asks to
    do on the event loop after commit (`on_loop`) is kept in the returned list for the
    caller to run there once the unit committed, never when it failed. The worker thread
    then neither waits on the loop nor holds anything meanwhile."""
    steps: list[LoopStep] = []
    session.info[ON_LOOP_KEY] = steps
    return steps


def on_loop(session: Session) -> list[LoopStep] | None:
    """The list a `defer_to_loop` session keeps its after-commit steps in (None: the
    session was not handed to defer_to_loop)."""
    steps: list[LoopStep] | None = session.info.get(ON_LOOP_KEY)
    return steps


def use_wal(dbapi_conn: Any) -> None:
    """Put the database file in WAL mode unless it is already. WAL is a property of the
    file (the first connection, or the migrations, set it): asking again on every new
    connection is not free — a fresh connection that sets it may take locks that SQLite
    refuses at once, without its busy handler, while another process or thread is
    opening or writing the same file."""
    if str(dbapi_conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
        dbapi_conn.execute("PRAGMA journal_mode=WAL")


def _sqlite_on_connect(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        # The driver's own transaction handling is turned off so that BEGIN IMMEDIATE
        # (db/locking.py) and SQLAlchemy's BEGIN are the only ones issued.
        dbapi_conn.isolation_level = None
        use_wal(dbapi_conn)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    return on_connect


def _sqlite_on_begin(conn: Any) -> None:
    # Every ORM transaction takes the write lock up front: SQLite cannot upgrade a read
    # transaction to a write one under concurrency without SQLITE_BUSY, and our units of
    # work are short, so serialising writers is both correct and fast.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(settings: DatabaseSettings) -> Engine:
    url = settings.sqlalchemy_url
    if settings.is_sqlite:
        path = settings.sqlite_path
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # The write lock is SQLite's one scarce resource: a unit waits for it (the busy
        # timeout) as long as a request may wait for a connection, then gives up with
        # "database is locked", answered 503 (errors.is_overload).
        engine = create_engine(
            url,
            echo=settings.echo,
            connect_args={"check_same_thread": False, "timeout": settings.wait_seconds},
            pool_size=settings.pool_size,
            max_overflow=20,
            pool_timeout=settings.wait_seconds,
        )
        event.listen(engine, "connect", _sqlite_on_connect(int(settings.wait_seconds * 1000)))
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    # PostgreSQL: a fixed pool within this process's share of max_connections (no
    # overflow: N processes never open more than they were given), and a bounded wait
    # for a connection; what waits longer is answered 503 (errors.is_overload).
    pool_size, _hot = settings.pool_sizes
    return create_engine(
        url,
        echo=settings.echo,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=settings.wait_seconds,
        pool_pre_ping=True,
    )


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A new session of `sessions` in one transaction: committed when the block ends,
    rolled back on any error."""
    session = sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class Database:
    """Holds the engine and hands out sessions; one per process."""

    def __init__(self, settings: DatabaseSettings) -> None:
        self.settings = settings
        self.engine = make_engine(settings)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self._writer: ThreadPoolExecutor | None = None
        self._writer_lock = threading.Lock()
        self._admission: Admission | None = None

    def admission(self) -> Admission:
        """The request units' turns (db/admission.py), made in the event loop that
        first asks; `open_admission` makes a new one for a new loop (an app's lifespan)."""
        if self._admission is None:
            self._admission = Admission(self.settings)
        return self._admission

    def open_admission(self) -> Admission:
        self._admission = Admission(self.settings)
        return self._admission

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with transaction(self.sessionmaker) as session:
            yield session

    def sqlite_writer(self) -> ThreadPoolExecutor | None:
        """SQLite only: one thread of its own for units of work that run whole in one
        call (deps.in_one_unit_of_work). SQLite has one writer anyway; queued here, in
        the event loop, they cost no pool thread, and each starts the moment the last
        one committed instead of in SQLite's busy handler, which sleeps 1, 2, 5 … 100 ms
        between tries. None on PostgreSQL, whose writers run side by side."""
        if not self.settings.is_sqlite:
            return None
        with self._writer_lock:
            if self._writer is None:
                self._writer = ThreadPoolExecutor(1, thread_name_prefix="huzhu-sqlite-writer")
            return self._writer

    def dispose(self) -> None:
        """Close the connections and the writer thread. The database stays usable, as
        SQLAlchemy's engine does after dispose(): the next unit of work opens new ones
        (an app's lifespan may end and start again around the same Database)."""
        with self._writer_lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            writer.shutdown(wait=True)
        self.engine.dispose()
