"""`huzhu serve` never logs a client's IP address."""

from __future__ import annotations

import logging

from uvicorn.logging import AccessFormatter

from huzhu.cli.serve import log_config


def test_access_log_format_has_no_client_address() -> None:
    config = log_config()
    fmt = config["formatters"]["access"]["fmt"]
    assert "client_addr" not in fmt
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("203.0.113.9:5555", "GET", "/healthz", "1.1", 200),
        None,
    )
    line = AccessFormatter(fmt=fmt, use_colors=False).format(record)
    assert "/healthz" in line
    assert "203.0.113.9" not in line
