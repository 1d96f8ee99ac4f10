"""The retention sweep: each class of data is kept for its setting (the README's
"Retention" table), then deleted, anonymised or folded into aggregates by the domain
that owns it. One sweep round takes at most `retention.batch_rows` rows of each class in
one transaction (privacy/tasks.py runs rounds as jobs until nothing expired is left), so
a long backlog never holds its locks for long."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from huzhu.accounts import retention as accounts
from huzhu.assists import retention as assists
from huzhu.config import Settings
from huzhu.idempotency import service as idempotency
from huzhu.invites import retention as invites
from huzhu.jobs import service as jobs
from huzhu.notify import retention as notify
from huzhu.payments import retention as payments
from huzhu.risk.review import retention as review
from huzhu.wechat.channel import retention as wechat_channel

# (session, cutoff, now, limit) -> rows handled
Sweep = Callable[[Session, datetime, datetime, int], int]


@dataclass(frozen=True, slots=True)
class DataClass:
    name: str
    keep: Callable[[Settings], timedelta]  # how long it is kept
    sweep: Sweep


def _days(name: str) -> Callable[[Settings], timedelta]:
    return lambda settings: timedelta(days=getattr(settings.retention, name))


def _by_cutoff(fn: Callable[..., int]) -> Sweep:
    """A domain's `fn(session, *, before, limit)` as a Sweep."""
    return lambda session, before, now, limit: fn(session, before=before, limit=limit)


def _inbox(session: Session, before: datetime, now: datetime, limit: int) -> int:
    ids = notify.expired_inbox_ids(session, before=before, limit=limit)
    wechat_channel.forget_copies(session, ids)  # the inbox's channels first: they point to it
    return notify.delete_inbox(session, ids)


def _evidence(session: Session, before: datetime, now: datetime, limit: int) -> int:
    return review.forget_evidence(session, before=before, now=now, limit=limit)


def _restrictions(session: Session, before: datetime, now: datetime, limit: int) -> int:
    return accounts.forget_ended_restrictions(session, now=now, limit=limit)


def _held_networks(session: Session, before: datetime, now: datetime, limit: int) -> int:
    # Kept for one window (the class's `keep`), so the window is now - before.
    window = int((now - before).total_seconds())
    return assists.forget_held_networks(session, now=now, window_seconds=window, limit=limit)


def _seconds(get: Callable[[Settings], int]) -> Callable[[Settings], timedelta]:
    return lambda settings: timedelta(seconds=get(settings))


# In order: deliveries before the events they name.
DATA_CLASSES: tuple[DataClass, ...] = (
    DataClass("share_opens", _days("share_opens_days"), _by_cutoff(invites.fold_share_opens)),
    DataClass("review_evidence", _days("review_evidence_days"), _evidence),
    DataClass("inbox", _days("inbox_days"), _inbox),
    DataClass(
        "webhook_deliveries",
        _days("webhook_deliveries_days"),
        _by_cutoff(notify.forget_deliveries),
    ),
    DataClass("events", _days("events_days"), _by_cutoff(notify.forget_events)),
    DataClass(
        "idempotency_records",
        _seconds(lambda settings: settings.idempotency.ttl_seconds),
        _by_cutoff(idempotency.purge_expired),
    ),
    DataClass(
        "done_jobs",
        _seconds(lambda settings: settings.jobs.keep_done_seconds),
        _by_cutoff(jobs.purge_finished),
    ),
    DataClass("money_records", _days("money_records_days"), _by_cutoff(payments.anonymise)),
    DataClass("orders", _days("money_records_days"), _by_cutoff(assists.detach_orders)),
    # Kept until its window ends: the window is the setting.
    DataClass(
        "held_networks",
        _seconds(lambda settings: settings.risk.held_network_window_seconds),
        _held_networks,
    ),
    # Kept while a group could still be held after them: the longest group window.
    DataClass(
        "burst_keys",
        _seconds(
            lambda settings: max(
                settings.risk.group_window_seconds,
                settings.risk.burst_window_seconds,
                settings.risk.spike_window_seconds,
            )
        ),
        _by_cutoff(assists.forget_burst_keys),
    ),
    # Kept exactly until the restriction ends: no setting.
    DataClass("carried_restrictions", lambda settings: timedelta(0), _restrictions),
)


def sweep_round(session: Session, settings: Settings, *, now: datetime) -> dict[str, int]:
    """One batch of every class: rows handled per class. A class that handled
    `retention.batch_rows` may have more left (`more_left`)."""
    limit = settings.retention.batch_rows
    return {c.name: c.sweep(session, now - c.keep(settings), now, limit) for c in DATA_CLASSES}


def more_left(settings: Settings, handled: dict[str, int]) -> bool:
    return any(n >= settings.retention.batch_rows for n in handled.values())
