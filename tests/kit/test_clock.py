"""The app clock: `time()` and `utcnow()` read one offset, which `advance` moves."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from huzhu.kit import clock

DAYS_3 = 3 * 86400 + 0.5
MICROSECOND = 1e-6  # utcnow's resolution


def test_time_and_utcnow_are_the_same_moment_and_advance_moves_both() -> None:
    before = time.time()
    clock.advance(DAYS_3)
    seconds, moment = clock.time(), clock.utcnow()
    after = time.time()
    assert before + DAYS_3 <= seconds <= after + DAYS_3
    assert seconds - MICROSECOND <= moment.timestamp() <= after + DAYS_3 + MICROSECOND
    assert moment.utcoffset() == timedelta(0)


def test_reset_brings_both_back_to_real_time() -> None:
    clock.advance(86400)
    clock.reset()
    before = time.time()
    seconds, moment = clock.time(), clock.utcnow()
    after = time.time()
    assert before <= seconds <= after
    assert moment.timestamp() == pytest.approx(seconds, abs=after - before + MICROSECOND)
