"""Job handlers by kind. A domain's tasks.py registers its handlers with `handler`.

A handler receives (session, settings, payload) inside the job's own transaction and
must be idempotent: a crashed job runs again from the start.

`periodic` registers housekeeping that every runner calls itself on its poll loop (at
most once per `every_seconds` per runner), without a job row: sweeping the event outbox
every half second would otherwise fill the job table with bookkeeping. Periodic work
must be safe to run by several runners at once (SKIP LOCKED, unique constraints).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from huzhu.config import Settings

Handler = Callable[[Session, Settings, dict[str, Any]], None]
PeriodicFn = Callable[[Session, Settings], None]


@dataclass(frozen=True, slots=True)
class Periodic:
    name: str
    every_seconds: float
    fn: PeriodicFn


_HANDLERS: dict[str, Handler] = {}
_PERIODIC: dict[str, Periodic] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def _register(fn: Handler) -> Handler:
        if kind in _HANDLERS and _HANDLERS[kind] is not fn:
            raise ValueError(f"job kind {kind!r} registered twice")
        _HANDLERS[kind] = fn
        return fn

    return _register


def periodic(name: str, *, every_seconds: float = 0.0) -> Callable[[PeriodicFn], PeriodicFn]:
    """Run `fn(session, settings)` from each runner's loop; 0 means every poll."""

    def _register(fn: PeriodicFn) -> PeriodicFn:
        existing = _PERIODIC.get(name)
        if existing is not None and existing.fn is not fn:
            raise ValueError(f"periodic task {name!r} registered twice")
        _PERIODIC[name] = Periodic(name=name, every_seconds=every_seconds, fn=fn)
        return fn

    return _register


def get_handler(kind: str) -> Handler | None:
    return _HANDLERS.get(kind)


def kinds() -> list[str]:
    return sorted(_HANDLERS)


def periodic_tasks() -> list[Periodic]:
    """In registration order, so a producer registered first (notify.dispatch) feeds its
    consumer (notify.deliver) within the same poll."""
    return list(_PERIODIC.values())
