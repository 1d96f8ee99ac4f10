"""The runners' periodic WeChat message delivery (see __init__.py).

Still named `notify.wechat_deliver`, as before the channel moved out of notify: the
name is what operators see in the runner's log when a poll fails."""

from __future__ import annotations

import time

from sqlalchemy.orm import Session, sessionmaker

from huzhu.config import Settings
from huzhu.jobs.registry import periodic
from huzhu.wechat import service as wechat
from huzhu.wechat.channel import service as channel

MESSAGES_PER_POLL = 50
BUDGET_SECONDS = 2.0  # past this the poll moves on, so due jobs are not starved


@periodic("notify.wechat_deliver")
def deliver(session: Session, settings: Settings) -> None:
    if not settings.wechat.enabled:
        return
    # The adapter's credential reads and refreshes commit on their own short sessions.
    sessions = sessionmaker(bind=session.get_bind(), expire_on_commit=False)
    started = time.monotonic()
    with wechat.adapter(settings, sessions) as w:
        for _ in range(MESSAGES_PER_POLL):
            if time.monotonic() - started > BUDGET_SECONDS:
                return
            work = channel.claim_due(session, settings)
            # The claim commits before WeChat is asked: no lock is held over the call.
            session.commit()
            if work is None:
                return
            if work == channel.SKIPPED:
                continue
            assert isinstance(work, channel.Work)
            outcome = channel.send(w, work)
            channel.record(session, settings, work=work, outcome=outcome)
            session.commit()
