"""The inbox's channels: what a registered channel is told, and when."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from huzhu.config import Settings
from huzhu.notify import service as notify
from tests.factories import make_participant, make_shop


def test_each_inbox_channel_is_told_of_a_new_message_in_the_senders_session(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notify, "_INBOX_CHANNELS", {})
    heard: list[tuple[Session, notify.NewInboxMessage]] = []
    notify.register_inbox_channel("test", lambda s, new: heard.append((s, new)))
    shop_id = make_shop(session)
    account_id, _ = make_participant(session, settings, shop_id=shop_id, name="ada")
    message = notify.send_inbox_message(
        session, account_id=account_id, kind="assist.voided", title="t", body="b"
    )
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

    def channel(session: Session, new: notify.NewInboxMessage) -> None:
        return None

    notify.register_inbox_channel("test", channel)
    notify.register_inbox_channel("test", channel)  # the same one again: a no-op
    with pytest.raises(ValueError, match="registered twice"):
        notify.register_inbox_channel("test", lambda s, new: None)
    assert notify.inbox_channel_names() == ["test"]
