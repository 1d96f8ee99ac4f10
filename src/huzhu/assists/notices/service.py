"""Use cases of the activity notices (see __init__.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from huzhu.assists import service as assists
from huzhu.assists.errors import InstanceNotFound
from huzhu.assists.models import Instance
from huzhu.campaigns import service as campaigns
from huzhu.config import Settings
from huzhu.jobs import service as jobs
from huzhu.kit import clock
from huzhu.notify import service as notify

READER = "assists.notices"
COUNTED = "assist.counted"
SUCCEEDED = "instance.succeeded"
BATCH_JOB = "assists.tell_assists"
# A group-buy team's members are told by groupbuy/service.py as the team fills.
TOLD_ELSEWHERE = frozenset({"groupbuy"})


def tell_from_outbox(session: Session, settings: Settings) -> int:
    """Read the next counted assists and successes from the outbox and tell the starters;
    how many events were read (0 also when another runner is reading now)."""
    read = notify.read_outbox(
        session,
        reader=READER,
        types=(COUNTED, SUCCEEDED),
        limit=settings.notify.notices_per_poll,
    )
    if read is None:
        return 0
    events, last = read
    if not events:
        return 0
    helped = sorted({e.subject_id for e in events if e.type == COUNTED})
    succeeded = [e.subject_id for e in events if e.type == SUCCEEDED]
    for instance_id in helped:
        tell_assists_received(session, settings, instance_id=instance_id)
    for instance_id in succeeded:
        _tell_succeeded(session, instance_id=instance_id)
    notify.advance_outbox(session, reader=READER, last_event_id=last)
    return len(events)


def _instance(session: Session, instance_id: int) -> Instance | None:
    try:
        return assists.get_instance(session, instance_id)
    except InstanceNotFound:
        return None


def _iso(value: datetime) -> str:
    return clock.as_utc(value).isoformat()


def tell_assists_received(session: Session, settings: Settings, *, instance_id: int) -> None:
    """Bring the starter's "friends helped" message up to date with the ledger.

    One message per activity per `HUZHU_NOTIFY__ASSIST_BATCH_SECONDS` (an hour): while
    it is unread and its hour runs, its count is rewritten in place; once it is read, the
    assists after it wait for the next message, written when that hour ends (a job).
    Consecutive messages cover consecutive stretches of time, so every counted assist is
    in exactly one of them."""
    instance = _instance(session, instance_id)
    if instance is None:
        return
    # Only what has settled: an assist younger than this may still be committing.
    now = clock.utcnow() - timedelta(seconds=notify.OUTBOX_SETTLE_SECONDS)
    window = timedelta(seconds=settings.notify.assist_batch_seconds)
    topic = f"instance:{instance_id}"
    kind = notify.Kind.ASSIST_RECEIVED
    latest = notify.latest_on_topic(
        session, account_id=instance.initiator_id, kind=kind, topic=topic
    )
    if latest is not None and latest.params is not None:
        ends = clock.as_utc(latest.created_at) + window
        if now < ends:
            if latest.read_at is None and _update(session, latest.id, latest.params, now=now):
                return
            jobs.enqueue(
                session,
                kind=BATCH_JOB,
                payload={"instance_id": instance_id},
                run_at=ends,
                dedupe_key=f"{BATCH_JOB}:{latest.id}",
            )
            return
        since = datetime.fromisoformat(str(latest.params["until"]))
    else:
        since = clock.as_utc(instance.created_at) - timedelta(microseconds=1)
    count = assists.counted_between(session, instance_id=instance_id, after=since, until=now)
    if count == 0:
        return
    notify.send_inbox_message(
        session,
        account_id=instance.initiator_id,
        kind=kind,
        params={
            "instance_id": instance_id,
            "instance_kind": instance.kind,
            "campaign": campaigns.get_campaign(session, instance.campaign_id).name,
            "count": count,
            "since": _iso(since),
            "until": _iso(now),
        },
        topic=topic,
    )


def _update(session: Session, message_id: int, params: dict[str, Any], *, now: datetime) -> bool:
    """Recount the unread message's stretch up to now; False when it was read meanwhile."""
    since = datetime.fromisoformat(str(params["since"]))
    count = assists.counted_between(
        session, instance_id=int(params["instance_id"]), after=since, until=now
    )
    if count == params.get("count"):
        return True
    return notify.update_unread_message(
        session, message_id=message_id, params={**params, "count": count, "until": _iso(now)}
    )


def _tell_succeeded(session: Session, *, instance_id: int) -> None:
    """The starter's one message that their activity succeeded (once: a success undone by
    voiding and reached again is not told twice)."""
    instance = _instance(session, instance_id)
    if instance is None or instance.kind in TOLD_ELSEWHERE:
        return
    kind = notify.Kind.INSTANCE_SUCCEEDED
    topic = f"instance:{instance_id}"
    if notify.latest_on_topic(session, account_id=instance.initiator_id, kind=kind, topic=topic):
        return
    deadline = instance.purchase_deadline_at
    notify.send_inbox_message(
        session,
        account_id=instance.initiator_id,
        kind=kind,
        params={
            "instance_id": instance_id,
            "instance_kind": instance.kind,
            "campaign": campaigns.get_campaign(session, instance.campaign_id).name,
            "purchase_deadline_at": _iso(deadline) if deadline is not None else None,
        },
        topic=topic,
    )
