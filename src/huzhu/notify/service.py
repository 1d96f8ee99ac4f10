"""Use cases of the notify domain.

`record_event` is how every domain writes to the outbox: call it with the same session
as the change, so the event commits (or rolls back) with it.

Webhooks: the runner's periodic `notify.dispatch` (tasks.py) turns undispatched events
into one `webhook_delivery` per matching endpoint; `notify.deliver` claims due deliveries
one attempt at a time. The delivery row is its own queue (status, attempts,
next_attempt_at), so a retry or a manual redelivery is an UPDATE, not a new job.

The inbox has channels: a domain above notify that sends a second copy of inbox messages
elsewhere (WeChat) registers a function with `register_inbox_channel`, and
`send_inbox_message` calls every registered one with its own session, so the copy is
queued in the same transaction as the message (it exists iff the message committed).
A registry rather than an import, because imports go downward only and notify sits
below the domains that deliver its messages; the registrations are made in one place,
huzhu/wiring.py, which every process runs before it does work.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.orm import Session

import huzhu
from huzhu.accounts import service as accounts
from huzhu.config import Settings
from huzhu.errors import InvalidInput
from huzhu.jobs import service as jobs
from huzhu.jobs.rules import backoff_seconds
from huzhu.kit import clock, i18n, ids
from huzhu.kit.export import fields_of, plain
from huzhu.notify import repository, rules
from huzhu.notify.errors import (
    NOT_MUTEABLE,
    DeliveryNotFound,
    EndpointNotFound,
    InboxMessageNotFound,
    InvalidWebhookUrl,
    UnknownInboxKind,
)
from huzhu.notify.kinds import UNMUTEABLE, Reader, SummaryFrequency, render
from huzhu.notify.kinds import Kind as Kind  # the senders' names for what they send
from huzhu.notify.models import (
    Event,
    InboxPreference,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from huzhu.notify.models import InboxMessage as InboxMessage  # what routes are handed
from huzhu.notify.rules import PUSHABLE, DeliveryStatus, PushState
from huzhu.pagination import PageParams, fetch_page

DISPATCH_BATCH = 200
# Events no endpoint listens to, marked dispatched per statement (no fan-out to build).
UNHEARD_BATCH = 2_000
DELIVERY_LEASE_SLACK = 30.0
# How old an outbox event must be before a reader of the outbox takes it (read_outbox).
OUTBOX_SETTLE_SECONDS = 2.0


def record_event(
    session: Session,
    *,
    shop_id: int,
    type: str,
    subject_type: str,
    subject_id: int,
    payload: dict[str, Any] | None = None,
) -> Event:
    """Write an event to the outbox. One that no endpoint of its shop can hear (none is
    active) is written dispatched: there is nothing to fan out, and the dispatcher has
    nothing to read or rewrite for it (the assist hot path's statements do the same). An
    endpoint hears the events written after it is created or re-activated."""
    event = Event(
        shop_id=shop_id,
        type=type,
        subject_type=subject_type,
        subject_id=subject_id,
        payload=payload or {},
        dispatched=not repository.shop_listens(session, shop_id),
        created_at=clock.utcnow(),
    )
    session.add(event)
    session.flush()
    return event


def append_event(
    session: Session,
    *,
    shop_id: int,
    type: str,
    subject_type: str,
    subject_id: int,
    payload: dict[str, Any],
) -> None:
    """The same outbox event as record_event, in one Core statement and without an Event
    object: for frequent writes that need nothing back (share opens, issued links,
    delivered invites)."""
    repository.insert_event(
        session,
        shop_id=shop_id,
        values={
            "type": type,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "payload": payload,
            "created_at": clock.utcnow(),
        },
    )


# -- the inbox and its channels -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewInboxMessage:
    """What an inbox channel is told of a message to push: who and when. A channel that
    sends later reads the words then (`get_inbox_message`, `render_inbox_message`)."""

    message_id: int
    account_id: int
    created_at: datetime


# True when the channel queued a copy (a person who never asked for WeChat gets none).
InboxChannel = Callable[[Session, NewInboxMessage], bool]

# Whether a channel can reach a person at all (asked in the sender's transaction, so a
# message to someone no channel reaches queues no push job).
Reaches = Callable[[Session, int], bool]

_INBOX_CHANNELS: dict[str, InboxChannel] = {}
_REACHES: dict[str, Reaches] = {}


def register_inbox_channel(
    name: str, channel: InboxChannel, *, reaches: Reaches | None = None
) -> None:
    """Call `channel(session, message)` for every inbox message pushed from now on, in
    the push job's transaction (huzhu/wiring.py does this once per process; again is a
    no-op). `reaches(session, account_id)`: whether it could send to that person."""
    existing = _INBOX_CHANNELS.get(name)
    if existing is not None and existing is not channel:
        raise ValueError(f"inbox channel {name!r} registered twice")
    _INBOX_CHANNELS[name] = channel
    _REACHES[name] = reaches or (lambda session, account_id: True)


def _reachable(session: Session, account_id: int) -> bool:
    return any(_REACHES[name](session, account_id) for name in _INBOX_CHANNELS)


def inbox_channel_names() -> list[str]:
    return sorted(_INBOX_CHANNELS)


@dataclass(frozen=True, slots=True)
class PushWindow:
    """When a person may be pushed to: until when they are in quiet hours (None: not
    now), and the zone their day is counted in."""

    quiet_until: datetime | None
    time_zone: str


PushTiming = Callable[[Session, Settings, int, datetime], PushWindow]
_PUSH_TIMING: dict[str, PushTiming] = {}


def register_push_timing(timing: PushTiming) -> None:
    """The person's quiet hours and zone live with their invite preferences (invites,
    above notify): wiring.py registers the function that reads them."""
    existing = _PUSH_TIMING.get("timing")
    if existing is not None and existing is not timing:
        raise ValueError("push timing registered twice")
    _PUSH_TIMING["timing"] = timing


def _push_window(
    session: Session, settings: Settings, account_id: int, now: datetime
) -> PushWindow:
    timing = _PUSH_TIMING.get("timing")
    if timing is None:
        return PushWindow(quiet_until=None, time_zone="UTC")
    return timing(session, settings, account_id, now)


def send_inbox_message(
    session: Session,
    *,
    account_id: int,
    kind: Kind,
    params: dict[str, Any],
    topic: str | None = None,
) -> InboxMessage | None:
    """Write one message (None, and nothing written, when the person muted its kind or
    deleted their account).
    A push to the person's other channels is queued in this same transaction as a job
    (`notify.push`), which waits out their quiet hours and respects the daily cap."""
    if is_muted(session, account_id=account_id, kind=kind):
        return None
    if not accounts.still_here(session, account_id):
        return None  # deleted: their inbox was erased, and nothing new is kept for them
    pushes = _reachable(session, account_id)
    message = InboxMessage(
        account_id=account_id,
        kind=kind.value,
        params=params,
        topic=topic,
        push_state=PushState.PENDING if pushes else PushState.NONE,
        created_at=clock.utcnow(),
    )
    session.add(message)
    session.flush()
    if pushes:
        jobs.enqueue(
            session,
            kind=PUSH_JOB,
            payload={"message_id": message.id},
            dedupe_key=f"{PUSH_JOB}:{message.id}",
        )
    return message


PUSH_JOB = "notify.push"


def push_inbox_message(session: Session, settings: Settings, *, message_id: int) -> PushState:
    """The push job: copy the message to the person's other channels now, or after their
    quiet hours (a new job then), or not at all past their daily cap of pushes. The inbox
    row is there either way: people pull their inbox, pushes only call them to it."""
    message = session.get(InboxMessage, message_id)
    if message is None or message.push_state not in PUSHABLE:
        return PushState(message.push_state) if message is not None else PushState.NONE
    now = clock.utcnow()
    window = _push_window(session, settings, message.account_id, now)
    if window.quiet_until is not None:
        jobs.enqueue(
            session,
            kind=PUSH_JOB,
            payload={"message_id": message.id},
            run_at=window.quiet_until,
            dedupe_key=f"{PUSH_JOB}:{message.id}:{int(window.quiet_until.timestamp())}",
        )
        return _move_push(session, message, PushState.DEFERRED)
    day = rules.local_day(now, ZoneInfo(window.time_zone)).isoformat()
    cap = settings.notify.daily_pushes
    if not repository.take_push(session, account_id=message.account_id, day=day, cap=cap):
        return _move_push(session, message, PushState.CAPPED)
    new = NewInboxMessage(
        message_id=message.id, account_id=message.account_id, created_at=message.created_at
    )
    queued = [channel(session, new) for channel in _INBOX_CHANNELS.values()]
    if not any(queued):
        # Nothing was sent anywhere: it does not count against the day's pushes.
        repository.give_back_push(session, account_id=message.account_id, day=day)
        return _move_push(session, message, PushState.UNSENT)
    return _move_push(session, message, PushState.PUSHED)


def _move_push(session: Session, message: InboxMessage, state: PushState) -> PushState:
    repository.move_push_state(session, message_id=message.id, from_states=PUSHABLE, to_state=state)
    session.refresh(message)
    return PushState(message.push_state)


def pushes_today(session: Session, settings: Settings, *, account_id: int) -> int:
    """How many copies went to the person's other channels on their own day so far."""
    window = _push_window(session, settings, account_id, clock.utcnow())
    day = rules.local_day(clock.utcnow(), ZoneInfo(window.time_zone)).isoformat()
    return repository.pushes_on(session, account_id=account_id, day=day)


