"""Queries of the notify domain, written once and named by intent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    CursorResult,
    Row,
    Select,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from huzhu.notify.models import (
    Event,
    InboxMessage,
    InboxPreference,
    InboxPushDay,
    OutboxCursor,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from huzhu.notify.rules import PUSHABLE, DeliveryStatus, PushState, unheard_sql


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# -- endpoints -----------------------------------------------------------------------


def endpoint_in_shop(session: Session, *, shop_id: int, endpoint_id: int) -> WebhookEndpoint | None:
    return session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.id == endpoint_id, WebhookEndpoint.shop_id == shop_id
        )
    ).one_or_none()


def endpoints_query(*, shop_id: int) -> Select[WebhookEndpoint]:
    return select(WebhookEndpoint).where(WebhookEndpoint.shop_id == shop_id)


def active_endpoints(session: Session, shop_ids: Sequence[int]) -> list[WebhookEndpoint]:
    return list(
        session.scalars(
            select(WebhookEndpoint).where(
                WebhookEndpoint.shop_id.in_(shop_ids), WebhookEndpoint.active.is_(True)
            )
        )
    )


def delete_endpoint_with_log(session: Session, *, endpoint_id: int) -> None:
    """The endpoint and its delivery log go together (the log only names the endpoint)."""
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint_id)
    session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id))
    session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id))


# -- the outbox ----------------------------------------------------------------------


_event = cast(Table, Event.__table__)
# One statement: whether an endpoint hears the event is asked inside the INSERT.
_event_shop: BindParameter[int] = bindparam("event_shop_id")
_INSERT_EVENT = insert(_event).values(
    shop_id=_event_shop, dispatched=text(unheard_sql(":event_shop_id"))
)
_UNHEARD = text("SELECT " + unheard_sql(":shop_id"))


def insert_event(session: Session, *, shop_id: int, values: dict[str, Any]) -> None:
    """An outbox row written dispatched when no active endpoint of its shop can hear it
    (the same rule as shop_listens + an Event object, in one statement)."""
    session.connection().execute(_INSERT_EVENT, {"event_shop_id": shop_id, **values})


def shop_listens(session: Session, shop_id: int) -> bool:
    """Whether the shop has an active endpoint (rules.unheard_sql, as every INSERT of an
    event asks it)."""
    return not session.scalar(_UNHEARD, {"shop_id": shop_id})


def listening_shop_ids(session: Session) -> list[int]:
    """Shops with at least one active endpoint: only their events fan out."""
    return list(
        session.scalars(
            select(WebhookEndpoint.shop_id).where(WebhookEndpoint.active.is_(True)).distinct()
        )
    )


def mark_unheard_dispatched(session: Session, listening: Sequence[int], *, limit: int) -> int:
    """Mark dispatched, in one statement and without reading them, up to `limit` of the
    oldest events no endpoint listens to (their shop has no active endpoint): events are
    written dispatched when nobody listens, so these are the ones whose endpoints went
    away (deactivated, deleted) before the dispatcher reached them. On PostgreSQL rows
    another dispatcher holds are skipped."""
    # `~dispatched` renders as the partial index's own condition on both databases.
    ids = select(Event.id).where(~Event.dispatched).order_by(Event.id).limit(limit)
    if listening:
        ids = ids.where(Event.shop_id.not_in(listening))
    if _is_postgres(session):
        ids = ids.with_for_update(skip_locked=True)
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Event)
        .where(Event.id.in_(ids.scalar_subquery()))
        .values(dispatched=True)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)


def claim_undispatched_events(
    session: Session, shop_ids: Sequence[int], *, limit: int
) -> Sequence[Row[int, int, str]]:
    """(id, shop_id, type) of the oldest undispatched events of these shops — the
    columns the fan-out needs, through Core (no ORM loading per row). On PostgreSQL rows
    another dispatcher holds are skipped, so concurrent runners split the backlog
    instead of doing it twice."""
    stmt = (
        select(Event.id, Event.shop_id, Event.type)
        .where(~Event.dispatched, Event.shop_id.in_(shop_ids))
        .order_by(Event.id)
        .limit(limit)
    )
    if _is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    return session.connection().execute(stmt).all()


def mark_dispatched(session: Session, event_ids: Sequence[int]) -> None:
    session.execute(
        update(Event)
        .where(Event.id.in_(event_ids))
        .values(dispatched=True)
        .execution_options(synchronize_session=False)
    )


def events_query(*, shop_id: int, type: str | None = None) -> Select[Event]:
    stmt = select(Event).where(Event.shop_id == shop_id)
    if type is not None:
        stmt = stmt.where(Event.type == type)
    return stmt


# -- deliveries ----------------------------------------------------------------------


def insert_deliveries(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert deliveries, skipping (endpoint, event) pairs that exist: UNIQUE makes a
    second dispatch of the same event a no-op. Returns the ids of the new rows."""
    if not rows:
        return []
    dialect_insert = postgresql.insert if _is_postgres(session) else sqlite.insert
    stmt = (
        dialect_insert(WebhookDelivery)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"])
        .returning(WebhookDelivery.id)
    )
    return [int(i) for i in session.scalars(stmt)]


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    id: int
    attempts: int
    endpoint_id: int
    event_id: int


