"""The inbox's channels: what a registered channel is told, and when."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from huzhu.config import Settings
from huzhu.notify import service as notify
from tests.factories import make_participant, make_shop


def test_each_inbox_channel_is_told_of_a_message_in_the_push_jobs_session(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notify, "_INBOX_CHANNELS", {})
    monkeypatch.setattr(notify, "_PUSH_TIMING", {})  # no quiet hours, a UTC day
    heard: list[tuple[Session, notify.NewInboxMessage]] = []
    notify.register_inbox_channel("test", lambda s, new: heard.append((s, new)) is None)
    shop_id = make_shop(session)
    account_id, _ = make_participant(session, settings, shop_id=shop_id, name="ada")
    message = notify.send_inbox_message(
        session, account_id=account_id, kind=notify.Kind.REPORT_OUTCOME, params={}
    )
    assert message is not None
    assert heard == []  # not in the sender's transaction: the push job's
    assert message.push_state == "pending"
    pushed = notify.push_inbox_message(session, settings, message_id=message.id)
    assert pushed == "pushed"
    assert heard == [
        (
            session,
            notify.NewInboxMessage(
                message_id=message.id, account_id=account_id, created_at=message.created_at
            ),
        )
    ]


def test_a_second_channel_under_a_taken_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notify, "_INBOX_CHANNELS", {})

    def channel(session: Session, new: notify.NewInboxMessage) -> bool:
        return False

    notify.register_inbox_channel("test", channel)
    notify.register_inbox_channel("test", channel)  # the same one again: a no-op
    with pytest.raises(ValueError, match="registered twice"):
        notify.register_inbox_channel("test", lambda s, new: False)
    assert notify.inbox_channel_names() == ["test"]
