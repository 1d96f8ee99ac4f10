"""What a log line may say of a request: secrets in paths and queries redacted, ids kept;
a request id that is either the caller's sane one or a fresh one; JSON lines that carry
it and every extra field."""

from __future__ import annotations

import json
import logging

import pytest

from huzhu.kit.logs import (
    REDACTED,
    REQUEST_ID,
    JsonFormatter,
    RequestIdFilter,
    new_request_id,
    redact_target,
)

TOKEN = "cHwxfDJ8MTc5OTI1Mzg5Mnw.3XphwHxOLuemU2NpAzydDCaBi4vq"


@pytest.mark.parametrize(
    ("path", "query", "template", "logged"),
    [
        (
            f"/api/v1/shares/{TOKEN}/open",
            "",
            "/api/v1/shares/{token}/open",
            f"/api/v1/shares/{REDACTED}/open",
        ),
        (f"/s/{TOKEN}/assist", "", "/s/{token}/{action}", f"/s/{REDACTED}/assist"),
        (
            f"/api/v1/opt-outs/{TOKEN}",
            "",
            "/api/v1/opt-outs/{token}",
            f"/api/v1/opt-outs/{REDACTED}",
        ),
        (
            "/api/v1/instances/42/assists",
            f"share={TOKEN}&share_open=7",
            "/api/v1/instances/{instance_id}/assists",
            f"/api/v1/instances/42/assists?share={REDACTED}&share_open=7",
        ),
        (
            "/api/v1/wechat/oauth/callback",
            f"code={TOKEN}&state=abc",
            "/api/v1/wechat/oauth/callback",
            f"/api/v1/wechat/oauth/callback?code={REDACTED}&state={REDACTED}",
        ),
        (
            "/console/login",
            f"access_token={TOKEN}&sig=1&next=/console",
            None,
            f"/console/login?access_token={REDACTED}&sig={REDACTED}&next=%2Fconsole",
        ),
        # No route matched (a mistyped link): every long segment may be a token.
        (f"/api/v1/sharez/{TOKEN}", "", None, f"/api/v1/sharez/{REDACTED}"),
    ],
)
def test_secrets_in_paths_and_queries_are_redacted(
    path: str, query: str, template: str | None, logged: str
) -> None:
    line = redact_target(path, query, template)
    assert line == logged
    assert TOKEN not in line


def test_ids_in_paths_are_kept() -> None:
    assert redact_target("/api/v1/campaigns/12", "limit=5", "/api/v1/campaigns/{campaign_id}") == (
        "/api/v1/campaigns/12?limit=5"
    )


@pytest.mark.parametrize("offered", ["", "a b", "x" * 65, "id\nforged line", "é", 'quote"'])
def test_an_unsafe_request_id_is_replaced(offered: str) -> None:
    made = new_request_id(offered)
    assert made != offered
    assert len(made) == 32


def test_a_sane_request_id_is_kept() -> None:
    assert new_request_id("req-7f3a.1:2_b") == "req-7f3a.1:2_b"


def test_json_line_carries_the_request_id_and_extra_fields() -> None:
    record = logging.LogRecord("huzhu.access", logging.INFO, __file__, 1, "GET %s", ("/x",), None)
    record.status = 200
    token = REQUEST_ID.set("trace-1")
    try:
        RequestIdFilter().filter(record)
    finally:
        REQUEST_ID.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "GET /x"
    assert line["request_id"] == "trace-1"
    assert line["status"] == 200
    assert line["logger"] == "huzhu.access"
    assert line["level"] == "INFO"
