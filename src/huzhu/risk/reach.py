"""A group's hold reaches back to the group's first assists.

The inline group rules (risk/inline.py `group_hold`) hold a burst from the member that
makes it a burst: the second account tapping with no share open from one network or
phone within `burst_window_seconds`, the second fresh account's assist from one network
within `group_window_seconds`. The members before it were alone in their window when they
came, so they counted — one per burst: a hijacked crew's first tap on each target, a
bought account's first per network. Each of those kept its burst keys (assist.group_signs
and the keyed network and device hashes, for the group windows only), and when the group
is held, its hold puts them on hold too: they wait with the rest in the group's one case,
counted again if an analyst finds the group genuine, voided if not.

Which earlier assists belong to the group is the rule's own definition, read backwards
from the hold: the same campaign; the same sign (a fresh account for the fresh-network
rule, a tap with no open or an instant one for the burst rule); the same network (or, for
the burst rule, the same phone); within the rule's campaign window before the hold, or
the spike window on the hold's own instance (its per-instance rule). An assist a review
already cleared is never put back on hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from huzhu.assists.voiding import service as voiding
from huzhu.config import RiskSettings
from huzhu.risk.inline import BURST_GROUP_RULE, FRESH_GROUP_RULE, GROUP_REASON

# The reason added to an assist that counted and went on hold when its group was held.
REACHED_REASON = "held_with_its_group"


@dataclass(frozen=True, slots=True)
class Reach:
    """How far back a group's hold looks, per rule: each rule's campaign window, and the
    spike window on the hold's own instance."""

    fresh_seconds: int
    burst_seconds: int
    instance_seconds: int

    @classmethod
    def of(cls, risk: RiskSettings) -> Reach:
        return cls(
            fresh_seconds=risk.group_window_seconds,
            burst_seconds=risk.burst_window_seconds,
            instance_seconds=risk.spike_window_seconds,
        )


@dataclass(frozen=True, slots=True)
class GroupHold:
    """One assist held as one of a group: where, when, by which rule, from where."""

    shop_id: int
    campaign_id: int
    instance_id: int
    at: datetime
    reasons: list[str]
    net_hash: str | None
    device_hash: str | None


def rule_of(reasons: list[str]) -> str | None:
    """The group rule a hold's reasons name (`<rule>:<count>`), if any."""
    for reason in reasons:
        rule = reason.split(":", 1)[0]
        if rule in (FRESH_GROUP_RULE, BURST_GROUP_RULE):
            return rule
    return None


def belongs(hold: GroupHold, reach: Reach, rule: str, earlier: voiding.BurstAssist) -> bool:
    """Whether a counted assist with burst keys is one of the held assist's group."""
    back = (hold.at - earlier.created_at).total_seconds()
    if back < 0:
        return False
    if rule == FRESH_GROUP_RULE:
        same = "f" in earlier.signs and hold.net_hash is not None
        same = same and earlier.net_hash == hold.net_hash
        window = reach.fresh_seconds
    else:
        same = "u" in earlier.signs and (
            (hold.net_hash is not None and earlier.net_hash == hold.net_hash)
            or (hold.device_hash is not None and earlier.device_hash == hold.device_hash)
        )
        window = reach.burst_seconds
    if not same:
        return False
    return back <= window or (
        earlier.instance_id == hold.instance_id and back <= reach.instance_seconds
    )


def reach_back(session: Session, hold: GroupHold, reach: Reach) -> list[int]:
    """Put the counted first assists of the held assist's group on hold with it; the
    helpers whose assists went on hold (they join the group's case)."""
    rule = rule_of(hold.reasons)
    if rule is None:
        return []
    window = reach.fresh_seconds if rule == FRESH_GROUP_RULE else reach.burst_seconds
    longest = max(window, reach.instance_seconds)
    candidates = voiding.counted_with_burst_keys(
        session,
        shop_id=hold.shop_id,
        campaign_id=hold.campaign_id,
        since=hold.at - timedelta(seconds=longest),
        until=hold.at,
    )
    group = [a for a in candidates if belongs(hold, reach, rule, a)]
    if not group:
        return []
    held = set(
        voiding.hold_counted_assists(
            session,
            shop_id=hold.shop_id,
            assist_ids=[a.id for a in group],
            reasons=[REACHED_REASON, *_rule_reasons(hold.reasons, rule), GROUP_REASON],
        )
    )
    return sorted({a.helper_id for a in group if a.id in held})


def _rule_reasons(reasons: list[str], rule: str) -> list[str]:
    """The hold's own `<rule>:<count>` reason: the group its earlier members joined."""
    return [r for r in reasons if r.split(":", 1)[0] == rule][:1]
