"""Request bodies within bounds, over a real server: a body declared too large is
refused 413 before a byte of it is read, one sent without a length is refused once it
passes the limit, and a NUL character — raw, JSON-escaped or form-encoded — is refused
422 `nul_character` on both databases with nothing written. Bodies that pass arrive
whole."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from huzhu.accounts.rules import Role
from huzhu.db import Database
from tests.conftest import make_settings
from tests.factories import ShopFixture, auth, make_participant, make_shop_with_roles
from tests.support.servers import LiveServer, start_server

LIMIT = 4096


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[tuple[LiveServer, ShopFixture, int]]:
    settings = make_settings(db_url)
    db = Database(settings.db)
    shop = make_shop_with_roles(db, settings)
    with db.unit_of_work() as s:
        reported, _ = make_participant(s, settings, shop_id=shop.shop_id, name="reported")
    db.dispose()
    live = start_server(
        db_url=db_url,
        log_dir=tmp_path,
        extra_env={"HUZHU_SECURITY__MAX_BODY_BYTES": str(LIMIT)},
    )
    try:
        yield live, shop, reported
    finally:
        live.stop()


def _raw(port: int, request: bytes) -> bytes:
    """Send `request` and read the answer, without ever sending the body it declares."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as conn:
        conn.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer


def test_a_body_declared_too_large_is_refused_before_it_is_read(
    served: tuple[LiveServer, ShopFixture, int],
) -> None:
    live, shop, _ = served
    head = (
        "POST /api/v1/reports HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{live.port}\r\n"
        f"Authorization: Bearer {shop.tokens[Role.PARTICIPANT]}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {60 * 1024 * 1024}\r\n\r\n"
    ).encode()
    answer = _raw(live.port, head + b'{"kind": "spam", ')  # 60 MB promised, 17 bytes sent
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"413", answer[:300]
    assert b"application/problem+json" in rest.lower()
    body = json.loads(rest.partition(b"\r\n\r\n")[2])
    assert (body["code"], body["max_bytes"]) == ("body_too_large", LIMIT)


def test_a_body_without_a_length_is_refused_once_past_the_limit(
    served: tuple[LiveServer, ShopFixture, int],
) -> None:
    live, shop, _ = served

    def chunks() -> Iterator[bytes]:
        yield b'{"kind": "spam", "text": "'
        for _ in range(10):
            yield b"x" * 1024
        yield b'"}'

    with live.client() as client:
        answer = client.post(
            "/api/v1/reports",
            content=chunks(),  # no length: sent chunked
            headers=auth(shop.tokens[Role.PARTICIPANT]) | {"Content-Type": "application/json"},
        )
    assert answer.status_code == 413, answer.text
    assert answer.json()["code"] == "body_too_large"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", '{{"kind": "spam", "account_id": {id}, "text": "a\\u0000b"}}'),
        ("application/json", '{{"kind": "spam", "account_id": {id}, "text": "a\\\\\\u0000b"}}'),
        ("application/json", '{{"kind": "spam", "account_id": {id}, "text": "a\x00b"}}'),
    ],
)
def test_a_nul_character_is_refused_the_same_way_on_every_database(
    served: tuple[LiveServer, ShopFixture, int], content_type: str, body: str
) -> None:
    live, shop, reported = served
    with live.client() as client:
        answer = client.post(
            "/api/v1/reports",
            content=body.format(id=reported).encode(),
            headers=auth(shop.tokens[Role.PARTICIPANT]) | {"Content-Type": content_type},
        )
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] == "nul_character"
        cases = client.get(
            f"/api/v1/review/cases?account_id={reported}", headers=auth(shop.tokens[Role.OWNER])
        )
        assert cases.json()["items"] == []


def test_a_form_with_an_encoded_nul_is_refused(
    served: tuple[LiveServer, ShopFixture, int],
) -> None:
    live, _, _ = served
    with live.client() as client:
        answer = client.post(
            "/signin",
            content=b"name=al%00ice",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "nul_character"


def test_a_body_within_bounds_arrives_whole_and_escaped_text_is_not_a_nul(
    served: tuple[LiveServer, ShopFixture, int],
) -> None:
    live, shop, reported = served
    # A backslash then "u0000" is six characters of text, not a NUL.
    text = "see \\u0000 in the log " + "y" * 900
    with live.client() as client:
        answer = client.post(
            "/api/v1/reports",
            json={"kind": "spam", "account_id": reported, "text": text},
            headers=auth(shop.tokens[Role.PARTICIPANT]),
        )
        assert answer.status_code == 201, answer.text
        case_id = answer.json()["case_id"]
        case = client.get(
            f"/api/v1/review/cases/{case_id}", headers=auth(shop.tokens[Role.OWNER])
        ).json()
    assert [r["text"] for r in case["reports"]] == [text]
