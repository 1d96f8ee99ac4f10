"""`huzhu worker`: run background jobs outside the web processes (production).

Start as many as the load needs, on any machines that reach the database: claims are
leased (FOR UPDATE SKIP LOCKED on PostgreSQL), so a job runs on one worker at a time and
a job whose worker died is picked up again when its lease ends.
"""

from __future__ import annotations

import signal
from types import FrameType

import typer
from rich.console import Console

from huzhu.cli.check import refuse_to_start_unsafe
from huzhu.config import load_settings
from huzhu.db import Database
from huzhu.jobs.runner import JobRunner


def worker(
    once: bool = typer.Option(
        False, "--once", help="run the periodic tasks and every due job once, then exit"
    ),
    poll_interval: float | None = typer.Option(
        None, min=0.01, help="seconds between polls (default HUZHU_JOBS__POLL_INTERVAL_SECONDS)"
    ),
) -> None:
    """Run the job runner until SIGINT/SIGTERM (finishing the job in hand)."""
    import huzhu.all_tasks  # noqa: F401  (registers every domain's handlers)

    settings = load_settings()
    refuse_to_start_unsafe(settings)
    if poll_interval is not None:
        jobs = settings.jobs.model_copy(update={"poll_interval_seconds": poll_interval})
        settings = settings.model_copy(update={"jobs": jobs})
    db = Database(settings.db)
    runner = JobRunner(db, settings)
    console = Console(stderr=True)
    try:
        if once:
            runner.run_periodic(force=True)
            ran = runner.run_due(limit=10_000)
            console.print(f"ran {ran} job(s)")
            return

        def _stop(_signum: int, _frame: FrameType | None) -> None:
            runner.stop(timeout=0)

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        console.print(
            f"huzhu worker {runner.worker_id} polling every {settings.jobs.poll_interval_seconds}s"
        )
        runner.run_forever()
    finally:
        db.dispose()