def get_inbox_message(session: Session, *, message_id: int) -> InboxMessage | None:
    return session.get(InboxMessage, message_id)


def latest_on_topic(
    session: Session, *, account_id: int, kind: Kind, topic: str
) -> InboxMessage | None:
    """The newest message of a kind about one thing (a batched or once-only message)."""
    return repository.latest_on_topic(session, account_id=account_id, kind=kind, topic=topic)


def update_unread_message(session: Session, *, message_id: int, params: dict[str, Any]) -> bool:
    """Rewrite an unread message's parameters in place (a batch that grew); False when
    it was read meanwhile, and then it stays as read."""
    return repository.update_unread_params(
        session, message_id=message_id, params=params, now=clock.utcnow()
    )


# What a message of one kind is read with beyond what is stored: (session, settings,
# the reader's account id, the stored params) -> the params built now. An invite hands
# its recipient links that carry tokens (the inviter's share link, one-tap mute and
# unsubscribe): the row stores what rebuilds them, never the tokens, and the domain that
# signs them (invites, above notify) registers its builder in wiring.py.
ReadParams = Callable[[Session, Settings, int, Mapping[str, Any]], dict[str, Any]]
_READ_PARAMS: dict[Kind, ReadParams] = {}


def register_read_params(kind: Kind, build: ReadParams) -> None:
    existing = _READ_PARAMS.get(kind)
    if existing is not None and existing is not build:
        raise ValueError(f"read params of {kind.value!r} registered twice")
    _READ_PARAMS[kind] = build


