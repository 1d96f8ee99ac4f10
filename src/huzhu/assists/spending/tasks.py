"""The reminder summary on a schedule, off the request path.

Every runner calls `summaries.schedule` once a minute. For each frequency it plans the
shop calendar's last whole day or week at most once for all runners together (a
`summaries.plan` job whose dedupe key is the frequency and the period); the plan puts one
`summaries.send` job per person who did anything in that period. Sending is idempotent
on its own record — the inbox message's topic names the frequency and the period — so a
plan run again after its job row was purged sends nothing twice. A person who chose
another frequency, or had nothing happen, gets nothing: a reminder is a service, never
a nudge to come back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from huzhu.assists.spending import repository as repo
from huzhu.assists.spending import service
from huzhu.assists.spending.schemas import SummaryLength
from huzhu.config import Settings
from huzhu.jobs import service as jobs
from huzhu.jobs.registry import handler, periodic
from huzhu.kit import clock
from huzhu.notify import service as notify
from huzhu.notify.kinds import Kind, SummaryFrequency

SCHEDULE_CHECK_SECONDS = 60.0
LENGTHS: dict[SummaryFrequency, SummaryLength] = {
    SummaryFrequency.DAILY: "day",
    SummaryFrequency.WEEKLY: "week",
}


def summaries_on(settings: Settings) -> bool:
    chosen = settings.guardrails.summaries
    return settings.env != "test" if chosen is None else chosen


def topic_of(frequency: SummaryFrequency, until: datetime) -> str:
    return f"summary:{frequency.value}:{int(until.timestamp())}"


@periodic("summaries.schedule", every_seconds=SCHEDULE_CHECK_SECONDS)
def schedule(session: Session, settings: Settings) -> None:
    if not summaries_on(settings):
        return
    now = clock.utcnow()
    for frequency, length in LENGTHS.items():
        since, until = service.summary_period(settings, length=length, previous=True, now=now)
        jobs.enqueue(
            session,
            kind="summaries.plan",
            payload={
                "frequency": frequency.value,
                "since": since.isoformat(),
                "until": until.isoformat(),
            },
            dedupe_key=f"summaries.plan:{topic_of(frequency, until)}",
        )


@handler("summaries.plan")
def plan(session: Session, settings: Settings, payload: dict[str, Any]) -> None:
    since = datetime.fromisoformat(payload["since"])
    until = datetime.fromisoformat(payload["until"])
    frequency = SummaryFrequency(payload["frequency"])
    active = repo.accounts_active_between(session, since=since, until=until)
    due = set(
        notify.accounts_due(session, frequency=frequency.value, account_ids=[a for _, a in active])
    )
    for shop_id, account_id in active:
        if account_id not in due:
            continue
        jobs.enqueue(
            session,
            kind="summaries.send",
            payload={**payload, "shop_id": shop_id, "account_id": account_id},
            dedupe_key=f"summaries.send:{account_id}:{topic_of(frequency, until)}",
            max_attempts=3,
        )


@handler("summaries.send")
def send(session: Session, settings: Settings, payload: dict[str, Any]) -> None:
    account_id = int(payload["account_id"])
    frequency = SummaryFrequency(payload["frequency"])
    until = datetime.fromisoformat(payload["until"])
    if notify.summary_frequency(session, account_id=account_id) != frequency.value:
        return
    topic = topic_of(frequency, until)
    if notify.latest_on_topic(session, account_id=account_id, kind=Kind.REMINDER, topic=topic):
        return
    summary = service.summary_of(
        session,
        shop_id=int(payload["shop_id"]),
        account_id=account_id,
        since=datetime.fromisoformat(payload["since"]),
        until=until,
    )
    if summary.empty:
        return
    notify.send_inbox_message(
        session,
        account_id=account_id,
        kind=Kind.REMINDER,
        params={"frequency": frequency.value, **summary.model_dump(mode="json")},
        topic=topic,
    )
