"""The community's side of the wire: every actor reaches the engine only through its HTTP
interface, as a real client would.

Requests go in process to the real app (Starlette's TestClient over ASGI: the same
middleware, routes, hot path and scorer as a server), from one loopback peer that the
app trusts as its proxy, so each person's own address arrives in X-Forwarded-For as it
would behind the shop's TLS proxy, and their phone's install id in X-Huzhu-Device.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
from fastapi.testclient import TestClient

from huzhu.simulate.population import Person

PROXY = "127.0.0.1"  # the app's trusted proxy: HUZHU_WEB__TRUSTED_PROXIES
PHONE_AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) MicroMessenger/8.0.50"
PAGE_LIMIT = 200


class Wire:
    """One shop's HTTP interface, spoken as its participants and its owner."""

    def __init__(self, client: TestClient, *, shop_slug: str) -> None:
        self.client = client
        self.shop_slug = shop_slug
        self.tokens: dict[int, str] = {}  # person index -> participant token
        self.accounts: dict[int, int] = {}  # person index -> account id
        self.owner_token = ""

    def as_person(
        self, person: Person, *, host: str | None = None, device: str | None = None
    ) -> dict[str, str]:
        headers = {
            "User-Agent": PHONE_AGENT,
            "Accept-Language": "zh-CN,zh;q=0.9",
            "X-Forwarded-For": host or person.host,
            "X-Huzhu-Device": device or person.device,
        }
        token = self.tokens.get(person.index)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def sign_in(self, person: Person) -> None:
        r = self.client.post(
            "/api/v1/auth/participant",
            json={"shop": self.shop_slug, "subject": person.subject},
            headers=self.as_person(person),
        )
        expect(r, 200)
        self.tokens[person.index] = r.json()["token"]
        self.accounts[person.index] = int(r.json()["account_id"])

    def owner(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.owner_token}", "X-Forwarded-For": "10.1.1.1"}

    def post(self, path: str, *, headers: dict[str, str], **kwargs: Any) -> httpx.Response:
        r: httpx.Response = self.client.post(path, headers=headers, **kwargs)
        return r

    def put(self, path: str, *, headers: dict[str, str], **kwargs: Any) -> httpx.Response:
        r: httpx.Response = self.client.put(path, headers=headers, **kwargs)
        return r

    def pages(self, path: str, *, headers: dict[str, str], **params: Any) -> Iterator[Any]:
        """Every item of a paginated list (?limit=, ?cursor=)."""
        cursor: int | None = None
        while True:
            query = {**params, "limit": PAGE_LIMIT}
            if cursor is not None:
                query["cursor"] = cursor
            r = self.client.get(path, headers=headers, params=query)
            expect(r, 200)
            body = r.json()
            yield from body["items"]
            cursor = body["next_cursor"]
            if cursor is None:
                return

    def get(self, path: str, *, headers: dict[str, str], **params: Any) -> Any:
        r = self.client.get(path, headers=headers, params=params)
        expect(r, 200)
        return r.json()


class UnexpectedAnswer(RuntimeError):
    """The engine answered a request the simulation must be able to make (a sign-in, a
    read of its own numbers) with something else: the run cannot go on truthfully."""


def expect(r: httpx.Response, *statuses: int) -> None:
    if r.status_code not in statuses:
        raise UnexpectedAnswer(f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text}")


def problem_code(r: httpx.Response) -> str | None:
    """The stable `code` of a problem+json answer (None for a success)."""
    if r.status_code < 400:
        return None
    try:
        code = r.json().get("code")
    except ValueError:
        return f"http_{r.status_code}"
    return str(code) if code else f"http_{r.status_code}"
