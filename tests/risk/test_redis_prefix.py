"""Two deployments sharing one Redis keep apart by their key prefix
(HUZHU_REDIS__KEY_PREFIX): one's watches on an instance and one's report limits are
not the other's, and every key Huzhu writes starts with its prefix."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis

from huzhu.risk.counters import open_counters
from huzhu.risk.review import service as review
from huzhu.risk.review.errors import ReportLimit
from tests.conftest import make_settings
from tests.support.services import redis_url_or_skip


def _prefixes() -> tuple[str, str]:
    run = uuid.uuid4().hex[:8]
    return f"shop-a-{run}", f"shop-b-{run}"


def test_risk_counters_of_two_deployments_do_not_mix() -> None:
    url = redis_url_or_skip()
    a, b = _prefixes()

    async def main() -> tuple[bool, bool, bool]:
        first, second = open_counters(url, key_prefix=a), open_counters(url, key_prefix=b)
        try:
            watched_by_a = await first.watch_instance(5, seconds=60)
            # Instance 5 of the other deployment is another instance: not under watch.
            watched_by_b = await second.watch_instance(5, seconds=60)
            again_by_a = await first.watch_instance(5, seconds=60)
            return watched_by_a, watched_by_b, again_by_a
        finally:
            await first.close()
            await second.close()

    assert asyncio.run(main()) == (True, True, False)
    keys = redis.Redis.from_url(url).keys(f"{a}*")
    assert keys
    assert all(k.decode().startswith(f"{a}:risk:") for k in keys)


@pytest.mark.parametrize("prefix_b_differs", [True, False])
def test_report_limits_are_per_deployment(prefix_b_differs: bool) -> None:
    url = redis_url_or_skip()
    a, b = _prefixes()
    limits = {"reports_per_day": 1}
    shop_a = make_settings("sqlite://", redis={"url": url, "key_prefix": a}, enforcement=limits)
    shop_b = make_settings(
        "sqlite://",
        redis={"url": url, "key_prefix": b if prefix_b_differs else a},
        enforcement=limits,
    )
    review._spend_report_allowance(shop_a, reporter_id=7)
    with pytest.raises(ReportLimit):
        review._spend_report_allowance(shop_a, reporter_id=7)
    if prefix_b_differs:
        # Reporter 7 of the other deployment has filed nothing yet.
        review._spend_report_allowance(shop_b, reporter_id=7)
    else:
        # The control: under the same prefix the two are one limit.
        with pytest.raises(ReportLimit):
            review._spend_report_allowance(shop_b, reporter_id=7)
