"""Job handlers by kind. A domain's tasks.py registers its handlers with `handler`.

A handler receives (session, settings, payload) inside the job's own transaction and
must be idempotent: a crashed job runs again from the start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from huzhu.config import Settings

Handler = Callable[[Session, Settings, dict[str, Any]], None]

_HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def _register(fn: Handler) -> Handler:
        if kind in _HANDLERS and _HANDLERS[kind] is not fn:
            raise ValueError(f"job kind {kind!r} registered twice")
        _HANDLERS[kind] = fn
        return fn

    return _register


def get_handler(kind: str) -> Handler | None:
    return _HANDLERS.get(kind)


def kinds() -> list[str]:
    return sorted(_HANDLERS)
