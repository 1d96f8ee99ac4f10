"""A serving process freezes its startup heap and raises the first GC threshold; a test
process does not (each test builds an app: freezing would keep every one forever).
Checked in a separate interpreter, since freezing is process-wide."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import asyncio, gc, json
from huzhu.app import create_app
from huzhu.config import Settings
from huzhu.migrations import run_migrations

settings = Settings(database_url="{url}", env="{env}", jobs={{"run_in_process": False}})
run_migrations(settings.db.sqlalchemy_url)
app = create_app(settings)

async def main():
    before = gc.get_freeze_count()
    async with app.router.lifespan_context(app):
        print(json.dumps({{"before": before, "frozen": gc.get_freeze_count(),
                          "threshold": gc.get_threshold()}}))

asyncio.run(main())
"""


def _probe(tmp_path: Path, env: str) -> dict[str, object]:
    url = f"sqlite:///{tmp_path}/{env}.db"
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(url=url, env=env)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("HUZHU_")},
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_a_serving_process_freezes_its_startup_heap(tmp_path: Path) -> None:
    served = _probe(tmp_path, "embedded")  # as `huzhu serve` runs by default
    assert served["before"] == 0
    assert isinstance(served["frozen"], int)
    assert served["frozen"] > 10_000  # the app's long-lived objects
    assert served["threshold"] == [10_000, 20, 20]


def test_a_test_process_leaves_the_collector_alone(tmp_path: Path) -> None:
    tested = _probe(tmp_path, "test")
    assert tested["frozen"] == 0
    assert tested["threshold"] == [700, 10, 10]