def read_params(
    session: Session, settings: Settings, message: InboxMessage
) -> dict[str, Any] | None:
    """The message's params as its reader gets them (the API's `params`, the words):
    what is stored, with what its kind builds at reading time; None before kinds."""
    if message.params is None:
        return None
    build = _READ_PARAMS.get(Kind(message.kind)) if message.kind in set(Kind) else None
    if build is None:
        return dict(message.params)
    return {**message.params, **build(session, settings, message.account_id, message.params)}


def render_inbox_message(
    session: Session,
    settings: Settings,
    message: InboxMessage,
    *,
    language: str,
    time_zone: str,
    name_zone: bool = True,
) -> tuple[str, str]:
    """Title and body in the reader's language (an i18n catalog code: zh_CN, en) and
    zone (`name_zone=False` on a page that names the zone once itself), built when it is
    read or pushed. A row from before the kinds registry shows the text stored with it."""
    params = read_params(session, settings, message)
    if params is not None:
        reader = Reader(
            gettext=i18n.translations(language).gettext,
            zone=ZoneInfo(time_zone),
            name_zone=name_zone,
        )
        words = render(message.kind, params, reader)
        if words is not None:
            return words
    return message.title or "", message.body or ""


# -- what a person chose for their inbox -----------------------------------------------


@dataclass(frozen=True, slots=True)
class InboxPreferences:
    muted_kinds: list[Kind]
    summary: SummaryFrequency


def inbox_preferences(session: Session, *, account_id: int) -> InboxPreferences:
    row = repository.inbox_preference(session, account_id)
    if row is None:
        return InboxPreferences(muted_kinds=[], summary=SummaryFrequency.WEEKLY)
    return InboxPreferences(
        muted_kinds=[Kind(k) for k in row.muted_kinds if k in set(Kind)],
        summary=SummaryFrequency(row.summary),
    )