def claim_next_due_delivery(
    session: Session, *, now: datetime, lease_until: datetime
) -> ClaimedDelivery | None:
    """Take one attempt on the oldest due delivery, in one statement (like the job claim).
    next_attempt_at moves to the lease end: no other runner sees it due while the request
    is in flight, and if this runner dies the delivery is due again when the lease ends."""
    due: Select[int] = (
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= now,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(1)
    )
    if _is_postgres(session):
        due = due.with_for_update(skip_locked=True)
    stmt = (
        update(WebhookDelivery)
        .where(WebhookDelivery.id == due.scalar_subquery())
        .values(attempts=WebhookDelivery.attempts + 1, next_attempt_at=lease_until)
        .returning(
            WebhookDelivery.id,
            WebhookDelivery.attempts,
            WebhookDelivery.endpoint_id,
            WebhookDelivery.event_id,
        )
        .execution_options(synchronize_session=False)
    )
    row = session.execute(stmt).first()
    if row is None:
        return None
    return ClaimedDelivery(
        id=row.id, attempts=row.attempts, endpoint_id=row.endpoint_id, event_id=row.event_id
    )


def settle_delivery(
    session: Session, *, delivery_id: int, attempts: int, values: dict[str, Any]
) -> bool:
    """Write an attempt's outcome unless the delivery moved on meanwhile (a manual
    redelivery reset it): the newer intent wins."""
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.attempts == attempts,
            WebhookDelivery.status == DeliveryStatus.PENDING,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def deliveries_query(
    *, shop_id: int, endpoint_id: int | None = None, status: str | None = None
) -> Select[WebhookDelivery]:
    stmt = (
        select(WebhookDelivery)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookEndpoint.shop_id == shop_id)
    )
    if endpoint_id is not None:
        stmt = stmt.where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    return stmt


def delivery_in_shop(session: Session, *, shop_id: int, delivery_id: int) -> WebhookDelivery | None:
    return session.scalars(
        deliveries_query(shop_id=shop_id).where(WebhookDelivery.id == delivery_id)
    ).one_or_none()


def attempts_of(session: Session, delivery_id: int) -> list[WebhookAttempt]:
    return list(
        session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery_id)
            .order_by(WebhookAttempt.id)
        )
    )


# -- the inbox -----------------------------------------------------------------------


def inbox_query(*, account_id: int) -> Select[InboxMessage]:
    """A person's own messages: every inbox read starts from their account id."""
    return select(InboxMessage).where(InboxMessage.account_id == account_id)


def count_unread(session: Session, *, account_id: int) -> int:
    """One COUNT over the account's index entries (ix_inbox_message_account_id)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(InboxMessage)
            .where(InboxMessage.account_id == account_id, InboxMessage.read_at.is_(None))
        )
        or 0
    )


def own_message(session: Session, *, account_id: int, message_id: int) -> InboxMessage | None:
    return session.scalars(
        inbox_query(account_id=account_id).where(InboxMessage.id == message_id)
    ).one_or_none()


def mark_one_read(session: Session, *, message_id: int, now: datetime) -> None:
    """Mark one message read unless it already is (the first time read stays)."""
    session.execute(
        update(InboxMessage)
        .where(InboxMessage.id == message_id, InboxMessage.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )


def set_aside(
    session: Session, *, account_id: int, message_ids: Sequence[int], now: datetime
) -> None:
    """Read as of now (unless read before) and any push not yet made withdrawn."""
    if not message_ids:
        return
    own = (InboxMessage.account_id == account_id, InboxMessage.id.in_(message_ids))
    session.execute(
        update(InboxMessage)
        .where(*own, InboxMessage.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(InboxMessage)
        .where(*own, InboxMessage.push_state.in_(PUSHABLE))
        .values(push_state=PushState.WITHDRAWN)
        .execution_options(synchronize_session=False)
    )


def mark_all_read(session: Session, *, account_id: int, now: datetime) -> int:
    """Mark every unread message of the account read, in one statement; a message
    already read keeps the time it was first read. Returns how many changed."""
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(InboxMessage)
        .where(InboxMessage.account_id == account_id, InboxMessage.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)


def latest_on_topic(
    session: Session, *, account_id: int, kind: str, topic: str
) -> InboxMessage | None:
    return session.scalars(
        inbox_query(account_id=account_id)
        .where(InboxMessage.topic == topic, InboxMessage.kind == kind)
        .order_by(InboxMessage.id.desc())
        .limit(1)
    ).one_or_none()


def update_unread_params(
    session: Session, *, message_id: int, params: dict[str, Any], now: datetime
) -> bool:
    """Rewrite a message's parameters while it is unread (conditional in the database:
    once read, what the person read stays what they read)."""
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(InboxMessage)
        .where(InboxMessage.id == message_id, InboxMessage.read_at.is_(None))
        .values(params=params, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def move_push_state(
    session: Session, *, message_id: int, from_states: Sequence[str], to_state: str
) -> bool:
    """Move a message's push state on unless another run moved it first."""
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(InboxMessage)
        .where(InboxMessage.id == message_id, InboxMessage.push_state.in_(from_states))
        .values(push_state=to_state)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _upsert(session: Session) -> Any:
    return postgresql.insert if _is_postgres(session) else sqlite.insert


