"""Inbox messages reach WeChat through the outbox channel, never inline: queued in the
inbox message's transaction, sent by the runner's periodic task to the stand-in's
`message/subscribe/send` over real HTTP, retried with backoff, final on consent errors."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import huzhu.wechat.channel.tasks  # noqa: F401  (registers notify.wechat_deliver)
from huzhu.accounts import service as accounts
from huzhu.invites import service as invites
from huzhu.jobs.runner import JobRunner
from huzhu.kit import clock
from huzhu.notify import service as notify
from huzhu.wechat import rules
from huzhu.wechat import service as wechat
from huzhu.wechat.channel.models import WechatMessage
from tests.wechat.conftest import WechatEnv

OPENID = "o6_channel_test_openid"


@dataclass
class Channel:
    wx: WechatEnv
    runner: JobRunner
    account_id: int

    def inbox(
        self, kind: notify.Kind = notify.Kind.DRAW_RESULT, account_id: int | None = None
    ) -> int:
        """A message, and its push job run (the copy is queued by the push, which waits
        out quiet hours: the recipients here have none)."""
        params = {"campaign": "双十二助力抽奖", "prize": "一等奖", "ticket": 7}
        if kind is notify.Kind.ASSIST_VOIDED:
            params = {"count": 1, "reason": "fake", "free_slots": 1, "instance_kind": "unlock"}
        with self.wx.db.unit_of_work() as s:
            message = notify.send_inbox_message(
                s, account_id=account_id or self.account_id, kind=kind, params=params
            )
            assert message is not None
            message_id = message.id
        self.runner.run_due()
        return message_id

    def deliver(self) -> None:
        self.runner.run_periodic(force=True)

    def message(self) -> WechatMessage:
        with self.wx.db.unit_of_work() as s:
            row = s.scalars(select(WechatMessage).order_by(WechatMessage.id.desc())).first()
            assert row is not None
            s.expunge(row)
            return row


def _recipient(wx: WechatEnv, openid: str) -> int:
    """A participant who signed in through WeChat asking for messages (the route's path
    without the browser: the same service calls the callback makes)."""
    with wx.db.unit_of_work() as s:
        account = accounts.get_or_create_account(
            s,
            wx.settings,
            shop_id=wx.shop_id,
            provider=wechat.PROVIDER,
            subject=rules.wechat_subject(wx.standin.app_id, openid),
        )
        wechat.enable_notifications(
            s, wx.settings, shop_id=wx.shop_id, account_id=account.id, openid=openid
        )
        _no_quiet_hours(s, account.id)
        return account.id


def _no_quiet_hours(session: Session, account_id: int) -> None:
    """Pushes wait out quiet hours (22:00-08:00 by default); these tests send now."""
    invites.set_preferences(
        session,
        account_id=account_id,
        accept_from="contacts",
        kinds=None,
        quiet_start="00:00",
        quiet_end="00:00",
        time_zone="UTC",
        daily_max=3,
    )


@pytest.fixture
def channel(wx: WechatEnv) -> Channel:
    runner = JobRunner(wx.db, wx.settings)
    return Channel(wx=wx, runner=runner, account_id=_recipient(wx, OPENID))


def test_an_inbox_message_is_sent_as_a_subscription_message(channel: Channel) -> None:
    channel.inbox()
    assert channel.message().status == "pending"
    assert channel.wx.standin.sent == []  # nothing was sent inline
    channel.deliver()
    (sent,) = channel.wx.standin.sent
    assert sent["touser"] == OPENID
    assert sent["template_id"] == "TPL-won"
    assert sent["page"] == "pages/draw/index"
    assert sent["data"]["thing1"]["value"] == "你中奖了：一等奖"  # in Chinese, from params
    assert len(sent["data"]["thing2"]["value"]) == rules.THING_MAX_CHARS
    row = channel.message()
    assert row.status == "sent"
    assert row.attempts == 1
    channel.deliver()
    assert len(channel.wx.standin.sent) == 1  # sent once


def test_no_wechat_copy_for_people_who_did_not_ask(channel: Channel) -> None:
    with channel.wx.db.unit_of_work() as s:
        other = accounts.get_or_create_account(
            s, channel.wx.settings, shop_id=channel.wx.shop_id, provider="local", subject="bob"
        ).id
        _no_quiet_hours(s, other)
    channel.inbox(account_id=other)
    with channel.wx.db.unit_of_work() as s:
        assert s.scalars(select(WechatMessage)).all() == []


def test_a_kind_without_a_template_stays_in_the_inbox_only(channel: Channel) -> None:
    channel.inbox(kind=notify.Kind.ASSIST_VOIDED)
    channel.deliver()
    assert channel.message().status == "skipped"
    assert channel.wx.standin.sent == []


def test_turning_messages_off_stops_queued_ones(channel: Channel) -> None:
    channel.inbox()
    with channel.wx.db.unit_of_work() as s:
        wechat.disable_notifications(s, shop_id=channel.wx.shop_id, account_id=channel.account_id)
    channel.deliver()
    assert channel.message().status == "skipped"
    assert channel.wx.standin.sent == []


def test_an_expired_token_is_refreshed_once_and_the_message_still_goes(
    channel: Channel,
) -> None:
    channel.inbox()
    channel.deliver()
    channel.wx.standin.expire_tokens()
    channel.inbox()
    channel.inbox()
    channel.deliver()
    assert len(channel.wx.standin.sent) == 3
    assert channel.wx.standin.counters["cgi-bin/token"] == 2


def test_rate_limited_sends_wait_and_are_retried(channel: Channel) -> None:
    channel.wx.standin.fail("cgi-bin/message/subscribe/send", rules.RATE_LIMITED)
    channel.inbox()
    channel.deliver()
    row = channel.message()
    assert row.status == "pending"
    assert row.last_error == "errcode 45009"
    assert row.next_attempt_at is not None
    assert (row.next_attempt_at - clock.utcnow()).total_seconds() >= 29
    channel.deliver()
    assert channel.wx.standin.sent == []  # not due yet
    clock.advance(31)
    channel.deliver()
    assert channel.message().status == "sent"
    assert channel.message().attempts == 2


def test_a_person_without_consent_on_wechats_side_is_not_retried(channel: Channel) -> None:
    channel.wx.standin.refuse_openids.add(OPENID)
    channel.inbox()
    channel.deliver()
    row = channel.message()
    assert row.status == "failed"
    assert row.last_error == "errcode 43101"
    clock.advance(3600)
    channel.deliver()
    assert channel.wx.standin.counters["cgi-bin/message/subscribe/send"] == 1


def test_a_wechat_that_keeps_failing_is_given_up_after_max_attempts(channel: Channel) -> None:
    attempts = channel.wx.settings.wechat.max_attempts
    channel.wx.standin.fail("cgi-bin/message/subscribe/send", *([rules.SYSTEM_BUSY] * attempts))
    channel.inbox()
    for _ in range(attempts):
        channel.deliver()
        clock.advance(channel.wx.settings.jobs.backoff_max_seconds + 1)
    row = channel.message()
    assert row.status == "failed"
    assert row.attempts == attempts
    assert channel.wx.standin.sent == []
