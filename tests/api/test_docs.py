"""The API docs work offline: /docs loads Swagger UI from this server, never a CDN."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from huzhu.app import create_app
from tests.conftest import make_settings


def test_docs_page_loads_every_asset_from_this_server(sqlite_url: str) -> None:
    client = TestClient(create_app(make_settings(sqlite_url)))
    page = client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets, "the docs page references its script and styles"
    for url in assets:
        assert url.startswith("/"), f"{url} is not served by Huzhu itself"
        assert client.get(url).status_code == 200, url
    assert client.get("/openapi.json").json()["info"]["title"] == "Huzhu"
