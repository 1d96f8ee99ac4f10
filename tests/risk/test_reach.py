"""Which assists a group's hold reaches back to (risk/reach.py) and which assists keep
the burst keys it reaches back by (risk/inline.py `group_signs`): pure rules."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from huzhu.assists.voiding.service import BurstAssist
from huzhu.config import RiskSettings
from huzhu.risk.inline import AssistContext, CounterSnapshot, group_signs
from huzhu.risk.reach import GroupHold, Reach, belongs, rule_of
from huzhu.risk.scoring import policy_from

POLICY = policy_from(RiskSettings())
REACH = Reach.of(RiskSettings())
AT = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)
MONTH = 30 * 86_400.0


def signs(age: float, *, share: bool, open_id: int | None, since: float | None, **off: int) -> str:
    policy = dataclasses.replace(POLICY, **off)
    context = AssistContext(
        account_age_seconds=age, share_seen=share, share_link_id=7 if share else None,
        share_open_id=open_id,
    )  # fmt: skip
    return group_signs(policy, context, CounterSnapshot(seconds_since_open=since))


def test_an_assist_keeps_burst_keys_only_where_it_could_begin_a_group() -> None:
    assert signs(60, share=False, open_id=None, since=None) == "fu"  # fresh, no open
    assert signs(60, share=True, open_id=3, since=30.0) == "f"  # fresh, read first
    assert signs(MONTH, share=True, open_id=3, since=0.5) == "u"  # an instant tap
    assert signs(MONTH, share=True, open_id=None, since=None) == "u"  # link never opened
    assert signs(MONTH, share=True, open_id=None, since=12.0) == ""  # its link was opened
    assert signs(MONTH, share=True, open_id=3, since=30.0) == ""  # a friend who read
    # A rule turned off keeps nothing for it.
    off = {"burst_instance_assists": 0, "burst_campaign_assists": 0}
    assert signs(MONTH, share=False, open_id=None, since=None, **off) == ""
    off = {"group_instance_assists": 0, "group_campaign_assists": 0}
    assert signs(60, share=False, open_id=None, since=None, **off) == "u"


def hold(rule: str, *, net: str | None = "net-a", device: str | None = "phone-a") -> GroupHold:
    return GroupHold(
        shop_id=1, campaign_id=2, instance_id=10, at=AT, reasons=[f"{rule}:2", "network_group"],
        net_hash=net, device_hash=device,
    )  # fmt: skip


def earlier(
    seconds: float, signs: str, *, instance: int = 11, net: str | None = "net-a",
    device: str | None = "phone-b",
) -> BurstAssist:  # fmt: skip
    return BurstAssist(
        id=1, instance_id=instance, helper_id=5, created_at=AT - timedelta(seconds=seconds),
        signs=signs, net_hash=net, device_hash=device,
    )  # fmt: skip


def test_a_burst_reaches_back_its_window_by_network_or_phone() -> None:
    burst = hold("unopened_burst")
    assert rule_of(burst.reasons) == "unopened_burst"
    window = REACH.burst_seconds
    assert belongs(burst, REACH, "unopened_burst", earlier(window, "u"))
    assert not belongs(burst, REACH, "unopened_burst", earlier(window + 1, "u"))
    # The same phone on another network; not a tap with no open; another network & phone.
    assert belongs(burst, REACH, "unopened_burst", earlier(5, "u", net="net-b", device="phone-a"))
    assert not belongs(burst, REACH, "unopened_burst", earlier(5, "f"))
    assert not belongs(burst, REACH, "unopened_burst", earlier(5, "u", net="net-b"))
    # On the hold's own instance, the spike window (its per-instance rule).
    assert belongs(burst, REACH, "unopened_burst", earlier(window + 60, "u", instance=10))
    assert not belongs(
        burst, REACH, "unopened_burst", earlier(REACH.instance_seconds + 1, "u", instance=10)
    )
    assert not belongs(burst, REACH, "unopened_burst", earlier(-1, "u"))  # after the hold


def test_fresh_accounts_reach_back_their_window_by_network_only() -> None:
    fresh = hold("fresh_network")
    window = REACH.fresh_seconds
    assert belongs(fresh, REACH, "fresh_network", earlier(window, "fu"))
    assert not belongs(fresh, REACH, "fresh_network", earlier(window + 1, "f"))
    assert not belongs(fresh, REACH, "fresh_network", earlier(5, "u"))  # not a fresh account
    assert not belongs(
        fresh, REACH, "fresh_network", earlier(5, "f", net="net-b", device="phone-a")
    )
    assert not belongs(hold("fresh_network", net=None), REACH, "fresh_network", earlier(5, "f"))
    assert rule_of(["busy_network:9", "network_group"]) is None
