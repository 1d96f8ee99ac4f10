"""The job runner: claims due jobs with a lease and runs each in its own transaction.

Embedded mode runs one runner as a thread inside `huzhu serve`; production runs any
number of `huzhu worker` processes (and/or serve processes) against PostgreSQL. Safety
does not depend on how many run: the claim is one conditional UPDATE (repository.py),
and a job's effects commit together with "done" only while its lease is still held, so
a runner that stalled past its lease cannot commit over the one that took over.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from huzhu.config import Settings
from huzhu.db import Database
from huzhu.errors import is_overload
from huzhu.jobs import registry, repository, rules
from huzhu.jobs.repository import ClaimedJob
from huzhu.kit import clock

log = logging.getLogger("huzhu.jobs")


class LeaseLost(Exception):
    """The job's lease passed to another runner while the handler ran."""


class UnknownJobKind(Exception):
    """No handler is registered for the job's kind (huzhu.all_tasks not imported?)."""


def default_worker_id() -> str:
    return f"{socket.gethostname()[:50]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class JobRunner:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        worker_id: str | None = None,
        seconds: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.settings = settings
        self.worker_id = worker_id or default_worker_id()
        # What periodic tasks are timed by: the machine's monotonic clock, or the app
        # clock where a simulation steps time (`huzhu simulate` runs a day in seconds).
        self._seconds = seconds
        self._last_periodic: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one step at a time (tests and `huzhu worker --once` drive these) --------------

    def run_one(self) -> bool:
        """Claim one due job and run it. False when nothing is due."""
        now = clock.utcnow()
        lease = timedelta(seconds=self.settings.jobs.lease_seconds)
        with self.db.unit_of_work() as session:
            job = repository.claim_next(
                session, worker=self.worker_id, now=now, lease_until=now + lease
            )
        if job is None:
            return False
        if job.attempts > job.max_attempts:
            # Only a worker that died mid-run leaves a job here: its last lease ran out.
            self._finish_failed(job, "lease expired on the last attempt (worker died)")
            return True
        handler = registry.get_handler(job.kind)
        try:
            with self.db.unit_of_work() as session:
                if handler is None:
                    raise UnknownJobKind(job.kind)
                handler(session, self.settings, job.payload)
                if not repository.mark_done(
                    session, job_id=job.id, worker=self.worker_id, now=clock.utcnow()
                ):
                    raise LeaseLost(job.id)
        except LeaseLost:
            log.warning("job %s (%s) lost its lease; its work was rolled back", job.id, job.kind)
        except Exception as exc:
            if is_overload(exc):
                self._put_back(job, exc)
            else:
                self._record_failure(job, exc)
        return True

    def run_due(self, *, limit: int = 100) -> int:
        """Run due jobs until none is left (or `limit` ran); how many ran."""
        ran = 0
        while ran < limit and not self._stop.is_set() and self.run_one():
            ran += 1
        return ran

    def run_periodic(self, *, force: bool = False) -> None:
        mono = self._seconds()
        for task in registry.periodic_tasks():
            last = self._last_periodic.get(task.name)
            if not force and last is not None and mono - last < task.every_seconds:
                continue
            self._last_periodic[task.name] = mono
            try:
                with self.db.unit_of_work() as session:
                    task.fn(session, self.settings)
            except Exception as exc:
                log.error("periodic %s failed: %s", task.name, rules.describe_error(exc))
                if is_overload(exc):  # the database stalled: try again at the next poll
                    del self._last_periodic[task.name]

    def tick(self) -> int:
        self.run_periodic()
        return self.run_due()

    # -- failure bookkeeping ------------------------------------------------------------

    def _record_failure(self, job: ClaimedJob, exc: Exception) -> None:
        error = rules.describe_error(exc)
        if job.attempts >= job.max_attempts:
            self._finish_failed(job, error)
            return
        wait = rules.backoff_seconds(
            job.attempts,
            base=self.settings.jobs.backoff_base_seconds,
            cap=self.settings.jobs.backoff_max_seconds,
        )
        log.warning(
            "job %s (%s) attempt %s failed: %s; retry in %.1fs",
            job.id,
            job.kind,
            job.attempts,
            error,
            wait,
        )
        with self.db.unit_of_work() as session:
            repository.reschedule(
                session,
                job_id=job.id,
                worker=self.worker_id,
                run_at=clock.utcnow() + timedelta(seconds=wait),
                error=error,
            )

    def _put_back(self, job: ClaimedJob, exc: Exception) -> None:
        """The database stalled under the job (no connection in time, the server gone
        for a moment): the job did nothing wrong, so the attempt is not counted and it
        is due again after a pause. If the database is still away this write fails too;
        the job's lease then runs out and it is claimed again."""
        log.warning(
            "job %s (%s) stalled on the database: %s; put back",
            job.id,
            job.kind,
            rules.describe_error(exc),
        )
        pause = timedelta(seconds=self.settings.db.retry_after_seconds)
        with self.db.unit_of_work() as session:
            repository.reschedule(
                session,
                job_id=job.id,
                worker=self.worker_id,
                run_at=clock.utcnow() + pause,
                error=None,
                attempt_spent=False,
            )

    def _finish_failed(self, job: ClaimedJob, error: str) -> None:
        log.error("job %s (%s) failed after %s attempts: %s", job.id, job.kind, job.attempts, error)
        with self.db.unit_of_work() as session:
            repository.mark_failed(
                session, job_id=job.id, worker=self.worker_id, now=clock.utcnow(), error=error
            )

    # -- the loop -----------------------------------------------------------------------

    def run_forever(self) -> None:
        """Poll until stop(): periodic housekeeping, then every due job, then sleep."""
        interval = self.settings.jobs.poll_interval_seconds
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception as exc:
                # A database blip must not kill the loop; the next poll tries again.
                log.error("job runner poll failed: %s", rules.describe_error(exc))
            self._stop.wait(interval)

    def start(self) -> None:
        """Run the loop in a background thread (embedded mode, inside serve)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self.run_forever, name="huzhu-jobs", daemon=True)
        self._thread.start()

    def is_alive(self) -> bool:
        """The background loop runs (readiness: /readyz)."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self, *, timeout: float = 15.0) -> None:
        """Ask the loop to finish the job in hand and return; wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