def set_inbox_preferences(
    session: Session, *, account_id: int, muted_kinds: Sequence[str], summary: str
) -> InboxPreferences:
    """Save what the person mutes and how often their summary comes. Decisions on their
    account and on their appeals cannot be muted: the refusal names the kind."""
    kinds: list[Kind] = []
    for value in muted_kinds:
        try:
            kinds.append(Kind(value))
        except ValueError as exc:
            raise UnknownInboxKind(
                f"unknown inbox kind {value!r}", field="muted_kinds", kind=value
            ) from exc
    for kind in kinds:
        if kind in UNMUTEABLE:
            raise NOT_MUTEABLE[kind](
                f"messages of kind {kind.value!r} cannot be muted",
                field="muted_kinds",
                kind=kind.value,
            )
    try:
        frequency = SummaryFrequency(summary)
    except ValueError as exc:
        raise InvalidInput(
            f"summary is one of {', '.join(SummaryFrequency)}", field="summary"
        ) from exc
    row = repository.inbox_preference(session, account_id)
    if row is None:
        row = InboxPreference(account_id=account_id)
        session.add(row)
    row.muted_kinds = sorted({k.value for k in kinds})
    row.summary = frequency.value
    row.updated_at = clock.utcnow()
    session.flush()
    return inbox_preferences(session, account_id=account_id)


def is_muted(session: Session, *, account_id: int, kind: Kind) -> bool:
    if kind in UNMUTEABLE:
        return False
    row = repository.inbox_preference(session, account_id)
    return row is not None and kind.value in row.muted_kinds


def summary_frequency(session: Session, *, account_id: int) -> str:
    """How often the person wants their reminder summary: weekly (the default), daily
    or never."""
    return inbox_preferences(session, account_id=account_id).summary.value


def accounts_due(session: Session, *, frequency: str, account_ids: Sequence[int]) -> list[int]:
    """Of these accounts (e.g. those active in the period), the ones whose summary comes
    at this frequency — a person with no preference row gets the weekly one."""
    wanted = SummaryFrequency(frequency)
    rows = repository.preferences_of_accounts(session, account_ids)
    return [
        account_id
        for account_id in account_ids
        if SummaryFrequency(rows[account_id].summary if account_id in rows else "weekly") is wanted
    ]


# -- readers of the outbox ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    id: int
    type: str
    subject_type: str
    subject_id: int
    created_at: datetime


def read_outbox(
    session: Session,
    *,
    reader: str,
    types: Sequence[str],
    limit: int,
    settle_seconds: float = OUTBOX_SETTLE_SECONDS,
) -> tuple[list[OutboxEvent], int] | None:
    """The next events of these types for one named reader of the outbox, and the
    cursor to save once they are handled (`advance_outbox`, same transaction). None when
    there is nothing new or another runner is reading for it now. Events younger than
    `settle_seconds` wait for the next read: an id is taken before its transaction
    commits, so a younger event may still have an older neighbour about to commit."""
    if not repository.has_events_after(session, name=reader, types=types):
        return None
    now = clock.utcnow()
    cursor = repository.lock_cursor(session, name=reader, now=now)
    if cursor is None:
        return None
    settled = now - timedelta(seconds=settle_seconds)
    events: list[OutboxEvent] = []
    last = cursor
    for row in repository.events_after(session, after_id=cursor, types=types, limit=limit):
        if clock.as_utc(row.created_at) >= settled:
            break
        events.append(
            OutboxEvent(
                id=row.id,
                type=row.type,
                subject_type=row.subject_type,
                subject_id=row.subject_id,
                created_at=clock.as_utc(row.created_at),
            )
        )
        last = row.id
    return events, last


def advance_outbox(session: Session, *, reader: str, last_event_id: int) -> None:
    repository.move_cursor(session, name=reader, last_event_id=last_event_id, now=clock.utcnow())


@dataclass(frozen=True, slots=True)
class OutboxState:
    """For /metrics: how far dispatch is behind, and how webhook deliveries fare."""

    lag_seconds: float  # age of the oldest event not yet dispatched (0 when none)
    deliveries: dict[str, int]  # by status: pending, delivered, failed
    retrying: int  # pending deliveries that failed at least once


def outbox_state(session: Session) -> OutboxState:
    oldest = repository.oldest_undispatched_at(session)
    lag = (clock.utcnow() - clock.as_utc(oldest)).total_seconds() if oldest is not None else 0.0
    return OutboxState(
        lag_seconds=max(lag, 0.0),
        deliveries=repository.deliveries_by_status(session),
        retrying=repository.deliveries_retrying(session),
    )


