"""Streaming alerts into the review queue: a spike on an instance becomes one open case
with its evidence, and an event for webhooks. Runs off the hot path (the hot path hands
the alert to a background thread after answering)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from huzhu.risk import review_service
from huzhu.risk.scoring import SpikeAlert


def open_spike_case(session: Session, alert: SpikeAlert) -> int:
    """One open case per instance under watch (`open_key`), however often it spikes."""
    seen = alert.seen
    case = review_service.open_case(
        session,
        shop_id=alert.shop_id,
        kind="spike",
        source="inline.spike",
        subject_account_ids=[],
        summary=(
            f"{seen.instance_assists} assists on instance {alert.instance_id} within "
            f"{alert.window_seconds} s against {seen.instance_opens} share opens; new "
            f"assists are held for {alert.watch_seconds // 60} minutes"
        ),
        evidence={
            "instance_id": alert.instance_id,
            "campaign_id": alert.campaign_id,
            "detected_at": alert.at.isoformat(),
            "window_seconds": alert.window_seconds,
            "assists_in_window": seen.instance_assists,
            "share_opens_in_window": seen.instance_opens,
            "busiest_network": alert.network_hash,
            "network_assists_in_window": seen.net_assists,
            "watch_seconds": alert.watch_seconds,
        },
        instance_id=alert.instance_id,
        campaign_id=alert.campaign_id,
        open_key=f"spike:{alert.instance_id}",
    )
    return case.id
