"""The mutes-and-blocks page over ASGI on the demo seed, through its own forms (CSRF and
all): signed out it sends the person to sign in; a mute from a share page lands on it
with a way back; an undo of an unknown kind or of someone who is not there is a 404
page, and an undo of someone not muted changes nothing and says so plainly; a form
without its CSRF token is refused."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.web.test_error_messages import EN, ZH, _csrf, sign_in, start_bargain, submit
from tests.web.test_pages_http import _client as seeded_client


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    yield from seeded_client(sqlite_url)


def _relations_page(client: TestClient, headers: dict[str, str] = EN) -> str:
    answer = client.get("/me/relations", headers=headers)
    assert answer.status_code == 200
    return answer.text


def test_signed_out_the_page_asks_to_sign_in_first(client: TestClient) -> None:
    answer = client.get("/me/relations", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=%2Fme%2Frelations"


def test_a_mute_lands_on_the_page_with_its_undo_and_a_way_back(client: TestClient) -> None:
    _, instance_id = start_bargain(client, "rel-sender")
    made = submit(client, f"/i/{instance_id}/share-link")
    token = parse_qs(urlsplit(made).query)["link"][0]
    sign_in(client, "rel-friend")
    where = submit(client, f"/s/{token}/mute")
    assert urlsplit(where).path == "/me/relations"
    assert parse_qs(urlsplit(where).query) == {"notice": ["muted"], "back": [f"/i/{instance_id}"]}
    page = client.get(where, headers=ZH).text
    assert "已设置。你将不再收到此人的邀请。" in page
    assert f'href="/i/{instance_id}" data-back' in page
    assert page.count('data-relation="mute"') == 1
    assert 'data-none="block"' in page

    other = page.split('data-relation="mute" data-other="')[1].split('"')[0]
    undone = submit(client, f"/me/relations/mute/{other}/undo")
    assert undone == "/me/relations?notice=unmuted"
    assert 'data-relation="mute"' not in _relations_page(client)
    # Again: nothing to undo, nothing changes, the same plain answer.
    assert submit(client, f"/me/relations/mute/{other}/undo") == "/me/relations?notice=unmuted"


@pytest.mark.parametrize(
    "path",
    ["/me/relations/contact/1/undo", "/me/relations/mute/999999999/undo"],
    ids=["unknown-kind", "unknown-person"],
)
def test_an_undo_of_what_is_not_there_is_a_404_page(client: TestClient, path: str) -> None:
    sign_in(client, "rel-undoer")
    answer = client.post(path, data={"csrf_token": _csrf(client, "/")}, headers=EN)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")


def test_an_undo_without_its_csrf_token_is_refused(client: TestClient) -> None:
    sign_in(client, "rel-forged")
    answer = client.post("/me/relations/mute/1/undo", data={}, follow_redirects=False)
    assert answer.status_code == 403
