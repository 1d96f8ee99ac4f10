"""Use cases of the WeChat channel: queue a copy of an inbox message, claim a due one,
send it outside any transaction, record the outcome (see __init__.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlalchemy.orm import Session

from huzhu.config import Settings, WechatTemplate
from huzhu.jobs.rules import backoff_seconds
from huzhu.kit import clock, i18n
from huzhu.notify import service as notify
from huzhu.wechat import rules
from huzhu.wechat import service as wechat
from huzhu.wechat.channel import repository as repo
from huzhu.wechat.channel.models import WechatMessage
from huzhu.wechat.errors import WechatApiError, WechatTransportError, WechatUnavailable
from huzhu.wechat.rules import MessageStatus

LEASE_SLACK_SECONDS = 30.0
SKIPPED: Literal[MessageStatus.SKIPPED] = MessageStatus.SKIPPED


def reaches(session: Session, account_id: int) -> bool:
    """Whether the person asked for WeChat messages (their inbox messages get a push)."""
    return wechat.notifications_enabled(session, account_id=account_id)


def queue_for_inbox_message(session: Session, message: notify.NewInboxMessage) -> bool:
    """The inbox channel (registered by huzhu/wiring.py): runs in the inbox's push job,
    after the person's quiet hours and within their daily cap. True when queued."""
    if not wechat.notifications_enabled(session, account_id=message.account_id):
        return False
    session.add(
        WechatMessage(
            inbox_message_id=message.message_id,
            account_id=message.account_id,
            status=MessageStatus.PENDING,
            attempts=0,
            next_attempt_at=message.created_at,
            created_at=message.created_at,
        )
    )
    session.flush()
    return True


@dataclass(frozen=True, slots=True)
class Work:
    message_id: int
    attempt: int
    openid: str
    template: WechatTemplate
    title: str
    body: str


@dataclass(frozen=True, slots=True)
class Outcome:
    error: str | None  # None: sent
    permanent: bool = False
    errcode: int | None = None


def claim_due(session: Session, settings: Settings) -> Work | Literal[MessageStatus.SKIPPED] | None:
    """The next message to send, SKIPPED if the one claimed cannot be sent (no template
    for its kind, or the person turned WeChat messages off), None when nothing is due."""
    now = clock.utcnow()
    lease = timedelta(seconds=settings.wechat.timeout_seconds * 2 + LEASE_SLACK_SECONDS)
    claimed = repo.claim_next_due(session, now=now, lease_until=now + lease)
    if claimed is None:
        return None
    inbox = notify.get_inbox_message(session, message_id=claimed.inbox_message_id)
    template = settings.wechat.templates.get(inbox.kind) if inbox is not None else None
    openid = wechat.recipient_openid(session, settings, account_id=claimed.account_id)
    if inbox is None or template is None or openid is None:
        reason = "no template for this kind" if template is None else "messages turned off"
        repo.settle(
            session,
            message_id=claimed.id,
            attempts=claimed.attempts,
            values={"status": SKIPPED, "last_error": reason, "next_attempt_at": None},
        )
        return SKIPPED
    # WeChat is read in Chinese: the message in the default language, in the site's zone.
    title, body = notify.render_inbox_message(
        session, settings, inbox, language=i18n.DEFAULT.code, time_zone=settings.web.time_zone
    )
    return Work(
        message_id=claimed.id,
        attempt=claimed.attempts,
        openid=openid,
        template=template,
        title=title,
        body=body,
    )


def send(wechat_adapter: wechat.Wechat, work: Work) -> Outcome:
    """Send outside any transaction. The adapter refreshes the token on 40001/42001."""
    try:
        wechat.send_subscribe_message(
            wechat_adapter,
            openid=work.openid,
            template=work.template,
            title=work.title,
            body=work.body,
        )
    except WechatApiError as exc:
        return Outcome(
            error=f"errcode {exc.errcode}",
            permanent=exc.errcode in rules.MESSAGE_PERMANENT_ERRORS,
            errcode=exc.errcode,
        )
    except (WechatTransportError, WechatUnavailable) as exc:
        return Outcome(error=type(exc).__name__)
    return Outcome(error=None)


def record(session: Session, settings: Settings, *, work: Work, outcome: Outcome) -> MessageStatus:
    """Settle the attempt: sent, failed for good, or due again after a backoff (longer
    when WeChat said busy or rate limited). Returns the new status."""
    now = clock.utcnow()
    values: dict[str, object] = {"last_error": outcome.error}
    if outcome.error is None:
        values.update(status=MessageStatus.SENT, sent_at=now, next_attempt_at=None)
    elif outcome.permanent or work.attempt >= settings.wechat.max_attempts:
        values.update(status=MessageStatus.FAILED, next_attempt_at=None)
    else:
        wait = backoff_seconds(
            work.attempt,
            base=settings.jobs.backoff_base_seconds,
            cap=settings.jobs.backoff_max_seconds,
        )
        if outcome.errcode in rules.BUSY_ERRORS:
            wait = max(wait, rules.busy_backoff_seconds(outcome.errcode or 0, work.attempt))
        values.update(next_attempt_at=now + timedelta(seconds=wait))
    repo.settle(session, message_id=work.message_id, attempts=work.attempt, values=values)
    session.flush()
    return MessageStatus(str(values.get("status", MessageStatus.PENDING)))


def erase_of(session: Session, *, shop_id: int, account_id: int) -> None:
    """At the person's deletion: WeChat messages stop (the sealed openid goes) and the
    queue's rows for their inbox go."""
    wechat.disable_notifications(session, shop_id=shop_id, account_id=account_id)
    repo.erase_of(session, account_id)
    session.flush()
