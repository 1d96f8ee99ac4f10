"""Campaign-wide spikes: a burst spread thinly over many instances of one campaign (each
below the instance rule) that the campaign's share opens do not explain raises one alert
per period — in memory and across workers in Redis — and opens one review case per
campaign with its evidence, without holding anyone's assists."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from huzhu.config import Settings
from huzhu.db import Database
from huzhu.risk import alerts
from huzhu.risk.counters import MemoryCounters, RedisCounters, RiskCounters, Windows
from huzhu.risk.inline import AssistContext
from huzhu.risk.review.models import ReviewCase
from huzhu.risk.scoring import InlineScorer, SpikeAlert
from tests.factories import make_shop
from tests.support.services import redis_url_or_skip

T0 = 1_800_000_000.0
CAMPAIGN_MIN = 12
FRIEND = {"user-agent": "Mozilla/5.0 MicroMessenger", "accept-language": "zh-CN"}


@pytest.fixture(params=["memory", "redis"])
def kind(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        redis_url_or_skip()
    return str(request.param)


def _counters(kind: str, settings: Settings) -> RiskCounters:
    windows = Windows(spike_seconds=settings.risk.spike_window_seconds)
    if kind == "memory":
        return MemoryCounters(windows)
    return RedisCounters.from_url(redis_url_or_skip(), windows, f"huzhu:test:{uuid.uuid4().hex}:")


def _settings() -> Settings:
    settings = Settings()
    settings.risk.inline_enabled = True
    settings.risk.spike_min_assists = 1000  # no instance is busy enough on its own
    settings.risk.campaign_spike_min_assists = CAMPAIGN_MIN
    settings.risk.campaign_spike_assists_per_open = 3.0
    return settings


def _run(kind: str, *, opens: int, assists: int) -> tuple[list[str], list[SpikeAlert]]:
    """`assists` assists from different helpers and networks, one per instance of
    campaign 2 (and the same number on campaign 7, to show campaigns are apart), after
    `opens` share opens of campaign 2's instances."""
    settings = _settings()
    found: list[SpikeAlert] = []

    async def on_spike(alert: SpikeAlert) -> None:
        found.append(alert)

    async def main() -> list[str]:
        scorer = InlineScorer(settings, _counters(kind, settings))
        try:
            for k in range(opens):
                await scorer.share_opened(
                    instance_id=1000 + k, at=datetime.fromtimestamp(T0, UTC), campaign_id=2
                )
            decisions = []
            for k in range(assists):
                for campaign in (2, 7) if k < CAMPAIGN_MIN - 1 else (2,):
                    decision = await scorer.assess(
                        shop_id=1,
                        campaign_id=campaign,
                        instance_id=campaign * 10_000 + k,
                        helper_id=100 + k,
                        initiator_id=50_000 + k,
                        at=datetime.fromtimestamp(T0 + k / 100, UTC),
                        headers=FRIEND,
                        client_host=f"198.51.{k}.1",
                        context=AssistContext(
                            account_age_seconds=1e7,
                            share_seen=True,
                            share_link_id=1,
                            share_open_id=1,
                        ),
                        on_spike=on_spike,
                    )
                    if campaign == 2:
                        decisions.append(decision.decision)
            return decisions
        finally:
            await scorer.close()

    return asyncio.run(main()), found


def test_a_thin_burst_over_a_campaign_raises_one_alert_and_holds_nobody(kind: str) -> None:
    decisions, found = _run(kind, opens=0, assists=CAMPAIGN_MIN + 8)
    assert decisions == ["count"] * (CAMPAIGN_MIN + 8)  # alert only: nobody waits
    assert len(found) == 1
    alert = found[0]
    assert (alert.scope, alert.campaign_id) == ("campaign", 2)
    assert alert.seen.campaign_assists == CAMPAIGN_MIN
    assert alert.seen.campaign_opens == 0
    assert alert.seen.instance_assists == 1  # each instance alone looks calm


def test_share_opens_of_the_campaign_explain_a_burst(kind: str) -> None:
    # 20 assists against 10 opens: under 3 per open, no alert.
    decisions, found = _run(kind, opens=10, assists=20)
    assert found == []
    assert set(decisions) == {"count"}


def test_one_case_per_campaign_with_its_evidence(database: Database, settings: Settings) -> None:
    _, found = _run("memory", opens=0, assists=CAMPAIGN_MIN)
    with database.unit_of_work() as s:
        shop_id = make_shop(s)
    alert = dataclasses.replace(found[0], shop_id=shop_id)
    with database.unit_of_work() as s:
        first = alerts.open_spike_case(s, alert)
        again = alerts.open_spike_case(s, alert)  # a later period joins the open case
    assert first == again
    with database.unit_of_work() as s:
        case = s.scalars(select(ReviewCase).where(ReviewCase.shop_id == shop_id)).one()
        assert (case.kind, case.open_key, case.campaign_id) == ("spike", "spike:campaign:2", 2)
        assert case.instance_id is None  # nothing on one instance is held or voided
        assert case.evidence["scope"] == "campaign"
        assert case.evidence["assists_in_window"] == CAMPAIGN_MIN
        assert case.evidence["share_opens_in_window"] == 0
        assert "not held" in case.summary
