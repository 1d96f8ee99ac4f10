"""Streaming alerts into the review queue: a spike on an instance (or on a whole
campaign) becomes one open case with its evidence, and an event for webhooks; so does
an assist the score held (one case per instance), and the assists of one network's
group of one-shot accounts (one case per campaign and network, whatever the
instances). Runs off the hot path (the hot path hands the alert to a background thread
after answering)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from huzhu.kit.i18n import N_, stored_words
from huzhu.risk.inline import BURST_GROUP_RULE
from huzhu.risk.reach import GroupHold, Reach, reach_back
from huzhu.risk.review import service as review_service
from huzhu.risk.review.rules import CaseKind, group_rules
from huzhu.risk.scoring import SpikeAlert


def open_spike_case(session: Session, alert: SpikeAlert) -> int:
    """One open case per instance under watch (`open_key`), however often it spikes;
    one per campaign for a campaign-wide spike."""
    if alert.scope == "campaign":
        return _open_campaign_case(session, alert)
    seen = alert.seen
    trigger: dict[str, object] = {"trigger": "assists_per_open"}
    counts = {
        "instance": alert.instance_id,
        "assists": seen.instance_assists,
        "opens": seen.instance_opens,
        "window": alert.window_seconds,
        "minutes": alert.watch_seconds // 60,
    }
    summary, words = stored_words(
        N_(
            "%(assists)s assists on instance %(instance)s within %(window)s s against "
            "%(opens)s share opens; new assists are held for %(minutes)s minutes"
        ),
        **counts,
    )
    if alert.network_burst:
        trigger = {
            "trigger": "network_burst",
            "network_hash": alert.network_hash,
            "network_assists_on_instance_in_window": seen.instance_net_assists,
        }
        summary, words = stored_words(
            N_(
                "a burst from one network: %(burst)s assists on instance %(instance)s from "
                "network %(network)s within %(window)s s (%(assists)s in all, %(opens)s "
                "share opens); new assists are held for %(minutes)s minutes"
            ),
            burst=seen.instance_net_assists,
            network=alert.network_hash,
            **counts,
        )
    case = review_service.open_case(
        session,
        shop_id=alert.shop_id,
        kind=CaseKind.SPIKE,
        source="inline.spike",
        subject_account_ids=[],
        summary=summary,
        evidence={
            **trigger,
            **words,
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


def _open_campaign_case(session: Session, alert: SpikeAlert) -> int:
    """A campaign-wide spike: an alert with its evidence, nothing held (a reviewer who
    confirms it looks for the ring with `huzhu detect run --campaign`)."""
    seen = alert.seen
    summary, words = stored_words(
        N_(
            "%(assists)s assists on campaign %(campaign)s within %(window)s s against "
            "%(opens)s share opens; assists are not held (alert only)"
        ),
        assists=seen.campaign_assists,
        campaign=alert.campaign_id,
        window=alert.window_seconds,
        opens=seen.campaign_opens,
    )
    case = review_service.open_case(
        session,
        shop_id=alert.shop_id,
        kind=CaseKind.SPIKE,
        source="inline.campaign_spike",
        subject_account_ids=[],
        summary=summary,
        evidence={
            **words,
            "scope": "campaign",
            "campaign_id": alert.campaign_id,
            "detected_at": alert.at.isoformat(),
            "window_seconds": alert.window_seconds,
            "assists_in_window": seen.campaign_assists,
            "share_opens_in_window": seen.campaign_opens,
            "latest_instance_id": alert.instance_id,
            "latest_instance_assists_in_window": seen.instance_assists,
            "busiest_network": alert.network_hash,
            "network_assists_in_window": seen.net_assists,
            "alert_period_seconds": alert.watch_seconds,
        },
        campaign_id=alert.campaign_id,
        open_key=f"spike:campaign:{alert.campaign_id}",
    )
    return case.id


@dataclass(frozen=True, slots=True)
class HoldAlert:
    """An assist the inline score held: it waits, uncounted, for an analyst."""

    shop_id: int
    campaign_id: int
    instance_id: int
    assist_id: int
    helper_id: int
    score: float
    reasons: list[str]
    at: datetime
    network_hash: str | None = None  # the keyed hash of the client's /24 (/48)
    device_hash: str | None = None  # the keyed hash of its device id


def open_hold_case(session: Session, alert: HoldAlert) -> int:
    """One open `inline_hold` case per instance: later holds on it join that case (their
    assist, score and reasons under "updates"). Dismissing it counts what is held;
    confirming voids it (risk/rings.py)."""
    # The reasons stay codes in the evidence: the page words each (web/words.py).
    summary, words = stored_words(
        N_("an assist on instance %(instance)s was held for review (score %(score)s)"),
        instance=alert.instance_id,
        score=f"{alert.score:.2f}",
    )
    case = review_service.open_case(
        session,
        shop_id=alert.shop_id,
        kind=CaseKind.INLINE_HOLD,
        source="inline.score",
        subject_account_ids=[alert.helper_id],
        summary=summary[:300],
        evidence={
            **words,
            "instance_id": alert.instance_id,
            "campaign_id": alert.campaign_id,
            "assist_id": alert.assist_id,
            "score": alert.score,
            "reasons": alert.reasons,
            "held_at": alert.at.isoformat(),
        },
        instance_id=alert.instance_id,
        campaign_id=alert.campaign_id,
        open_key=f"hold:{alert.instance_id}",
    )
    return case.id


def open_group_case(session: Session, alert: HoldAlert, reach: Reach) -> int:
    """One open `inline_group` case per campaign and network: every one-shot account the
    group rule held from that network, on any of the campaign's instances, joins it (its
    account among the case's subjects, its assist under "updates"), so an analyst judges
    the group once. The group's first assists, which counted before it was a group, go
    on hold with it and their accounts join too (risk/reach.py). Confirming voids its
    held assists, dismissing counts them (risk/groups.py)."""
    reached = reach_back(
        session,
        GroupHold(
            shop_id=alert.shop_id,
            campaign_id=alert.campaign_id,
            instance_id=alert.instance_id,
            at=alert.at,
            reasons=alert.reasons,
            net_hash=alert.network_hash,
            device_hash=alert.device_hash,
        ),
        reach,
    )
    evidence = {
        "trigger": "network_group",
        "network_hash": alert.network_hash,
        "campaign_id": alert.campaign_id,
        "instance_id": alert.instance_id,
        "assist_id": alert.assist_id,
        "helper_id": alert.helper_id,
        "score": alert.score,
        "reasons": alert.reasons,
        "held_at": alert.at.isoformat(),
        # Accounts whose counted assists went on hold with this one (its group's first).
        "reached_back": reached,
    }
    # Why its first hold was held (the page names every rule that held its accounts).
    message = (
        N_(
            "one-shot accounts from network %(network)s held as a group on campaign "
            "%(campaign)s (taps with no share open from one network or phone, seconds apart)"
        )
        if group_rules(evidence) == [BURST_GROUP_RULE]
        else N_(
            "one-shot accounts from network %(network)s held as a group on campaign "
            "%(campaign)s (fresh accounts behind one network)"
        )
    )
    summary, words = stored_words(message, network=alert.network_hash, campaign=alert.campaign_id)
    case = review_service.open_case(
        session,
        shop_id=alert.shop_id,
        kind=CaseKind.INLINE_GROUP,
        source="inline.group",
        subject_account_ids=[alert.helper_id, *reached],
        summary=summary,
        evidence={**evidence, **words},
        campaign_id=alert.campaign_id,
        open_key=f"group:{alert.campaign_id}:{alert.network_hash}",
        add_subjects=True,
    )
    return case.id
