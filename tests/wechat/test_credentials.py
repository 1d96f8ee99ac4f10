"""access_token and jsapi_ticket against the stand-in, over real HTTP: one refresh for a
crowd of callers, refresh ahead of expiry, retry once on 40001/42001, back off on 45009
and -1 — on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from huzhu.kit import clock
from huzhu.wechat import service
from huzhu.wechat.errors import WechatUnavailable
from huzhu.wechat.models import WechatCredential
from tests.wechat.conftest import WechatEnv

CALLERS = 12


def _crowd(wx: WechatEnv, fn: object, n: int = CALLERS) -> list[object]:
    def one(_: int) -> object:
        w = wx.adapter()
        try:
            return fn(w)  # type: ignore[operator]
        finally:
            w.close()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def _row(wx: WechatEnv, kind: str) -> WechatCredential:
    with wx.db.unit_of_work() as s:
        row = s.scalars(
            select(WechatCredential).where(WechatCredential.key == f"{wx.standin.app_id}:{kind}")
        ).one()
        s.expunge(row)
        return row


def test_a_crowd_of_callers_refreshes_the_token_exactly_once(wx: WechatEnv) -> None:
    wx.standin.token_delay = 0.3  # everyone arrives while the first refresh is in flight
    tokens = _crowd(wx, lambda w: service.credential(w, service.ACCESS_TOKEN))
    assert wx.standin.counters["cgi-bin/token"] == 1
    assert len(set(tokens)) == 1
    assert tokens[0] in wx.standin.tokens
    row = _row(wx, service.ACCESS_TOKEN)
    assert row.refresh_count == 1
    assert row.lease_until is None


def test_a_crowd_asking_for_the_ticket_gets_one_token_and_one_ticket(wx: WechatEnv) -> None:
    wx.standin.token_delay = 0.2
    tickets = _crowd(wx, lambda w: service.credential(w, service.JSAPI_TICKET))
    assert wx.standin.counters["cgi-bin/token"] == 1
    assert wx.standin.counters["cgi-bin/ticket/getticket"] == 1
    assert set(tickets) == {wx.standin.tickets[0]}


def test_the_token_is_refreshed_ahead_of_expiry_while_the_old_one_still_serves(
    wx: WechatEnv,
) -> None:
    w = wx.adapter()
    first = service.credential(w, service.ACCESS_TOKEN)
    clock.advance(7200 - wx.settings.wechat.refresh_ahead_seconds - 60)
    assert service.credential(w, service.ACCESS_TOKEN) == first  # not yet due
    assert wx.standin.counters["cgi-bin/token"] == 1
    clock.advance(120)  # inside the refresh-ahead window
    wx.standin.token_delay = 0.4
    # During the refresh the others keep serving the old, still valid token: no waiting.
    results = _crowd(wx, lambda w: service.credential(w, service.ACCESS_TOKEN), n=6)
    assert wx.standin.counters["cgi-bin/token"] == 2
    new = _row(wx, service.ACCESS_TOKEN).value
    assert new != first
    assert set(results) <= {first, new}
    assert new in results
    assert service.credential(w, service.ACCESS_TOKEN) == new
    w.close()


@pytest.mark.parametrize("server_side", ["expire_tokens", "revoke_tokens"])
def test_a_token_wechat_rejects_is_refreshed_once_and_the_call_retried(
    wx: WechatEnv, server_side: str
) -> None:
    w = wx.adapter()
    old = service.credential(w, service.ACCESS_TOKEN)
    getattr(wx.standin, server_side)()  # WeChat now answers 42001 / 40001 for it
    wx.standin.token_delay = 0.2

    def fetch_ticket(w: service.Wechat) -> str:
        got = service.with_access_token(w, lambda t: w.client.fetch_jsapi_ticket(access_token=t))
        return got.value

    tickets = _crowd(wx, fetch_ticket, n=8)
    assert len(tickets) == 8  # every caller succeeded after its one retry
    assert wx.standin.counters["cgi-bin/token"] == 2  # the first, and exactly one refresh
    assert _row(wx, service.ACCESS_TOKEN).value not in (None, old)
    w.close()


def test_a_retry_never_takes_the_rejected_token_back_from_the_process_cache(
    wx: WechatEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another thread that read the row before the rejected token was retired may put it
    back in the process cache just after; the retry must not take it from there."""
    w = wx.adapter()
    old = service.credential(w, service.ACCESS_TOKEN)
    wx.standin.expire_tokens()
    retire = service.repo.expire_if_current

    def retire_while_another_thread_remembers(session: Any, **kwargs: Any) -> None:
        retire(session, **kwargs)
        later = clock.utcnow() + timedelta(hours=2)
        service._remember(w, f"{w.app_id}:{service.ACCESS_TOKEN}", old, later)

    monkeypatch.setattr(service.repo, "expire_if_current", retire_while_another_thread_remembers)
    used: list[str] = []

    def fetch_ticket(token: str) -> str:
        used.append(token)
        return w.client.fetch_jsapi_ticket(access_token=token).value

    assert service.with_access_token(w, fetch_ticket) in wx.standin.tickets
    assert used[0] == old
    assert used[1] != old
    w.close()


