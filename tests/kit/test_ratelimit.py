"""RateLimiter on in-process memory and on a real Redis."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huzhu.kit import clock
from huzhu.kit.ratelimit import FixedWindowMemory, RateLimiter
from tests.support.services import redis_url_or_skip


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def storage_url(request: pytest.FixtureRequest) -> str | None:
    return None if request.param == "memory" else redis_url_or_skip()


def _key() -> str:
    # Unique per test: the Redis database is shared with other test runs.
    return f"test:{uuid.uuid4().hex}"


def test_hits_up_to_the_rate_are_allowed_then_refused(storage_url: str | None) -> None:
    limiter = RateLimiter(storage_url)
    key = _key()
    assert [limiter.hit(key, "3/minute") for _ in range(5)] == [True, True, True, False, False]


def test_keys_are_counted_separately(storage_url: str | None) -> None:
    limiter = RateLimiter(storage_url)
    a, b = _key(), _key()
    assert limiter.hit(a, "1/minute")
    assert not limiter.hit(a, "1/minute")
    assert limiter.hit(b, "1/minute")


def test_window_tells_remaining_and_retry_after(storage_url: str | None) -> None:
    limiter = RateLimiter(storage_url)
    key = _key()
    limiter.hit(key, "2/minute")
    fresh = limiter.window(key, "2/minute")
    assert (fresh.remaining, fresh.retry_after) == (1, 0)
    limiter.hit(key, "2/minute")
    spent = limiter.window(key, "2/minute")
    assert spent.remaining == 0
    assert 1 <= spent.retry_after <= 60
    assert clock.time() < spent.reset_at <= clock.time() + 60
    assert not limiter.test(key, "2/minute")


# -- windows on the app clock (memory) and on the server's (Redis) --------------------------


def test_a_memory_window_ends_when_the_app_clock_passes_it() -> None:
    """The simulator plays a day in seconds by moving the app clock: a window must end
    by that clock, and its Retry-After be counted on it, or a simulated run counts all
    its days as one."""
    limiter, key = RateLimiter(), _key()
    assert [limiter.hit(key, "2/hour") for _ in range(3)] == [True, True, False]
    clock.advance(1800)
    half = limiter.window(key, "2/hour")
    assert 1799 <= half.retry_after <= 1800
    assert half.reset_at - clock.time() == pytest.approx(1800, abs=1)
    assert not limiter.hit(key, "2/hour")
    clock.advance(1800)
    assert limiter.hit(key, "2/hour")
    assert limiter.window(key, "2/hour").remaining == 1


def test_a_daily_cap_comes_back_after_a_simulated_day() -> None:
    limiter, key = RateLimiter(), _key()
    assert limiter.acquire(key, limit=1, per="day")
    assert not limiter.acquire(key, limit=1, per="day")
    clock.advance(6 * 3600)
    assert 18 * 3600 - 1 <= limiter.acquire_window(key, per="day").retry_after <= 18 * 3600
    clock.advance(18 * 3600 - 2)
    assert not limiter.acquire(key, limit=1, per="day")
    assert limiter.acquire_window(key, per="day").retry_after in (1, 2)
    clock.advance(2)
    assert limiter.acquire(key, limit=1, per="day")


def test_counts_from_a_future_the_clock_has_left_start_afresh() -> None:
    """A test or a simulation that moved the clock ahead resets it when it ends: what
    it counted up there is not this window's count."""
    limiter, key = RateLimiter(), _key()
    clock.advance(30 * 86400)
    assert limiter.hit(key, "1/hour")
    assert not limiter.hit(key, "1/hour")
    clock.reset()
    assert limiter.hit(key, "1/hour")
    assert not limiter.hit(key, "1/hour")


@pytest.mark.redis
def test_a_redis_window_keeps_the_servers_real_time() -> None:
    """On Redis a window is the key's TTL: moving the app clock does not end it, and its
    Retry-After is what the TTL has left (the simulator refuses Redis for this)."""
    limiter, key = RateLimiter(redis_url_or_skip()), _key()
    assert limiter.hit(key, "1/minute")
    clock.advance(3600)
    assert not limiter.hit(key, "1/minute")
    window = limiter.window(key, "1/minute")
    assert 1 <= window.retry_after <= 60
    assert clock.time() < window.reset_at <= clock.time() + 60


@pytest.mark.redis
def test_limiters_sharing_redis_share_one_count() -> None:
    """Two processes (here two limiters) behind a load balancer must not each allow the
    full rate: on Redis they count together."""
    url = redis_url_or_skip()
    first, second = RateLimiter(url), RateLimiter(url)
    key = _key()
    assert first.hit(key, "2/minute")
    assert second.hit(key, "2/minute")
    assert not first.hit(key, "2/minute")
    assert not second.hit(key, "2/minute")


# -- acquire / release: caps whose size changes, exact under concurrency --------------------


@given(
    ops=st.lists(
        st.one_of(st.tuples(st.just("acquire"), st.integers(0, 6)), st.just(("release", 0))),
        max_size=40,
    )
)
@settings(max_examples=60, deadline=None)
def test_acquire_grants_exactly_while_fewer_than_the_limit_are_held(
    ops: list[tuple[str, int]],
) -> None:
    """Model: a unit is granted iff fewer than `limit` are held, whatever the limit was
    before (a reputation may shrink it); a release gives one back."""
    limiter, key, held = RateLimiter(None), _key(), 0
    for op, limit in ops:
        if op == "acquire":
            granted = limiter.acquire(key, limit=limit, per="day")
            assert granted == (held < limit)
            held += granted
        elif held:
            limiter.release(key, per="day")
            held -= 1


def test_acquire_under_threads_grants_exactly_the_limit(storage_url: str | None) -> None:
    limiter, key = RateLimiter(storage_url), _key()
    barrier = threading.Barrier(40)

    def one(_: int) -> bool:
        barrier.wait()
        return limiter.acquire(key, limit=10, per="day")

    for _ in range(3):  # one window, three rounds: later rounds get nothing
        with ThreadPoolExecutor(max_workers=40) as pool:
            results = list(pool.map(one, range(40)))
        assert sum(results) == (10 if _ == 0 else 0)
    limiter.release(key, per="day")
    assert limiter.acquire(key, limit=10, per="day")
    assert not limiter.acquire(key, limit=10, per="day")


def test_memory_counters_start_no_threads_and_drop_expired_keys() -> None:
    """limits' own memory storage started a Timer thread on an increment whenever the
    last one had ended (a sweep of every key each time): ours starts none, and expired
    counters of keys nobody touches again are dropped every PRUNE_EVERY increments."""
    limiter = RateLimiter()
    storage = limiter._storage
    assert isinstance(storage, FixedWindowMemory)
    limiter.hit(_key(), "1/second")
    storage.timer.join()  # the timer limits starts once has ended
    before = threading.active_count()
    stale = [_key() for _ in range(50)]
    for key in stale:
        assert limiter.hit(key, "5/second")
    assert threading.active_count() == before
    clock.advance(1.05)
    for _ in range(storage.PRUNE_EVERY):
        assert limiter.hit("busy", "1000000/minute")
    assert not any(key in k for key in stale for k in storage.storage)
    assert storage.get(next(iter(storage.expirations))) >= 1
