"""Use cases of idempotency keys, each one short transaction of its own (the middleware
calls them around the request, never inside the request's unit of work)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from huzhu.config import Settings
from huzhu.idempotency import repository
from huzhu.idempotency.rules import RecordState
from huzhu.kit import clock


class Outcome(StrEnum):
    RUN = "run"  # this request holds the key: run it
    REPLAY = "replay"  # the answer is stored: send it again
    REUSED = "reused"  # the key was used for a different request
    WAIT = "wait"  # the first request is still running
    RETRY = "retry"  # the record vanished or expired meanwhile: try to insert again


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    record_id: int | None = None
    fence: datetime | None = None  # the holder's locked_until
    response: StoredResponse | None = field(default=None)


@dataclass(frozen=True, slots=True)
class KeyedRequest:
    principal: str
    key: str
    method: str
    path: str
    request_hash: str


def begin(session: Session, settings: Settings, request: KeyedRequest) -> Decision:
    """Take the key for this request, or say what to do instead."""
    now = clock.utcnow()
    fence = now + timedelta(seconds=settings.idempotency.lock_seconds)
    record_id = repository.insert_in_progress(
        session,
        {
            "principal": request.principal,
            "key": request.key,
            "method": request.method,
            "path": request.path[:500],
            "request_hash": request.request_hash,
            "state": RecordState.IN_PROGRESS,
            "response_headers": {},
            "created_at": now,
            "locked_until": fence,
        },
    )
    if record_id is not None:
        return Decision(Outcome.RUN, record_id=record_id, fence=fence)
    record = repository.find(session, principal=request.principal, key=request.key)
    if record is None:
        return Decision(Outcome.RETRY)
    expired_before = now - timedelta(seconds=settings.idempotency.ttl_seconds)
    if record.created_at < expired_before:
        repository.delete_expired(session, record_id=record.id, created_before=expired_before)
        return Decision(Outcome.RETRY)
    if record.request_hash != request.request_hash:
        return Decision(Outcome.REUSED)
    if record.state == RecordState.DONE and record.status_code is not None:
        stored = StoredResponse(
            status=record.status_code,
            headers=[(str(k), str(v)) for k, v in record.response_headers.get("headers", [])],
            body=base64.b64decode(record.response_body or ""),
        )
        return Decision(Outcome.REPLAY, record_id=record.id, response=stored)
    if record.locked_until < now and repository.take_over(
        session, record_id=record.id, stale_until=record.locked_until, locked_until=fence
    ):
        return Decision(Outcome.RUN, record_id=record.id, fence=fence)
    return Decision(Outcome.WAIT)


def complete(
    session: Session, *, record_id: int, fence: datetime, response: StoredResponse
) -> bool:
    """Store the answer byte for byte (base64: a body need not be valid text)."""
    return repository.complete(
        session,
        record_id=record_id,
        locked_until=fence,
        values={
            "status_code": response.status,
            "response_body": base64.b64encode(response.body).decode("ascii"),
            "response_headers": {"headers": [list(h) for h in response.headers]},
        },
    )


def release(session: Session, *, record_id: int, fence: datetime) -> None:
    """Give the key back (a 5xx, a crash): the client may retry it."""
    repository.release(session, record_id=record_id, locked_until=fence)


def purge_expired(session: Session, *, before: datetime, limit: int) -> int:
    """Up to `limit` records created before `before` go (the retention sweep passes now −
    `idempotency.ttl_seconds`)."""
    return repository.purge_created_before(session, before, limit=limit)
