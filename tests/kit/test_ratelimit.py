"""RateLimiter on in-process memory and on a real Redis."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    assert spent.reset_at > time.time()
    assert not limiter.test(key, "2/minute")


def test_a_new_window_allows_again(storage_url: str | None) -> None:
    limiter = RateLimiter(storage_url)
    key = _key()
    assert limiter.hit(key, "1/second")
    assert not limiter.hit(key, "1/second")
    time.sleep(1.05)
    assert limiter.hit(key, "1/second")


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
    time.sleep(0.05)  # the timer limits starts once has ended
    before = threading.active_count()
    stale = [_key() for _ in range(50)]
    for key in stale:
        assert limiter.hit(key, "5/second")
    assert threading.active_count() == before
    time.sleep(1.05)
    for _ in range(storage.PRUNE_EVERY):
        assert limiter.hit("busy", "1000000/minute")
    assert not any(key in k for key in stale for k in storage.storage)
    assert storage.get(next(iter(storage.expirations))) >= 1