def test_rate_limited_token_endpoint_holds_every_worker_off(wx: WechatEnv) -> None:
    wx.standin.fail("cgi-bin/token", 45009)
    w = wx.adapter()
    with pytest.raises(WechatUnavailable) as first:
        service.credential(w, service.ACCESS_TOKEN)
    assert first.value.extra["retry_after"] >= 30
    # Another caller, another worker: WeChat is not asked again while we are held off.
    with pytest.raises(WechatUnavailable):
        _crowd(wx, lambda w: service.credential(w, service.ACCESS_TOKEN), n=4)
    assert wx.standin.counters["cgi-bin/token"] == 1
    clock.advance(31)
    assert service.credential(w, service.ACCESS_TOKEN) in wx.standin.tokens
    assert wx.standin.counters["cgi-bin/token"] == 2
    row = _row(wx, service.ACCESS_TOKEN)
    assert row.failures == 0
    assert row.blocked_until is None
    w.close()


def test_busy_wechat_backs_off_briefly_then_doubles(wx: WechatEnv) -> None:
    wx.standin.fail("cgi-bin/token", -1, -1)
    w = wx.adapter()
    with pytest.raises(WechatUnavailable):
        service.credential(w, service.ACCESS_TOKEN)
    first_block = _row(wx, service.ACCESS_TOKEN).blocked_until
    assert first_block is not None
    assert first_block - clock.utcnow() <= timedelta(seconds=1)
    clock.advance(2)
    with pytest.raises(WechatUnavailable):
        service.credential(w, service.ACCESS_TOKEN)
    row = _row(wx, service.ACCESS_TOKEN)
    assert row.failures == 2
    assert row.blocked_until is not None
    assert row.blocked_until - clock.utcnow() > timedelta(seconds=1)  # doubled
    clock.advance(3)
    assert service.credential(w, service.ACCESS_TOKEN) in wx.standin.tokens
    w.close()


def test_a_wrong_secret_is_a_502_without_the_secret(wx: WechatEnv) -> None:
    wx.standin.app_secret = "rotated-on-the-platform"
    w = wx.adapter()
    with pytest.raises(WechatUnavailable) as err:
        service.credential(w, service.ACCESS_TOKEN)
    problem = err.value.to_problem()
    assert problem["status"] == 502
    assert problem["code"] == "wechat_unavailable"
    assert wx.settings.wechat.app_secret is not None
    assert wx.settings.wechat.app_secret.get_secret_value() not in str(problem)
    w.close()


def test_a_dead_wechat_is_a_502_not_a_hang(wx: WechatEnv) -> None:
    settings = wx.settings.model_copy(
        update={
            "wechat": wx.settings.wechat.model_copy(
                update={"api_base_url": "http://127.0.0.1:9", "timeout_seconds": 0.5}
            )
        }
    )
    w = service.Wechat(settings=settings, sessions=wx.db.sessionmaker)
    with pytest.raises(WechatUnavailable):
        service.credential(w, service.ACCESS_TOKEN)
    w.close()