def take_push(session: Session, *, account_id: int, day: str, cap: int) -> bool:
    """One more push for the person on their day, unless that reaches past the cap: an
    insert-or-conditional-increment in one statement, so concurrent pushes never pass
    it."""
    if cap <= 0:
        return False
    stmt = (
        _upsert(session)(InboxPushDay)
        .values(account_id=account_id, day=day, pushes=1)
        .on_conflict_do_update(
            index_elements=["account_id", "day"],
            set_={"pushes": InboxPushDay.pushes + 1},
            where=InboxPushDay.pushes < cap,
        )
        .returning(InboxPushDay.pushes)
    )
    return session.execute(stmt).first() is not None


def give_back_push(session: Session, *, account_id: int, day: str) -> None:
    session.execute(
        update(InboxPushDay)
        .where(
            InboxPushDay.account_id == account_id,
            InboxPushDay.day == day,
            InboxPushDay.pushes > 0,
        )
        .values(pushes=InboxPushDay.pushes - 1)
        .execution_options(synchronize_session=False)
    )


def pushes_on(session: Session, *, account_id: int, day: str) -> int:
    row = session.get(InboxPushDay, (account_id, day))
    return row.pushes if row is not None else 0


def inbox_preference(session: Session, account_id: int) -> InboxPreference | None:
    return session.get(InboxPreference, account_id)


def preferences_of_accounts(
    session: Session, account_ids: Sequence[int]
) -> dict[int, InboxPreference]:
    rows = session.scalars(
        select(InboxPreference).where(InboxPreference.account_id.in_(account_ids))
    )
    return {row.account_id: row for row in rows}


# -- readers of the outbox -----------------------------------------------------------


def has_events_after(session: Session, *, name: str, types: Sequence[str]) -> bool:
    """Whether the reader has anything to read, without taking its cursor: an idle
    runner's poll stays a read (on SQLite, it takes no write lock)."""
    after = select(OutboxCursor.last_event_id).where(OutboxCursor.name == name)
    stmt = select(Event.id).where(
        Event.id > func.coalesce(after.scalar_subquery(), 0), Event.type.in_(types)
    )
    return session.scalar(stmt.limit(1)) is not None


def lock_cursor(session: Session, *, name: str, now: datetime) -> int | None:
    """Take the reader's cursor for this transaction (created at 0 the first time); None
    when another runner holds it (PostgreSQL) — SQLite's write lock serialises runners."""
    session.execute(
        _upsert(session)(OutboxCursor)
        .values(name=name, last_event_id=0, updated_at=now)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    stmt = select(OutboxCursor.last_event_id).where(OutboxCursor.name == name)
    if _is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    else:
        # Rewriting the row takes SQLite's write lock before the read.
        session.execute(
            update(OutboxCursor).where(OutboxCursor.name == name).values(updated_at=now)
        )
    value = session.execute(stmt).scalar_one_or_none()
    return int(value) if value is not None else None


def move_cursor(session: Session, *, name: str, last_event_id: int, now: datetime) -> None:
    session.execute(
        update(OutboxCursor)
        .where(OutboxCursor.name == name)
        .values(last_event_id=last_event_id, updated_at=now)
    )


def events_after(
    session: Session, *, after_id: int, types: Sequence[str], limit: int
) -> Sequence[Row[int, str, str, int, datetime]]:
    """(id, type, subject_type, subject_id, created_at) of events after the cursor, in
    order."""
    stmt = (
        select(Event.id, Event.type, Event.subject_type, Event.subject_id, Event.created_at)
        .where(Event.id > after_id, Event.type.in_(types))
        .order_by(Event.id)
        .limit(limit)
    )
    return session.connection().execute(stmt).all()


def oldest_undispatched_at(session: Session) -> datetime | None:
    return session.scalar(select(func.min(Event.created_at)).where(~Event.dispatched))


def deliveries_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
    )
    return {str(status): int(n) for status, n in rows}


def deliveries_retrying(session: Session) -> int:
    """Pending deliveries that have already failed at least once."""
    return int(
        session.scalar(
            select(func.count()).where(
                WebhookDelivery.status == DeliveryStatus.PENDING, WebhookDelivery.attempts > 0
            )
        )
        or 0
    )


def erase_inbox_of(session: Session, account_id: int) -> None:
    """Every inbox message, the inbox choices and the push counts of one account."""
    for model in (InboxMessage, InboxPreference, InboxPushDay):
        session.execute(delete(model).where(model.account_id == account_id))