# What a person reads of their own inbox. Every function takes the reader's account id
# and reads or writes through it: another person's message is not found, never shown.


def list_inbox(
    session: Session, params: PageParams, *, account_id: int
) -> tuple[list[InboxMessage], int | None]:
    """The person's messages, newest first, a keyset page at a time."""
    return fetch_page(
        session, repository.inbox_query(account_id=account_id), InboxMessage.id, params
    )


def unread_count(session: Session, *, account_id: int) -> int:
    return repository.count_unread(session, account_id=account_id)


def mark_read(session: Session, *, account_id: int, message_id: int) -> InboxMessage:
    """Mark one of the person's messages read. Again is a no-op: it keeps the time it
    was first read, so a retried request changes nothing."""
    message = repository.own_message(session, account_id=account_id, message_id=message_id)
    if message is None:
        raise InboxMessageNotFound(f"inbox message {message_id} not found")
    if message.read_at is None:
        # Conditional in the database, so two marks at once keep the first time.
        repository.mark_one_read(session, message_id=message_id, now=clock.utcnow())
        session.refresh(message)
    return message


def set_aside(session: Session, *, account_id: int, message_ids: Sequence[int]) -> None:
    """The person muted or blocked whoever sent these messages: they stop calling for
    attention (read as of now, a push not yet made withdrawn), and stay so if the mute
    or block is undone later — they never come back as new."""
    repository.set_aside(
        session, account_id=account_id, message_ids=message_ids, now=clock.utcnow()
    )


def mark_all_read(session: Session, *, account_id: int) -> int:
    """Mark every unread message of the person read; returns how many changed."""
    return repository.mark_all_read(session, account_id=account_id, now=clock.utcnow())


# -- webhook endpoints ---------------------------------------------------------------


def _check_url(settings: Settings, url: str) -> None:
    problem = rules.url_problem(url, allow_private=settings.webhooks.allow_private_targets)
    if problem:
        raise InvalidWebhookUrl(problem, field="url")


def create_endpoint(
    session: Session,
    settings: Settings,
    *,
    shop_id: int,
    url: str,
    description: str = "",
    event_types: list[str] | None = None,
    active: bool = True,
) -> WebhookEndpoint:
    """A new endpoint with a server-generated secret (returned once by the API)."""
    _check_url(settings, url)
    endpoint = WebhookEndpoint(
        shop_id=shop_id,
        url=url,
        description=description,
        secret=ids.token("whsec", 32),
        event_types=sorted(set(event_types or [])),
        active=active,
        created_at=clock.utcnow(),
    )
    session.add(endpoint)
    session.flush()
    return endpoint


def list_endpoints(
    session: Session, params: PageParams, *, shop_id: int
) -> tuple[list[WebhookEndpoint], int | None]:
    return fetch_page(
        session, repository.endpoints_query(shop_id=shop_id), WebhookEndpoint.id, params
    )


def get_endpoint(session: Session, *, shop_id: int, endpoint_id: int) -> WebhookEndpoint:
    endpoint = repository.endpoint_in_shop(session, shop_id=shop_id, endpoint_id=endpoint_id)
    if endpoint is None:
        raise EndpointNotFound(f"webhook endpoint {endpoint_id} not found")
    return endpoint


def update_endpoint(
    session: Session,
    settings: Settings,
    *,
    shop_id: int,
    endpoint_id: int,
    changes: dict[str, Any],
) -> WebhookEndpoint:
    """Apply the given fields (url, description, event_types, active); others stay."""
    endpoint = get_endpoint(session, shop_id=shop_id, endpoint_id=endpoint_id)
    if changes.get("url") is not None:
        _check_url(settings, changes["url"])
        endpoint.url = changes["url"]
    if changes.get("description") is not None:
        endpoint.description = changes["description"]
    if changes.get("event_types") is not None:
        endpoint.event_types = sorted(set(changes["event_types"]))
    if changes.get("active") is not None:
        endpoint.active = bool(changes["active"])
    session.flush()
    return endpoint


def delete_endpoint(session: Session, *, shop_id: int, endpoint_id: int) -> None:
    """Delete an endpoint and its delivery log; events stay in the outbox."""
    endpoint = get_endpoint(session, shop_id=shop_id, endpoint_id=endpoint_id)
    session.expunge(endpoint)
    repository.delete_endpoint_with_log(session, endpoint_id=endpoint_id)


