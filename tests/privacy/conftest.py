"""The world both privacy tests use: a shop with its people, served by a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from huzhu.db import Database
from tests.conftest import make_settings
from tests.enforcement.support import ReviewShop, review_shop
from tests.support.servers import LiveServer, start_server


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[tuple[LiveServer, ReviewShop]]:
    settings = make_settings(db_url)
    db = Database(settings.db)
    server = start_server(db_url=db_url, workers=1, log_dir=tmp_path)
    try:
        yield server, review_shop(db, settings)
    finally:
        server.stop()
        db.dispose()
