"""Pushes from the inbox to the real WeChat channel (sent to the local stand-in over
HTTP), on both backends: during the person's quiet hours a push waits, through the job
queue, until they end; past the daily cap of pushes nothing more goes out, while every
message still lands in the inbox the person reads over the API."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from huzhu.app import create_app
from huzhu.config import NotifySettings, Settings
from huzhu.invites import service as invites
from huzhu.jobs.models import Job
from huzhu.jobs.runner import JobRunner
from huzhu.kit import clock
from huzhu.notify import service as notify
from huzhu.notify.models import InboxMessage
from huzhu.wechat import service as wechat
from huzhu.wechat.channel.models import WechatMessage
from tests.factories import auth, make_participant
from tests.wechat.conftest import WechatEnv

OPENID = "o6_push_test_openid"


def _person(wx: WechatEnv, settings: Settings, *, quiet: tuple[str, str]) -> tuple[int, str]:
    """A participant who asked for WeChat messages, with these quiet hours (UTC)."""
    with wx.db.unit_of_work() as s:
        account_id, token = make_participant(s, settings, shop_id=wx.shop_id, name="pat")
        wechat.enable_notifications(
            s, settings, shop_id=wx.shop_id, account_id=account_id, openid=OPENID
        )
        invites.set_preferences(
            s,
            account_id=account_id,
            accept_from="contacts",
            kinds=None,
            quiet_start=quiet[0],
            quiet_end=quiet[1],
            time_zone="UTC",
            daily_max=3,
        )
    return account_id, token


def _send(wx: WechatEnv, account_id: int, n: int) -> int:
    params = {"campaign": "双十二", "prize": f"奖品{n}", "ticket": n}
    with wx.db.unit_of_work() as s:
        message = notify.send_inbox_message(
            s, account_id=account_id, kind=notify.Kind.DRAW_RESULT, params=params
        )
        assert message is not None
        return message.id


def _states(wx: WechatEnv) -> list[str]:
    with wx.db.unit_of_work() as s:
        return list(s.scalars(select(InboxMessage.push_state).order_by(InboxMessage.id)))


def _queued(wx: WechatEnv) -> int:
    with wx.db.unit_of_work() as s:
        return len(s.scalars(select(WechatMessage)).all())


def test_a_push_waits_for_the_end_of_quiet_hours(wx: WechatEnv) -> None:
    now = clock.utcnow()
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    account_id, _ = _person(wx, wx.settings, quiet=(start.strftime("%H:%M"), end.strftime("%H:%M")))
    runner = JobRunner(wx.db, wx.settings)
    _send(wx, account_id, 1)
    runner.run_due()
    assert _states(wx) == ["deferred"]
    assert _queued(wx) == 0
    with wx.db.unit_of_work() as s:
        waiting = s.scalars(select(Job).where(Job.status == "pending")).one()
        ends = end.replace(second=0, microsecond=0)
        assert clock.as_utc(waiting.run_at) == ends
    runner.run_due()  # not due before the quiet hours end
    assert _states(wx) == ["deferred"]
    clock.advance((ends - clock.utcnow()).total_seconds() + 1)
    runner.run_due()
    assert _states(wx) == ["pushed"]
    runner.run_periodic(force=True)
    (sent,) = wx.standin.sent
    assert sent["touser"] == OPENID
    assert sent["data"]["thing1"]["value"] == "你中奖了：奖品1"


def test_pushes_stop_at_the_daily_cap_and_the_inbox_keeps_every_message(
    wx: WechatEnv,
) -> None:
    settings = wx.settings.model_copy(update={"notify": NotifySettings(daily_pushes=3)})
    account_id, token = _person(wx, settings, quiet=("00:00", "00:00"))
    runner = JobRunner(wx.db, settings)
    for n in range(5):
        _send(wx, account_id, n)
    runner.run_due()
    assert _states(wx) == ["pushed"] * 3 + ["capped"] * 2
    runner.run_periodic(force=True)
    assert [m["data"]["thing1"]["value"] for m in wx.standin.sent] == [
        f"你中奖了：奖品{n}" for n in range(3)
    ]
    with wx.db.unit_of_work() as s:
        assert notify.pushes_today(s, settings, account_id=account_id) == 3
    app = create_app(settings)
    with TestClient(app) as client:
        resp = client.get("/api/v1/me/inbox", headers=auth(token))
        assert resp.status_code == 200, resp.text
        assert len(resp.json()["items"]) == 5
    # The next day of the person's zone starts a new count.
    clock.advance(24 * 3600)
    _send(wx, account_id, 5)
    runner.run_due()
    assert _states(wx)[-1] == "pushed"