# -- the outbox and dispatch ---------------------------------------------------------


def list_events(
    session: Session, params: PageParams, *, shop_id: int, type: str | None = None
) -> tuple[list[Event], int | None]:
    return fetch_page(
        session, repository.events_query(shop_id=shop_id, type=type), Event.id, params
    )


def dispatch_events(session: Session, *, limit: int = DISPATCH_BATCH) -> int:
    """Fan undispatched events out to a delivery per matching active endpoint of the
    event's shop, and mark them dispatched — in one transaction, so an event is either
    fanned out completely or not at all. UNIQUE(endpoint, event) makes a repeat a no-op.
    Events of shops without an active endpoint are only marked, in one statement (up to
    UNHEARD_BATCH of them). Returns how many events were dispatched."""
    listening = repository.listening_shop_ids(session)
    marked = repository.mark_unheard_dispatched(session, listening, limit=UNHEARD_BATCH)
    if not listening:
        return marked
    events = repository.claim_undispatched_events(session, listening, limit=limit)
    if not events:
        return marked
    endpoints = repository.active_endpoints(session, sorted({e.shop_id for e in events}))
    now = clock.utcnow()
    rows = [
        {
            "endpoint_id": endpoint.id,
            "event_id": event.id,
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for event in events
        for endpoint in endpoints
        if endpoint.shop_id == event.shop_id
        and rules.event_matches(endpoint.event_types, event.type)
    ]
    repository.insert_deliveries(session, rows)
    repository.mark_dispatched(session, [e.id for e in events])
    return marked + len(events)


# -- delivery ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryWork:
    """Everything one attempt needs, read before the transaction ends."""

    delivery_id: int
    attempt: int
    event_id: int
    url: str
    secret: str
    body: bytes


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    status_code: int | None
    error: str | None
    duration_ms: int


def claim_due_delivery(session: Session, settings: Settings) -> DeliveryWork | None:
    """Take one attempt on the next due delivery, or None when nothing is due."""
    now = clock.utcnow()
    # The lease outlasts the request, so a crashed attempt is retried, never run twice.
    lease_until = now + timedelta(seconds=settings.webhooks.timeout_seconds + DELIVERY_LEASE_SLACK)
    claimed = repository.claim_next_due_delivery(session, now=now, lease_until=lease_until)
    if claimed is None:
        return None
    endpoint = session.get(WebhookEndpoint, claimed.endpoint_id)
    event = session.get(Event, claimed.event_id)
    if endpoint is None or event is None or not endpoint.active:
        repository.settle_delivery(
            session,
            delivery_id=claimed.id,
            attempts=claimed.attempts,
            values={
                "status": DeliveryStatus.FAILED,
                "last_error": "endpoint inactive",
                "next_attempt_at": None,
            },
        )
        return None
    body = rules.event_body(
        event_id=event.id,
        type=event.type,
        created_at=event.created_at,
        subject_type=event.subject_type,
        subject_id=event.subject_id,
        data=event.payload,
    )
    return DeliveryWork(
        delivery_id=claimed.id,
        attempt=claimed.attempts,
        event_id=event.id,
        url=endpoint.url,
        secret=endpoint.secret,
        body=body,
    )


def post_delivery(settings: Settings, work: DeliveryWork) -> AttemptOutcome:
    """POST the signed body. Runs outside any transaction: a slow receiver must not hold
    a database lock (on SQLite, the one write lock) for the length of its timeout."""
    timestamp = int(clock.utcnow().timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"Huzhu-Webhooks/{huzhu.__version__}",
        rules.SIGNATURE_HEADER: rules.signature_header(work.secret, timestamp, work.body),
        rules.EVENT_ID_HEADER: str(work.event_id),
    }
    started = time.monotonic()
    try:
        if not settings.webhooks.allow_private_targets:
            _refuse_private_resolution(work.url)
        with httpx.Client(timeout=settings.webhooks.timeout_seconds) as client:
            response = client.post(work.url, content=work.body, headers=headers)
        status_code: int | None = response.status_code
        error = None if rules.is_success(response.status_code) else f"HTTP {status_code}"
    except (httpx.HTTPError, OSError, InvalidWebhookUrl) as exc:
        # The class only: messages of network errors can carry the receiver's details.
        status_code, error = None, type(exc).__name__
    duration_ms = int((time.monotonic() - started) * 1000)
    return AttemptOutcome(status_code=status_code, error=error, duration_ms=duration_ms)


def _refuse_private_resolution(url: str) -> None:
    host = urlsplit(url).hostname or ""
    for info in socket.getaddrinfo(host, None):
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise InvalidWebhookUrl("the webhook host resolves to a private address", field="url")


def record_attempt(
    session: Session, settings: Settings, *, work: DeliveryWork, outcome: AttemptOutcome
) -> DeliveryStatus:
    """Log the attempt and move the delivery on: delivered, retried later with
    exponential backoff, or failed after max_attempts. Returns the new status."""
    now = clock.utcnow()
    session.add(
        WebhookAttempt(
            delivery_id=work.delivery_id,
            attempted_at=now,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
        )
    )
    values: dict[str, Any] = {"last_status_code": outcome.status_code, "last_error": outcome.error}
    if outcome.error is None:
        values.update(status=DeliveryStatus.DELIVERED, delivered_at=now, next_attempt_at=None)
    elif work.attempt >= settings.webhooks.max_attempts:
        values.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    else:
        wait = backoff_seconds(
            work.attempt,
            base=settings.webhooks.backoff_base_seconds,
            cap=settings.webhooks.backoff_max_seconds,
        )
        values.update(next_attempt_at=now + timedelta(seconds=wait))
    repository.settle_delivery(
        session, delivery_id=work.delivery_id, attempts=work.attempt, values=values
    )
    session.flush()
    return DeliveryStatus(values.get("status", DeliveryStatus.PENDING))


def list_deliveries(
    session: Session,
    params: PageParams,
    *,
    shop_id: int,
    endpoint_id: int | None = None,
    status: str | None = None,
) -> tuple[list[WebhookDelivery], int | None]:
    stmt = repository.deliveries_query(shop_id=shop_id, endpoint_id=endpoint_id, status=status)
    return fetch_page(session, stmt, WebhookDelivery.id, params)


def get_delivery(
    session: Session, *, shop_id: int, delivery_id: int
) -> tuple[WebhookDelivery, list[WebhookAttempt]]:
    delivery = repository.delivery_in_shop(session, shop_id=shop_id, delivery_id=delivery_id)
    if delivery is None:
        raise DeliveryNotFound(f"webhook delivery {delivery_id} not found")
    return delivery, repository.attempts_of(session, delivery.id)


def redeliver(session: Session, *, shop_id: int, delivery_id: int) -> WebhookDelivery:
    """Send again now, with a fresh attempt budget; the attempt log keeps the history."""
    delivery, _ = get_delivery(session, shop_id=shop_id, delivery_id=delivery_id)
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = clock.utcnow()
    delivery.delivered_at = None
    session.flush()
    return delivery


# -- a person's own data ------------------------------------------------------------------

# Facts of a message that are not the reader's: which of the inviter's links it hands
# on (another person's row id would join two exports). The links themselves, with their
# tokens, are built only when the message is read, and never exported.
PARAMS_NOT_EXPORTED = frozenset({"share_link_id"})


def export_of(session: Session, *, account_id: int) -> dict[str, Any]:
    """The person's inbox preferences and every message, as its kind and its facts (the
    words are the catalogs'); rows from before the kinds keep their stored words, except
    an invite's, which name the inviter."""
    prefs = inbox_preferences(session, account_id=account_id)
    messages = []
    for m in session.scalars(
        repository.inbox_query(account_id=account_id).order_by(InboxMessage.id)
    ):
        row = fields_of(m, ("id", "kind", "created_at", "read_at"))
        if m.params is not None:
            row["params"] = plain(
                {k: v for k, v in m.params.items() if k not in PARAMS_NOT_EXPORTED}
            )
        elif m.kind != Kind.INVITE_RECEIVED:
            row.update(fields_of(m, ("title", "body")))
        messages.append(row)
    return {
        "inbox_preferences": {
            "muted_kinds": plain(prefs.muted_kinds),
            "summary": prefs.summary.value,
        },
        "inbox": messages,
    }


def erase_inbox_of(session: Session, *, account_id: int) -> None:
    """At the person's deletion: their inbox, its choices and its push counts (the WeChat
    queue's rows for these messages go first: wechat.channel.service.erase_of)."""
    repository.erase_inbox_of(session, account_id)
    session.flush()
