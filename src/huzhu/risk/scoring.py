"""The inline scorer the assist hot path calls: hints from the request, one counter
round trip, the pure score, and — the first time an instance spikes (assists its opens
do not explain, or a burst from one network) — a watch on it and an alert for the review
queue; the first time a whole campaign spikes (once per watch
period), an alert only (see inline.py: a campaign's honest participants are not held).

`assess` never touches the database: the alert is handed to `on_spike`, which the hot
path runs after answering (a review case is an ordinary ORM write, off the hot path).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from huzhu.config import RiskSettings, Settings
from huzhu.risk.counters import Observation, RiskCounters, Windows, open_counters
from huzhu.risk.inline import (
    AssistContext,
    ClientHinter,
    ClientHints,
    CounterSnapshot,
    ScoringPolicy,
    group_signs,
    is_campaign_spike,
    is_fresh,
    is_network_burst,
    is_spike,
    score_assist,
)
from huzhu.risk.rules import COUNT, RiskDecision


@dataclass(frozen=True, slots=True)
class SpikeAlert:
    shop_id: int
    campaign_id: int
    instance_id: int
    at: datetime
    seen: CounterSnapshot
    window_seconds: int
    watch_seconds: int
    network_hash: str | None
    scope: str = "instance"  # "instance" (its new assists are held) | "campaign" (alert only)
    # The instance spiked because `network_hash` alone sent SPIKE_NETWORK_ASSISTS assists.
    network_burst: bool = False


OnSpike = Callable[[SpikeAlert], Awaitable[None]]


def policy_from(risk: RiskSettings) -> ScoringPolicy:
    names = {f.name for f in dataclasses.fields(ScoringPolicy)}
    return ScoringPolicy(**{name: getattr(risk, name) for name in names})


class InlineScorer:
    """One per process (the hot path holds it)."""

    def __init__(self, settings: Settings, counters: RiskCounters) -> None:
        self.enabled = settings.risk.inline_enabled
        self.policy = policy_from(settings.risk)
        self.watch_seconds = settings.risk.spike_watch_seconds
        self.window_seconds = settings.risk.spike_window_seconds
        ring = settings.security.hash_keyring()
        self.hinter = ClientHinter(ring.key)
        # While a hashing key is rotated (README: rotating the hashing key): the hints
        # under the previous key too, so the counters carry over what they remember.
        self.previous_hinter = ClientHinter(ring.previous[-1][1]) if ring.previous else None
        self.counters = counters

    @classmethod
    def open(cls, settings: Settings) -> InlineScorer:
        windows = Windows(
            spike_seconds=settings.risk.spike_window_seconds,
            open_seconds=settings.risk.open_memory_seconds,
            group_seconds=settings.risk.group_window_seconds,
            burst_seconds=settings.risk.burst_window_seconds,
            instant_seconds=settings.risk.min_open_seconds,
        )
        return cls(
            settings,
            open_counters(settings.redis.url, windows, key_prefix=settings.redis.key_prefix),
        )

    async def close(self) -> None:
        await self.counters.close()

    async def assess(
        self,
        *,
        shop_id: int,
        campaign_id: int,
        instance_id: int,
        helper_id: int,
        initiator_id: int,
        at: datetime,
        headers: Mapping[str, str],
        client_host: str | None,
        context: AssistContext,
        on_spike: OnSpike | None = None,
    ) -> RiskDecision:
        if not self.enabled:
            return COUNT
        hints = self.hinter.hints(headers, client_host)
        before = None
        if self.previous_hinter is not None:
            before = self.previous_hinter.hints(headers, client_host)
        seen = await self.counters.observe(
            Observation(  # positional: built for every assist (its fields in order)
                at.timestamp(),
                shop_id,
                instance_id,
                helper_id,
                initiator_id,
                hints.device_hash,
                hints.net_hash,
                campaign_id,
                context.share_link_id,
                context.share_open_id,
                before.device_hash if before is not None else None,
                before.net_hash if before is not None else None,
                is_fresh(self.policy, context),
            )
        )
        p = self.policy
        # Each spike rule's minimum first (inline): most assists come nowhere near one.
        if (
            seen.instance_assists >= p.spike_min_assists
            or seen.instance_net_assists >= p.spike_network_assists
        ) and not (seen.instance_watched or seen.instance_cleared):
            burst = is_network_burst(p, seen)
            if burst or is_spike(p, seen):
                started = await self.counters.watch_instance(
                    instance_id, seconds=self.watch_seconds
                )
                seen = dataclasses.replace(seen, instance_watched=True)
                if started and on_spike is not None:
                    await on_spike(
                        self._alert(shop_id, campaign_id, instance_id, at, seen, hints, burst)
                    )
        if (
            seen.campaign_assists >= p.campaign_spike_min_assists
            and not seen.campaign_alerted
            and is_campaign_spike(p, seen)
        ):
            started = await self.counters.alert_campaign(campaign_id, seconds=self.watch_seconds)
            if started and on_spike is not None:
                alert = self._alert(shop_id, campaign_id, instance_id, at, seen, hints)
                await on_spike(dataclasses.replace(alert, scope="campaign"))
        decision = score_assist(self.policy, context, hints, seen)
        if decision.decision != "count":
            # What a hold is bounded by (the hot path) and grouped under (its case).
            decision.network_hash = hints.net_hash
        signs = group_signs(p, context, seen)
        if signs and (hints.net_hash is not None or hints.device_hash is not None):
            # Kept on the assist, so that its group, held later, reaches back to it.
            if decision is COUNT:
                decision = RiskDecision("count", 0.0, [])
            decision.group_signs = signs
            decision.group_net_hash = hints.net_hash
            decision.group_device_hash = hints.device_hash
        return decision

    def _alert(
        self,
        shop_id: int,
        campaign_id: int,
        instance_id: int,
        at: datetime,
        seen: CounterSnapshot,
        hints: ClientHints,
        burst: bool = False,
    ) -> SpikeAlert:
        return SpikeAlert(
            shop_id=shop_id,
            campaign_id=campaign_id,
            instance_id=instance_id,
            at=at,
            seen=seen,
            window_seconds=self.window_seconds,
            watch_seconds=self.watch_seconds,
            network_hash=hints.net_hash,
            network_burst=burst,
        )

    async def share_opened(
        self,
        *,
        instance_id: int,
        at: datetime,
        campaign_id: int | None = None,
        link_id: int | None = None,
        open_id: int | None = None,
    ) -> None:
        """The share-open path tells the spike detector that real traffic arrived (on
        the instance and, when known, on its campaign), and the scorer when this open
        (and its link's latest) happened, for the time from open to assist."""
        if self.enabled:
            await self.counters.record_open(
                instance_id=instance_id,
                at=at.timestamp(),
                campaign_id=campaign_id,
                link_id=link_id,
                open_id=open_id,
            )

    async def lift_watch(self, instance_id: int) -> None:
        """An analyst dismissed the instance's spike: its new assists count again, and
        the same burst does not put it back under watch for a watch period."""
        await self.counters.clear_watch(instance_id, seconds=self.watch_seconds)
