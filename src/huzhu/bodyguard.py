"""Request bodies kept within bounds before any route reads them, as a pure ASGI
middleware around the whole app (API, pages, the hot path).

- Too large: a declared Content-Length above `security.max_body_bytes` is answered 413
  `body_too_large` without reading a byte; a body without one (chunked) is read only up
  to the limit, then refused the same way. Nothing behind it ever sees such a body.
- A NUL character, raw or escaped (JSON `\\u0000`, form `%00`), is refused as 422
  `nul_character` on every database alike: PostgreSQL cannot store one in text, and
  SQLite would store it and hand it to every page that shows the text.

A body that passes is handed on unchanged, in one piece.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from huzhu.errors import HuzhuError, InvalidInput, problem_response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# `\u0000` in JSON, unless its backslash is itself escaped (`\\u0000` is six characters
# of text, no NUL).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


class BodyTooLarge(HuzhuError):
    code = "body_too_large"
    status = 413
    title = "The request body is too large"


class NulCharacter(InvalidInput):
    code = "nul_character"
    title = "The request contains a NUL character"


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


def nul_in(body: bytes, content_type: bytes) -> bool:
    if b"\x00" in body:
        return True
    if b"json" in content_type:
        return _JSON_NUL.search(body) is not None
    if b"x-www-form-urlencoded" in content_type:
        return b"%00" in body
    return False


class BodyGuard:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, scope: Scope, send: Send, error: HuzhuError) -> None:
        response = problem_response(error.to_problem(scope.get("path")), status=error.status)
        await response(scope, _no_receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if (declared is None and _header(scope, b"transfer-encoding") is None) or (
            declared is not None and declared.strip() == b"0"
        ):
            # No body (every GET; most hot-path calls): nothing to guard or to read.
            await self.app(scope, receive, send)
            return
        too_large = BodyTooLarge(
            f"at most {self.max_bytes} bytes are accepted", max_bytes=self.max_bytes
        )
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send, too_large)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away; let the app see it as it would have.
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = bytes(message.get("body", b""))
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, send, too_large)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and nul_in(body, (_header(scope, b"content-type") or b"").lower()):
            await self._refuse(
                scope, send, NulCharacter("text may not contain the NUL character (U+0000)")
            )
            return
        whole = {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, _replay([whole], receive), send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
