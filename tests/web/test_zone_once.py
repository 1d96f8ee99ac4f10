"""A page names its time zone once (templating.ZoneOnce): beside its first time, or in
the refusal shown above it when that names the zone already — over ASGI on the demo
seed, in both languages."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.web.test_error_messages import EN, ZH, _local, _restrict, start_bargain, submit
from tests.web.test_pages_http import _client as seeded_client


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    yield from seeded_client(sqlite_url)


@pytest.mark.parametrize("headers", [EN, ZH], ids=["en", "zh"])
def test_a_refusal_naming_the_zone_above_the_page_is_its_one_naming(
    client: TestClient, headers: dict[str, str]
) -> None:
    starter, instance_id = start_bargain(client, f"zone-{headers['Accept-Language']}")
    _restrict(client, starter, "warning")
    until = _restrict(client, starter, "invite_restriction_7d")
    assert until is not None
    where = submit(client, f"/i/{instance_id}/share-link")
    page = html.unescape(client.get(where, headers=headers).text)
    assert _local(until) in page  # the refusal says until when, with its zone
    assert page.count("(Asia/Shanghai)") == 1  # and the page's own times do not again
    assert page.count("<time ") >= 1

    plain = html.unescape(client.get(f"/i/{instance_id}", headers=headers).text)
    assert plain.count("(Asia/Shanghai)") == 1  # without it, beside the first time
