"""Idempotency-Key as a pure ASGI middleware (no BaseHTTPMiddleware: it would copy every
response through an extra task and break streaming; this buffers only keyed requests).

For POST and PATCH under /api/v1 carrying `Idempotency-Key`:
1. the key is taken by inserting an in_progress record (UNIQUE(principal, key)) in its
   own short transaction — the first request wins the race, on any number of workers;
2. the winner runs; its answer is stored and the key marked done before the response is
   sent, so a replay that arrives after the response never runs the request again;
3. a replay gets the stored answer byte for byte plus `Idempotent-Replayed: true`; a replay
   during the first run waits (bounded) for it; the same key on a different request is
   refused; a 5xx (or 429) releases the key so the client can retry.
A response model's credential fields (kit/credentials.py: sign-in and integrator tokens,
webhook secrets, confirmation and share-link tokens) are stored as null and named under
`withheld`: the replay is the same answer without the secret, which is shown only once.
Paths matching settings.idempotency.skip_paths (the assist hot path, which keys its own
writes) are passed through untouched.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import datetime
from typing import Any

import anyio

from huzhu.config import Settings
from huzhu.db import Database
from huzhu.deps import in_one_unit_of_work
from huzhu.errors import HuzhuError, Overloaded, problem_response
from huzhu.idempotency import rules, service
from huzhu.idempotency.errors import (
    IdempotencyInProgress,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
)
from huzhu.idempotency.service import Decision, KeyedRequest, Outcome, StoredResponse
from huzhu.kit.credentials import credential_fields, withhold

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("huzhu.idempotency")

KEYED_METHODS = frozenset({"POST", "PATCH"})
REPLAYED_HEADER = (b"idempotent-replayed", b"true")
# Never stored: a cookie belongs to the first response's session, not to the key.
UNSTORED_HEADERS = frozenset({"set-cookie"})
FIRST_POLL_SECONDS = 0.05
MAX_POLL_SECONDS = 0.25


class IdempotencyMiddleware:
    def __init__(
        self, app: ASGIApp, *, settings: Settings, db: Database, prefix: str = "/api/v1/"
    ) -> None:
        self.app = app
        self.settings = settings
        self.db = db
        self.prefix = prefix
        self.skip = [re.compile(p) for p in settings.idempotency.skip_paths]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key_of(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        problem = rules.key_problem(key)
        if problem:
            await self._problem(scope, receive, send, IdempotencyKeyInvalid(problem))
            return
        body = await _read_body(receive)
        request = KeyedRequest(
            principal=rules.principal_of(_header(scope, b"authorization")),
            key=key,
            method=scope["method"],
            path=scope["path"],
            request_hash=rules.request_hash(
                method=scope["method"],
                path=scope["path"],
                query=scope.get("query_string", b""),
                body=body,
            ),
        )
        try:
            decision = await self._decide(request)
        except Overloaded as exc:  # no turn for the key's record: nothing ran
            await self._problem(scope, receive, send, exc)
            return
        if decision.outcome is Outcome.REPLAY and decision.response is not None:
            await _send_stored(send, decision.response, replayed=True)
        elif decision.outcome is Outcome.REUSED:
            await self._problem(scope, receive, send, IdempotencyKeyReused())
        elif decision.outcome is Outcome.RUN and decision.record_id and decision.fence:
            await self._run(
                scope, receive, send, body=body, record_id=decision.record_id, fence=decision.fence
            )
        else:
            await self._problem(
                scope,
                receive,
                send,
                IdempotencyInProgress("retry with the same key in a moment", retry_after=1),
            )

    def _key_of(self, scope: Scope) -> str | None:
        if scope["type"] != "http" or scope["method"] not in KEYED_METHODS:
            return None
        raw = _header(scope, b"idempotency-key")
        if raw is None:
            return None
        path: str = scope["path"]
        if not path.startswith(self.prefix) or any(p.search(path) for p in self.skip):
            return None
        return raw.decode("latin-1")

    async def _decide(self, request: KeyedRequest) -> Decision:
        """Take the key, or wait (bounded) while its first request runs."""
        deadline = time.monotonic() + self.settings.idempotency.wait_seconds
        pause = FIRST_POLL_SECONDS
        while True:
            decision = await in_one_unit_of_work(
                self.db, lambda session: service.begin(session, self.settings, request)
            )
            if decision.outcome is Outcome.RETRY:
                continue
            if decision.outcome is not Outcome.WAIT or time.monotonic() >= deadline:
                return decision
            await anyio.sleep(pause)
            pause = min(pause * 1.5, MAX_POLL_SECONDS)

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        body: bytes,
        record_id: int,
        fence: datetime,
    ) -> None:
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, _replay_body(body, receive), capture)
        except BaseException:
            await self._release(record_id, fence)
            raise
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start.get("headers", [])]
        response = StoredResponse(
            status=int(start.get("status", 500)),
            headers=[(k, v) for k, v in headers if k.lower() not in UNSTORED_HEADERS],
            body=b"".join(chunks),
        )
        try:
            if rules.is_stored(response.status):
                await self._complete(record_id, fence, _without_credentials(scope, response))
            else:
                await self._release(record_id, fence)
        except Overloaded:
            # The request's own work is done (or refused) either way: its true answer
            # goes out. The key stays in progress until its fence passes.
            log.warning("idempotency record %s not updated: the database is busy", record_id)
        await _send_stored(send, response, replayed=False, raw_headers=start.get("headers"))

    async def _complete(self, record_id: int, fence: datetime, response: StoredResponse) -> None:
        completed = await in_one_unit_of_work(
            self.db,
            lambda session: service.complete(
                session, record_id=record_id, fence=fence, response=response
            ),
        )
        if not completed:
            log.warning("idempotency record %s was taken over before it completed", record_id)

    async def _release(self, record_id: int, fence: datetime) -> None:
        await in_one_unit_of_work(
            self.db, lambda session: service.release(session, record_id=record_id, fence=fence)
        )

    async def _problem(self, scope: Scope, receive: Receive, send: Send, exc: HuzhuError) -> None:
        headers = (
            {"Retry-After": str(exc.extra.pop("retry_after"))}
            if "retry_after" in exc.extra
            else None
        )
        response = problem_response(
            exc.to_problem(scope["path"]), status=exc.status, headers=headers
        )
        await response(scope, receive, send)


def _without_credentials(scope: Scope, response: StoredResponse) -> StoredResponse:
    """The answer as it may be stored: the route's credential fields withheld (the router
    left the matched route in the scope), Content-Length fitted to the new body."""
    fields = credential_fields(getattr(scope.get("route"), "response_model", None))
    if not fields:
        return response
    body = withhold(response.body, fields)
    if body is response.body:
        return response
    headers = [
        (k, str(len(body)) if k.lower() == "content-length" else v) for k, v in response.headers
    ]
    return StoredResponse(status=response.status, headers=headers, body=body)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value)
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay_body(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def _receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return _receive


async def _send_stored(
    send: Send,
    response: StoredResponse,
    *,
    replayed: bool,
    raw_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = (
        list(raw_headers)
        if raw_headers is not None
        else [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    )
    if replayed:
        headers.append(REPLAYED_HEADER)
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body, "more_body": False})
