"""In a real browser with no network, /docs renders the API reference from local files."""

from __future__ import annotations

from tests.support.browser import chromium_page
from tests.support.servers import LiveServer


def test_docs_render_offline_in_chromium(sqlite_live_server: LiveServer) -> None:
    external: list[str] = []
    with chromium_page() as page:
        page.on(
            "request",
            lambda req: (
                external.append(req.url) if not req.url.startswith(sqlite_live_server.url) else None
            ),
        )
        page.goto(f"{sqlite_live_server.url}/docs")
        page.get_by_text("/api/v1/auth/login", exact=True).first.wait_for(timeout=20_000)
        assert "Huzhu" in page.title()
    assert external == [], f"the docs page reached outside the server: {external}"
