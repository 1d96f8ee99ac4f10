"""`huzhu check` on PostgreSQL compares HUZHU_DB__MAX_CONNECTIONS with what the server
lets clients hold (its max_connections less the superusers' reserve), asked of the
server itself."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from huzhu.cli.check import connection_findings
from tests.conftest import make_settings
from tests.support import services


@pytest.mark.postgres
def test_check_warns_when_the_connection_budget_is_more_than_postgresql_allows() -> None:
    url = services.postgres_admin_url_or_skip()
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        limit = int(conn.exec_driver_sql("SHOW max_connections").scalar_one())
        reserved = int(conn.exec_driver_sql("SHOW superuser_reserved_connections").scalar_one())
    engine.dispose()
    allowed = limit - reserved
    fits = make_settings(url, db={"max_connections": allowed})
    assert connection_findings(fits) == []
    [finding] = connection_findings(make_settings(url, db={"max_connections": allowed + 1}))
    assert finding.setting == "HUZHU_DB__MAX_CONNECTIONS"
    assert f"at most {allowed}" in finding.fix


def test_check_has_nothing_to_ask_of_sqlite(sqlite_url: str) -> None:
    assert connection_findings(make_settings(sqlite_url, db={"max_connections": 10**5})) == []
