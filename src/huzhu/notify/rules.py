"""Pure rules of the notify domain: the webhook body, its signature, who gets what, and
when the inbox pushes a copy elsewhere.

The signature scheme, for integrators (copy the logic of `verify_signature`):

    Huzhu-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{raw body}")>

Signing the timestamp with the body stops a captured request from being replayed later:
the receiver refuses a `t` outside its tolerance, and cannot be fooled into a fresher `t`
without the secret. Several `v1=` values may appear (e.g. while a secret is rotated); one
matching is enough. Compare in constant time so a forgery cannot be found byte by byte.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import time
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo


def unheard_sql(shop_id: str) -> str:
    """SQL that is true when no active endpoint of the shop `shop_id` (an SQL expression)
    can hear an event: such an event is written already dispatched, as there is nothing
    to fan out. The one definition of the rule: `record_event`, `append_event` and the
    assist hot path's statements on both backends embed it in their INSERT."""
    return (
        "NOT EXISTS (SELECT 1 FROM webhook_endpoint listener"
        f" WHERE listener.shop_id = {shop_id} AND listener.active)"
    )


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # due at next_attempt_at (or leased by a runner until then)
    DELIVERED = "delivered"
    FAILED = "failed"  # out of attempts, or its endpoint was deactivated


SIGNATURE_HEADER = "Huzhu-Signature"
EVENT_ID_HEADER = "Huzhu-Event-Id"
DEFAULT_TOLERANCE_SECONDS = 300


def event_body(
    *,
    event_id: int,
    type: str,
    created_at: datetime,
    subject_type: str,
    subject_id: int,
    data: dict[str, Any],
) -> bytes:
    """The JSON a receiver gets: compact UTF-8, so the signed bytes are the sent bytes."""
    document = {
        "id": event_id,
        "type": type,
        "created_at": created_at.isoformat(),
        "subject": {"type": subject_type, "id": subject_id},
        "data": data,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def compute_signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={compute_signature(secret, timestamp, body)}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    *,
    now: float | None = None,
) -> bool:
    """True when `header` signs `body` with `secret` and its time is within tolerance."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return False
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = compute_signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, c) for c in candidates)


def event_matches(event_types: list[str], type: str) -> bool:
    """An endpoint's filter: empty means every event; `campaign.*` means a family."""
    if not event_types:
        return True
    for wanted in event_types:
        if wanted == type or (wanted.endswith(".*") and type.startswith(wanted[:-1])):
            return True
    return False


def is_success(status_code: int) -> bool:
    return 200 <= status_code < 300


def url_problem(url: str, *, allow_private: bool) -> str | None:
    """Why a webhook URL is refused, or None. Without allow_private, a URL naming a
    loopback or private address is refused: an endpoint must not be a way to make the
    server call its own network (SSRF)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "the URL must start with http:// or https://"
    host = parts.hostname
    if not host:
        return "the URL has no host"
    if parts.username or parts.password:
        return "credentials in the URL are not allowed; the signature authenticates us"
    if allow_private:
        return None
    if host == "localhost" or host.endswith(".localhost"):
        return "loopback targets are not allowed"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if not address.is_global:
        return "private, loopback and link-local targets are not allowed"
    return None


class PushState(StrEnum):
    """Whether an inbox message was copied to the person's other channels (WeChat)."""

    NONE = "none"  # no other channel in this process
    PENDING = "pending"  # the push job will decide
    DEFERRED = "deferred"  # quiet hours: the push job runs again when they end
    PUSHED = "pushed"  # a channel queued a copy
    UNSENT = "unsent"  # no channel took it (e.g. the person never asked for WeChat)
    CAPPED = "capped"  # past the person's daily number of pushes: inbox only
    WITHDRAWN = "withdrawn"  # the person muted or blocked its sender before it went out


PUSHABLE = (PushState.PENDING, PushState.DEFERRED)


def local_day(now: datetime, zone: ZoneInfo) -> date:
    """The person's own calendar day, which the daily cap of pushes counts by."""
    return now.astimezone(zone).date()
