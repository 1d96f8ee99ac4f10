"""`huzhu serve` never logs a client's IP address, and sets up (and removes) the directory
its workers share metric values in."""

from __future__ import annotations

import logging
import logging.config
from pathlib import Path

import httpx
import pytest

from huzhu.cli.serve import log_config
from tests.support.servers import start_server


@pytest.mark.parametrize("json_lines", [False, True])
def test_request_lines_have_no_client_address(
    json_lines: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """uvicorn's own access line (which names the client) is off; huzhu.access logs the
    request without it."""
    logging.config.dictConfig(log_config(json_lines=json_lines))
    try:
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "203.0.113.9:5555", "GET", "/healthz", "1.1", 200
        )
        logging.getLogger("huzhu.access").info(
            "%s %s %s", "GET", "/healthz", 200, extra={"method": "GET", "status": 200}
        )
        written = capsys.readouterr().err
    finally:
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})
    assert "GET /healthz 200" in written
    assert "203.0.113.9" not in written


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_serve_makes_the_metrics_directory_and_removes_it(db_url: str, tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    server = start_server(
        db_url=db_url, log_dir=tmp_path, full_cli=True, extra_env={"TMPDIR": str(temp)}
    )
    try:
        assert httpx.get(f"{server.url}/readyz", timeout=30).status_code == 200
        (shared,) = temp.glob("huzhu-metrics-*")
        assert list(shared.glob("*.db"))  # the worker's values, in files
        assert "huzhu_http_requests_total" in httpx.get(f"{server.url}/metrics", timeout=30).text
    finally:
        server.stop()
    assert not list(temp.glob("huzhu-metrics-*"))
