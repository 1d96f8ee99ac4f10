"""A crowd of ordinary (sync, ORM) write requests against one SQLite server process.

SQLite has one writer. A request's unit of work takes the write lock at its first
statement and keeps it until the dependency commits, and in between the request hops
between thread-pool threads. Without an admission gate a crowd fills the pool with
threads waiting for the lock while the holder waits for a thread to commit, until the
busy timeout ends it as "database is locked" (a 500). With the gate every request
succeeds.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from huzhu.accounts.models import Account
from huzhu.accounts.rules import Role
from huzhu.db import Database
from tests.conftest import make_settings
from tests.factories import auth, make_shop_with_roles
from tests.support.servers import start_server

pytestmark = pytest.mark.slow

CROWD = 150


async def _issue_all(url: str, token: str, shop: str) -> Counter[int]:
    limits = httpx.Limits(max_connections=CROWD, max_keepalive_connections=CROWD)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    "/api/v1/participants/token",
                    headers=auth(token),
                    json={"shop": shop, "subject": f"crowd-{i}"},
                )
                for i in range(CROWD)
            )
        )
    return Counter(r.status_code for r in responses)


def test_a_crowd_of_sync_writes_on_sqlite_all_succeed(sqlite_url: str, tmp_path: Path) -> None:
    settings = make_settings(sqlite_url)
    db = Database(settings.db)
    shop = make_shop_with_roles(db, settings)
    # Waits long enough that none is shed (503): this is about the turns keeping the
    # crowd from deadlocking, not about overload (tests/overload).
    server = start_server(
        db_url=sqlite_url, log_dir=tmp_path, extra_env={"HUZHU_DB__WAIT_SECONDS": "120"}
    )
    try:
        codes = asyncio.run(_issue_all(server.url, shop.tokens[Role.INTEGRATOR], shop.slug))
    finally:
        server.stop()
    assert codes == Counter({200: CROWD}), server.log_path.read_text()[-2000:]
    with db.unit_of_work() as s:
        crowd = s.scalar(
            select(func.count()).select_from(Account).where(Account.shop_id == shop.shop_id)
        )
    db.dispose()
    assert crowd == CROWD + 1  # the crowd and the fixture's participant
