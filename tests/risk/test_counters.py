"""Behaviour counters: the in-process and the Redis store count the same things the same
way, Redis counts are shared by every worker, and windows forget."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import pytest
import redis.asyncio as aioredis
from hypothesis import given, settings
from hypothesis import strategies as st

from huzhu.config import Settings
from huzhu.kit import clock
from huzhu.risk.counters import (
    MAX_GROUP,
    MemoryCounters,
    Observation,
    RedisCounters,
    RiskCounters,
    Windows,
)
from huzhu.risk.inline import AssistContext, CounterSnapshot
from huzhu.risk.scoring import InlineScorer, SpikeAlert
from tests.support.services import redis_url_or_skip

T = TypeVar("T")
T0 = 1_800_000_000.0  # a bucket-aligned-enough start, far from any edge used below
WINDOWS = Windows(
    device_seconds=100, net_seconds=100, helper_seconds=100, spike_seconds=100, open_seconds=100
)


def _obs(at: float, *, helper: int, initiator: int, instance: int, device: str | None = "d1",
         net: str | None = "n1", shop: int = 1) -> Observation:  # fmt: skip
    return Observation(
        at=at,
        shop_id=shop,
        instance_id=instance,
        helper_id=helper,
        initiator_id=initiator,
        device_hash=device,
        net_hash=net,
    )


@pytest.fixture(params=["memory", "redis"])
def kind(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        redis_url_or_skip()
    return str(request.param)


def _with_counters(
    kind: str, body: Callable[[RiskCounters], Awaitable[T]], windows: Windows = WINDOWS
) -> T:
    """Run `body` against fresh counters in one event loop (the Redis client is bound to
    the loop it was made in), closing them after."""

    async def main() -> T:
        counters: RiskCounters
        if kind == "memory":
            counters = MemoryCounters(windows)
        else:
            # A key prefix per test keeps runs apart in the one Redis.
            prefix = f"huzhu:test:{uuid.uuid4().hex[:8]}:"
            counters = RedisCounters.from_url(redis_url_or_skip(), windows, prefix)
        try:
            return await body(counters)
        finally:
            await counters.close()

    return asyncio.run(main())


def test_counts_devices_networks_helpers_and_pairs(kind: str) -> None:
    async def body(counters: RiskCounters) -> list[CounterSnapshot]:
        seen = []
        for helper in (11, 12, 13, 11):
            seen.append(
                await counters.observe(_obs(T0 + 1, helper=helper, initiator=1, instance=5))
            )
        # Helper 1 now assists helper 11's instance: 11 had assisted 1 before.
        seen.append(await counters.observe(_obs(T0 + 2, helper=1, initiator=11, instance=6)))
        await counters.record_open(instance_id=5, at=T0 + 3)
        seen.append(await counters.observe(_obs(T0 + 4, helper=14, initiator=1, instance=5)))
        return seen

    seen = _with_counters(kind, body)
    assert [s.device_accounts for s in seen] == [1, 2, 3, 3, 4, 5]
    assert [s.net_assists for s in seen] == [1, 2, 3, 4, 5, 6]
    assert [s.helper_assists for s in seen] == [1, 1, 1, 2, 1, 1]
    assert [s.reciprocal for s in seen] == [False] * 4 + [True, False]
    assert [s.instance_assists for s in seen] == [1, 2, 3, 4, 1, 5]
    assert seen[-1].instance_opens == 1


def test_assists_are_counted_per_instance_and_network(kind: str) -> None:
    async def body(counters: RiskCounters) -> list[int]:
        plan = [(5, "n1"), (5, "n1"), (5, "n2"), (6, "n1"), (5, "n1"), (5, None)]
        seen = [await counters.observe(_obs(T0 + k, helper=10 + k, initiator=1, instance=i,
                                            net=net))
                for k, (i, net) in enumerate(plan)]  # fmt: skip
        later = await counters.observe(_obs(T0 + 250, helper=9, initiator=1, instance=5))
        return [s.instance_net_assists for s in seen] + [later.instance_net_assists]

    # Another network or another instance counts apart; no network counts nothing; the
    # spike window (100 s) forgets.
    assert _with_counters(kind, body) == [1, 2, 1, 1, 3, 0, 1]


def test_accounts_tapping_with_no_open_are_counted_per_campaign_by_network_and_device(
    kind: str,
) -> None:
    """Per campaign and network, and per campaign and device, over the last burst window
    (sliding): the accounts (an account twice counts once) whose assists came with no
    share, or a share whose link no one opened; never
    one that came through an open (its own, or its link's latest), nor one naming an
    open the counters do not know (no signal either way)."""
    windows = dataclasses.replace(WINDOWS, burst_seconds=100)

    async def body(counters: RiskCounters) -> list[tuple[int, int]]:
        await counters.record_open(instance_id=5, at=T0, campaign_id=4, link_id=8)

        async def tap(at: float, net: str, device: str, **share: int) -> tuple[int, int]:
            helper = share.pop("helper", int(at - T0))  # each tap its own account
            obs = _obs(at, helper=helper, initiator=1, instance=5, net=net,
                       device=device)  # fmt: skip
            campaign = share.pop("campaign", 4)
            seen = await counters.observe(dataclasses.replace(obs, campaign_id=campaign, **share))
            return seen.campaign_net_unopened, seen.campaign_device_unopened

        return [
            await tap(T0 + 1, "n1", "d1"),
            await tap(T0 + 2, "n1", "d2"),
            await tap(T0 + 3, "n1", "d1", share_link_id=7),  # a link nobody opened
            await tap(T0 + 4, "n1", "d1", share_link_id=8),  # through its link's open
            await tap(T0 + 5, "n1", "d1", share_link_id=8, share_open_id=99),  # unknown
            await tap(T0 + 6, "n1", "d1", campaign=6),  # another campaign
            await tap(T0 + 7, "n2", "d3"),  # another network and phone
            await tap(T0 + 60, "n1", "d1"),
            await tap(T0 + 150, "n1", "d1"),  # the last 100 s: those before T0 + 50 gone
            await tap(T0 + 250, "n1", "d9"),  # T0 + 150 is 100 s ago: gone
            await tap(T0 + 251, "n1", "d9", helper=250),  # the same account again
        ]

    seen = _with_counters(kind, body, windows)
    assert seen == [
        *[(1, 1), (2, 1), (3, 2), (0, 0), (0, 0), (1, 1), (1, 1)],
        *[(4, 3), (2, 2), (1, 1), (1, 1)],
    ]


def test_windows_forget(kind: str) -> None:
    async def body(counters: RiskCounters) -> CounterSnapshot:
        await counters.observe(_obs(T0, helper=1, initiator=2, instance=3))
        return await counters.observe(_obs(T0 + 250, helper=1, initiator=2, instance=3))

    later = _with_counters(kind, body)
    assert later.device_accounts == 1
    assert later.helper_assists == 1
    assert later.net_assists == 1
    assert later.instance_assists == 1


# (seconds after T0, instance, campaign, helper, network, an open rather than an assist)
CALL = st.tuples(
    st.floats(min_value=0, max_value=450, allow_nan=False),
    st.integers(1, 3),
    st.integers(0, 2),
    st.integers(1, 4),
    st.sampled_from(["n1", "n2", None]),
    st.booleans(),
)


class _WindowModel:
    """Fixed-window counts the plain way: every count ever made, by bucket, and the latest
    bucket seen — every call, assist or open, moves every window on, and a bucket before
    the one before the latest is dropped."""

    def __init__(self, window: int) -> None:
        self.window = window
        self.counts: dict[tuple[object, ...], int] = {}
        self.latest = self.bucket = -1

    def at(self, at: float) -> _WindowModel:
        self.bucket = int(at // self.window)
        self.latest = max(self.latest, self.bucket)
        return self

    def _kept(self, counter: str) -> bool:
        return self.bucket >= self.latest - 1

    def incr(self, counter: str, *key: object) -> int:
        if not self._kept(counter):
            return 1
        k = (self.bucket, counter, *key)
        self.counts[k] = self.counts.get(k, 0) + 1
        return self.counts[k]

    def get(self, counter: str, *key: object) -> int:
        return self.counts.get((self.bucket, counter, *key), 0) if self._kept(counter) else 0


@given(st.lists(CALL, max_size=40))
@settings(max_examples=200, deadline=None)
def test_memory_windows_count_like_a_plain_model(calls: list[tuple[object, ...]]) -> None:
    """Every fixed-window count (network, helper, instance, instance × network, campaign,
    and the opens) is the number of earlier calls in the same bucket, plus this one —
    where that bucket is the latest its window has seen or the one before it; a call
    later than that (its bucket already dropped) counts alone and is not kept. Every
    call, an assist or an open, moves every window on (the windows follow the clock)."""
    model = _WindowModel(window=100)  # WINDOWS: every window is 100 s

    async def body(counters: RiskCounters) -> None:
        for offset, instance, campaign, helper, net, is_open in calls:
            at = T0 + float(offset)  # type: ignore[arg-type]
            m = model.at(at)
            if is_open:
                await counters.record_open(instance_id=instance, at=at, campaign_id=campaign)
                m.incr("open", instance)
                if campaign:
                    m.incr("copen", campaign)
                continue
            obs = _obs(at, helper=helper, initiator=99, instance=instance, net=net)  # type: ignore[arg-type]
            seen = await counters.observe(dataclasses.replace(obs, campaign_id=campaign))
            assert seen.net_assists == (m.incr("net", net) if net else 0)
            assert seen.instance_net_assists == (m.incr("inet", instance, net) if net else 0)
            assert seen.helper_assists == m.incr("helper", helper)
            assert seen.instance_assists == m.incr("inst", instance)
            assert seen.campaign_assists == (m.incr("camp", campaign) if campaign else 0)
            assert seen.instance_opens == m.get("open", instance)
            assert seen.campaign_opens == m.get("copen", campaign)

    _with_counters("memory", body)


# (seconds since the call before, helper, initiator, device)
ASSIST = st.tuples(
    st.sampled_from([0.0, 1.0, 30.0, 60.0, 99.0, 100.0, 150.0, 250.0]),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 3),
)


@given(st.lists(ASSIST, max_size=40))
@settings(max_examples=200, deadline=None)
def test_memory_devices_and_pairs_remember_exactly_their_window(
    calls: list[tuple[float, int, int, int]],
) -> None:
    """A device's accounts are the helpers seen on it in the last device window, and an
    assist is reciprocal when its initiator assisted its helper in the last pair window —
    however the generations that hold them have turned (every window is 100 s here)."""
    history: list[tuple[float, int, int, int]] = []  # (at, helper, initiator, device)
    counters = MemoryCounters(dataclasses.replace(WINDOWS, pair_seconds=100))

    async def body() -> None:
        at = T0
        for gap, helper, initiator, device in calls:
            if helper == initiator:  # never scored: the hot path refuses a self-assist
                continue
            at += gap
            seen = await counters.observe(
                _obs(at, helper=helper, initiator=initiator, instance=1, device=f"d{device}")
            )
            history.append((at, helper, initiator, device))
            recent = [h for h in history if h[0] > at - 100]
            assert seen.device_accounts == len({h[1] for h in recent if h[3] == device})
            assert seen.reciprocal == any(h[1] == initiator and h[2] == helper for h in recent)

    asyncio.run(body())


def test_memory_devices_and_pairs_forget_what_their_windows_passed() -> None:
    """Devices and pairs are pruned from the front as their windows pass: what the
    counters hold stays within a window's worth, however long they run."""
    counters = MemoryCounters(dataclasses.replace(WINDOWS, pair_seconds=100))

    async def body() -> list[int]:
        held = []
        for k in range(6_000):  # 10 assists a second for 600 s: six windows of 100 s
            at = T0 + k / 10
            await counters.observe(_obs(at, helper=k, initiator=k + 1, instance=1, device=f"d{k}"))
            held.append(len(counters._pairs) + len(counters._devices))
        return held

    held = asyncio.run(body())
    # A window holds 1,000 new pairs and as many devices; pruning runs every PRUNE_EVERY.
    assert max(held) <= 2 * (1_000 + MemoryCounters.PRUNE_EVERY)
    assert held[-1] >= 2 * 1_000


def test_a_device_forgets_accounts_past_its_window(kind: str) -> None:
    async def body(counters: RiskCounters) -> list[int]:
        seen = [await counters.observe(_obs(T0 + k, helper=k, initiator=2, instance=3))
                for k in range(1, 4)]  # fmt: skip
        later = await counters.observe(_obs(T0 + 102.5, helper=9, initiator=2, instance=3))
        return [s.device_accounts for s in seen] + [later.device_accounts]

    # At T0+102.5 the window of 100 s still holds the account seen at T0+3 only.
    assert _with_counters(kind, body) == [1, 2, 3, 2]


def test_watch_starts_once(kind: str) -> None:
    async def body(counters: RiskCounters) -> list[bool]:
        return [await counters.watch_instance(9, seconds=60) for _ in range(3)]

    assert _with_counters(kind, body) == [True, False, False]


def test_a_watch_in_memory_ends_on_the_app_clock() -> None:
    """In process memory a watch, a clearance and an alert are timed on the app clock,
    as the observations are: moved past them (a test, the wargame's simulated day), they
    end, and a new burst can start a new watch."""

    async def body(counters: RiskCounters) -> list[object]:
        started = await counters.watch_instance(9, seconds=60)
        alerted = await counters.alert_campaign(4, seconds=60)
        during = await counters.observe(_obs(clock.time(), helper=1, initiator=2, instance=9))
        clock.advance(61)
        after = await counters.observe(_obs(clock.time(), helper=3, initiator=2, instance=9))
        again = await counters.watch_instance(9, seconds=60)
        realerted = await counters.alert_campaign(4, seconds=60)
        return [started, alerted, during.instance_watched, after.instance_watched, again,
                realerted]  # fmt: skip

    assert _with_counters("memory", body) == [True, True, True, False, True, True]


def test_taps_an_instant_after_their_open_count_toward_a_burst(kind: str) -> None:
    """A tap within `instant_seconds` of the open it came through (named, or its link's
    latest) counts toward the campaign's burst like a tap with no open: a script that
    loads the page and taps as it answers. A tap read for longer is no burst, and an
    open named but forgotten is no signal either way."""
    windows = dataclasses.replace(WINDOWS, burst_seconds=100, instant_seconds=2.0)

    async def body(counters: RiskCounters) -> list[tuple[int, int]]:
        async def tap(at: float, helper: int, **share: int) -> tuple[int, int]:
            obs = _obs(at, helper=helper, initiator=1, instance=5, net="n1", device="d1")
            seen = await counters.observe(dataclasses.replace(obs, campaign_id=4, **share))
            return seen.campaign_net_unopened, seen.campaign_device_unopened

        await counters.record_open(instance_id=5, at=T0, campaign_id=4, link_id=7, open_id=70)
        first = await tap(T0 + 1, 11, share_link_id=7, share_open_id=70)  # 1 s: instant
        await counters.record_open(instance_id=5, at=T0 + 10, campaign_id=4, link_id=7)
        second = await tap(T0 + 11.5, 12, share_link_id=7)  # the link's latest, 1.5 s
        await counters.record_open(instance_id=5, at=T0 + 20, campaign_id=4, link_id=7)
        read = await tap(T0 + 25, 13, share_link_id=7)  # read for 5 s
        forgotten = await tap(T0 + 26, 14, share_link_id=7, share_open_id=99)
        return [first, second, read, forgotten]

    assert _with_counters(kind, body, windows) == [(1, 1), (2, 2), (0, 0), (0, 0)]


def test_opens_time_the_assists_that_come_through_them(kind: str) -> None:
    async def body(counters: RiskCounters) -> list[float | None]:
        await counters.record_open(instance_id=5, at=T0, link_id=7, open_id=70)
        await counters.record_open(instance_id=5, at=T0 + 30, link_id=7, open_id=71)

        async def through(
            at: float, *, link: int | None = 7, opened: int | None = None
        ) -> float | None:
            obs = _obs(at, helper=11, initiator=1, instance=5)
            seen = await counters.observe(
                dataclasses.replace(obs, share_link_id=link, share_open_id=opened)
            )
            return seen.seconds_since_open

        return [
            await through(T0 + 40, opened=70),  # its own open
            await through(T0 + 40),  # no open named: the link's latest
            await through(T0 + 40, opened=99),  # an open nobody told the counters of
            await through(T0 + 40, link=8),  # a link never opened
            await through(T0 + 40, link=None),  # no share at all
            await through(T0 + 131, opened=71),  # past the open memory (100 s)
        ]

    assert _with_counters(kind, body) == [40.0, 10.0, None, None, None, None]


def test_a_cleared_watch_is_lifted_and_not_started_again(kind: str) -> None:
    async def body(counters: RiskCounters) -> list[object]:
        now = clock.time()  # watches run on the app clock (on Redis, its keys' lifetimes)
        started = await counters.watch_instance(9, seconds=60)
        watched = await counters.observe(_obs(now, helper=1, initiator=2, instance=9))
        await counters.clear_watch(9, seconds=60)
        cleared = await counters.observe(_obs(now + 1, helper=3, initiator=2, instance=9))
        again = await counters.watch_instance(9, seconds=60)
        other = await counters.observe(_obs(now + 1, helper=3, initiator=2, instance=10))
        return [
            started,
            (watched.instance_watched, watched.instance_cleared),
            (cleared.instance_watched, cleared.instance_cleared),
            again,
            (other.instance_watched, other.instance_cleared),
        ]

    assert _with_counters(kind, body) == [
        True,
        (True, False),
        (False, True),
        False,
        (False, False),
    ]


def test_two_workers_share_redis_counts() -> None:
    url = redis_url_or_skip()
    prefix = f"huzhu:test:{uuid.uuid4().hex[:8]}:"
    a, b = (
        RedisCounters.from_url(url, WINDOWS, prefix),
        RedisCounters.from_url(url, WINDOWS, prefix),
    )

    async def run() -> int:
        await a.observe(_obs(T0, helper=1, initiator=2, instance=3))
        seen = await b.observe(_obs(T0, helper=4, initiator=2, instance=3))
        await a.close()
        await b.close()
        return seen.instance_assists

    assert asyncio.run(run()) == 2


def test_what_one_worker_records_or_lifts_every_worker_sees() -> None:
    """An open recorded by the worker that served it times the assist another worker
    serves; a watch one worker lifted (the dismissal was served there) is lifted for all."""
    url = redis_url_or_skip()
    prefix = f"huzhu:test:{uuid.uuid4().hex[:8]}:"
    a, b = (
        RedisCounters.from_url(url, WINDOWS, prefix),
        RedisCounters.from_url(url, WINDOWS, prefix),
    )

    async def run() -> list[object]:
        now = time.time()
        await a.record_open(instance_id=3, at=now, link_id=7, open_id=70)
        await a.watch_instance(3, seconds=60)
        obs = dataclasses.replace(
            _obs(now + 2, helper=4, initiator=2, instance=3), share_link_id=7, share_open_id=70
        )
        watched = await b.observe(obs)
        await a.clear_watch(3, seconds=60)
        lifted = await b.observe(dataclasses.replace(obs, helper_id=5))
        again = await b.watch_instance(3, seconds=60)
        await a.close()
        await b.close()
        return [
            watched.seconds_since_open,
            watched.instance_watched,
            (lifted.instance_watched, lifted.instance_cleared),
            again,
        ]

    assert asyncio.run(run()) == [2.0, True, (False, True), False]


class SpikyScorer:
    """A scorer whose spike rule fires at the 5th assist on an instance, with the alerts
    it raised; every assist comes from a genuine-looking friend."""

    def __init__(self, counters: MemoryCounters) -> None:
        settings = Settings()
        settings.risk.inline_enabled = True  # the suite turns it off (tests/conftest.py)
        settings.risk.spike_min_assists = 5
        self.scorer = InlineScorer(settings, counters)
        self.alerts: list[SpikeAlert] = []

    async def _on_spike(self, alert: SpikeAlert) -> None:
        self.alerts.append(alert)

    async def assess(
        self, helper: int, at: datetime, *, instance: int = 3, host: str | None = None
    ) -> str:
        decision = await self.scorer.assess(
            shop_id=1,
            campaign_id=2,
            instance_id=instance,
            helper_id=helper,
            initiator_id=1,
            at=at,
            headers={"user-agent": "Mozilla/5.0", "accept-language": "zh-CN"},
            client_host=host or f"198.51.{helper}.1",
            context=AssistContext(
                account_age_seconds=1e7, share_seen=True, share_link_id=1, share_open_id=1
            ),
            on_spike=self._on_spike,
        )
        return decision.decision


def test_a_spike_raises_one_alert_and_holds_what_follows() -> None:
    spiky = SpikyScorer(MemoryCounters(Windows(spike_seconds=300)))

    async def run() -> list[str]:
        return [
            await spiky.assess(helper, datetime.fromtimestamp(T0 + helper / 1000, UTC))
            for helper in range(100, 110)
        ]

    assert asyncio.run(run()) == ["count"] * 4 + ["hold"] * 6
    assert len(spiky.alerts) == 1
    assert spiky.alerts[0].seen.instance_assists == 5
    assert spiky.alerts[0].seen.instance_opens == 0
    assert not spiky.alerts[0].network_burst


def test_a_burst_from_one_network_raises_one_alert_saying_so() -> None:
    """Ten assists on one instance, every one after its own open (the opens rule, at
    5 assists, sees 1 per open): the network rule fires at the 4th from one /24, an
    assist from another network after it is held too, and assists from many networks on
    another instance are not."""
    spiky = SpikyScorer(MemoryCounters(Windows(spike_seconds=300)))
    spiky.scorer.policy = dataclasses.replace(spiky.scorer.policy, spike_network_assists=4)

    # Watches run on the wall clock: start at its spike bucket's edge (all in one bucket).
    start = time.time() // 300 * 300

    async def run() -> tuple[list[str], list[str]]:
        farm, crowd = [], []
        for k in range(6):
            at = datetime.fromtimestamp(start + k, UTC)
            for instance, host, out in ((3, f"203.0.113.{k}", farm), (4, f"198.51.{k}.1", crowd)):
                await spiky.scorer.share_opened(instance_id=instance, at=at)
                out.append(await spiky.assess(100 + k, at, instance=instance, host=host))
        late = datetime.fromtimestamp(start + 7, UTC)
        farm.append(await spiky.assess(200, late, instance=3, host="192.0.2.1"))
        return farm, crowd

    farm, crowd = asyncio.run(run())
    assert farm == ["count"] * 3 + ["hold"] * 4
    assert crowd == ["count"] * 6
    assert len(spiky.alerts) == 1
    alert = spiky.alerts[0]
    assert (alert.instance_id, alert.network_burst) == (3, True)
    assert alert.seen.instance_net_assists == 4
    assert alert.seen.instance_opens == 4
    assert alert.network_hash == spiky.scorer.hinter.hints({}, "203.0.113.77").net_hash


def test_a_lifted_watch_lets_the_same_burst_count_without_a_new_alert() -> None:
    spiky = SpikyScorer(MemoryCounters(Windows()))

    async def run() -> tuple[list[str], list[str]]:
        # The watch runs on the wall clock: so do these assists.
        before = [await spiky.assess(h, datetime.now(UTC)) for h in range(100, 107)]
        await spiky.scorer.lift_watch(3)
        after = [await spiky.assess(h, datetime.now(UTC)) for h in range(200, 210)]
        return before, after

    before, after = asyncio.run(run())
    assert before == ["count"] * 4 + ["hold"] * 3
    assert after == ["count"] * 10  # still a burst by the counts, but judged genuine
    assert len(spiky.alerts) == 1


def test_assists_observed_together_each_get_their_own_count(kind: str) -> None:
    """Three hundred assists on one instance in one turn of the loop (on Redis: three
    script calls of up to MAX_GROUP observations, in one write): each sees a different
    count, none is lost or counted twice, and they are observed in the order they came."""
    n = 300
    assert n > 2 * MAX_GROUP

    async def body(c: RiskCounters) -> list[CounterSnapshot]:
        return list(
            await asyncio.gather(
                *(c.observe(_obs(T0, helper=100 + i, initiator=1, instance=9)) for i in range(n))
            )
        )

    seen = _with_counters(kind, body)
    assert [s.instance_assists for s in seen] == list(range(1, n + 1))
    assert [s.device_accounts for s in seen] == list(range(1, n + 1))


@pytest.mark.redis
def test_a_redis_that_forgot_the_script_counts_each_assist_once() -> None:
    """When Redis no longer holds the script (restarted, or SCRIPT FLUSH) the calls that
    found none ran nothing: they are sent again after loading it, and only they. Redis is
    made to answer NOSCRIPT by a hash it never loaded, not by flushing the Redis other
    tests share."""

    async def body(c: RiskCounters) -> tuple[list[int], list[int]]:
        assert isinstance(c, RedisCounters)
        before = [
            s.instance_assists
            for s in await asyncio.gather(
                *(c.observe(_obs(T0, helper=i, initiator=1, instance=4)) for i in range(5))
            )
        ]
        c._sha = "0" * 40  # what a Redis that forgot every script answers: NOSCRIPT
        after = [
            s.instance_assists
            for s in await asyncio.gather(
                *(c.observe(_obs(T0, helper=10 + i, initiator=1, instance=4)) for i in range(5))
            )
        ]
        return before, after

    before, after = _with_counters("redis", body)
    assert sorted(before) == [1, 2, 3, 4, 5]
    assert sorted(after) == [6, 7, 8, 9, 10]


@pytest.mark.redis
def test_counts_go_on_after_redis_drops_the_connection() -> None:
    """Redis closing the counters' connection (a restart, an idle timeout) costs no
    assist its snapshot: the next calls go out on a fresh connection."""

    async def body(c: RiskCounters) -> list[int]:
        assert isinstance(c, RedisCounters)
        first = await c.observe(_obs(T0, helper=1, initiator=1, instance=6))
        ours = await c.r.client_id()  # the pool's one connection, which observe used
        killer = aioredis.Redis.from_url(redis_url_or_skip())
        assert await killer.client_kill_filter(_id=ours) == 1
        await killer.aclose()
        later = await asyncio.gather(
            *(c.observe(_obs(T0, helper=2 + i, initiator=1, instance=6)) for i in range(3))
        )
        return [first.instance_assists, *sorted(s.instance_assists for s in later)]

    assert _with_counters("redis", body) == [1, 2, 3, 4]
