"""Inline scoring: a genuine friend counts, brushing patterns are held or refused with
their reasons, the score is bounded and never falls when a signal gets stronger."""

from __future__ import annotations

import dataclasses
import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from huzhu.config import RiskSettings
from huzhu.risk.inline import (
    GROUP_REASON,
    AssistContext,
    ClientHinter,
    ClientHints,
    CounterSnapshot,
    is_network_burst,
    is_spike,
    network_prefix,
    score_assist,
)
from huzhu.risk.scoring import policy_from

POLICY = policy_from(RiskSettings())
KEY = b"k" * 32
# A friend who opened the share (open 70 of link 7) and read for 9 s before tapping.
FRIEND = AssistContext(
    account_age_seconds=400 * 86_400, share_seen=True, share_link_id=7, share_open_id=70
)
PHONE = {
    "user-agent": "Mozilla/5.0 (iPhone) MicroMessenger/8.0.50",
    "accept-language": "zh-CN",
    "x-huzhu-device": "install-1",
}
CALM = CounterSnapshot(device_accounts=1, net_assists=2, helper_assists=1, seconds_since_open=9.0)
# What the counters say when no open of the share is remembered.
NO_OPEN = dataclasses.replace(CALM, seconds_since_open=None)


def test_a_genuine_friend_counts() -> None:
    hints = ClientHinter(KEY).hints(PHONE, "203.0.113.7")
    decision = score_assist(POLICY, FRIEND, hints, CALM)
    assert decision.decision == "count"
    assert decision.score == 0.0


def test_a_script_on_a_device_shared_by_many_accounts_is_refused_with_reasons() -> None:
    hints = ClientHinter(KEY).hints({"user-agent": "python-requests/2.31"}, "203.0.113.7")
    seen = CounterSnapshot(device_accounts=9, net_assists=80, helper_assists=40)
    context = AssistContext(account_age_seconds=60, share_seen=False)
    decision = score_assist(POLICY, context, hints, seen)
    assert decision.decision == "refuse"
    assert any(r.startswith("automation:") for r in decision.reasons)
    assert "shared_device:9" in decision.reasons
    assert "new_account" in decision.reasons


def test_one_weak_signal_alone_does_not_hold() -> None:
    for context, seen in (
        (dataclasses.replace(FRIEND, share_seen=False), CALM),
        (FRIEND, dataclasses.replace(CALM, reciprocal=True)),
        (dataclasses.replace(FRIEND, account_age_seconds=3600.0), CALM),
        (FRIEND, dataclasses.replace(CALM, seconds_since_open=0.0)),
        (dataclasses.replace(FRIEND, share_open_id=None), NO_OPEN),
    ):
        hints = ClientHinter(KEY).hints(PHONE, "203.0.113.7")
        assert score_assist(POLICY, context, hints, seen).decision == "count"


def test_a_shared_device_and_a_fast_helper_together_are_held() -> None:
    hints = ClientHinter(KEY).hints(PHONE, "203.0.113.7")
    seen = CounterSnapshot(device_accounts=5, helper_assists=30)
    decision = score_assist(POLICY, FRIEND, hints, seen)
    assert decision.decision == "hold"
    assert decision.reasons == ["shared_device:5", "fast_helper:30"]


def test_an_instance_under_watch_holds_even_a_clean_assist() -> None:
    hints = ClientHinter(KEY).hints(PHONE, "203.0.113.7")
    decision = score_assist(POLICY, FRIEND, hints, dataclasses.replace(CALM, instance_watched=True))
    assert decision.decision == "hold"
    assert decision.reasons == ["instance_under_watch"]


def test_spike_is_assists_that_opens_do_not_explain() -> None:
    assert not is_spike(POLICY, CounterSnapshot(instance_assists=POLICY.spike_min_assists - 1))
    assert is_spike(POLICY, CounterSnapshot(instance_assists=POLICY.spike_min_assists))
    explained = CounterSnapshot(instance_assists=60, instance_opens=40)
    assert not is_spike(POLICY, explained)


def test_a_burst_from_one_network_is_a_spike_whatever_the_opens() -> None:
    burst = POLICY.spike_network_assists
    # A family or an office behind one NAT: well under the threshold (see inline.py).
    assert 6 < burst < POLICY.spike_min_assists
    assert not is_network_burst(POLICY, CounterSnapshot(instance_net_assists=burst - 1))
    opened = CounterSnapshot(
        instance_assists=burst, instance_opens=burst, instance_net_assists=burst
    )
    assert is_network_burst(POLICY, opened)
    assert not is_spike(POLICY, opened)  # the opens rule alone lets it through
    # As many assists from many networks are no burst.
    assert not is_network_burst(POLICY, dataclasses.replace(opened, instance_net_assists=1))


def test_hints_keep_nothing_raw() -> None:
    hints = ClientHinter(KEY).hints(PHONE, "203.0.113.7")
    assert hints.device_hash is not None
    assert hints.net_hash is not None
    assert "install-1" not in hints.device_hash
    assert "203.0.113" not in hints.net_hash
    # One network prefix, one hash; another key, another hash.
    assert ClientHinter(KEY).hints(PHONE, "203.0.113.250").net_hash == hints.net_hash
    assert ClientHinter(b"x" * 32).hints(PHONE, "203.0.113.7").net_hash != hints.net_hash


def _reference_prefix(host: str) -> str | None:
    """The definition, written with ipaddress alone (the code has a faster IPv4 path)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    bits = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{bits}", strict=False))


_octet_text = st.one_of(
    st.integers(0, 300).map(str),
    st.integers(0, 255).map(lambda n: f"0{n}"),  # leading zeros are not an address
    st.text(alphabet="0123456789١٢٣", min_size=0, max_size=4),
)


@given(
    st.one_of(
        st.ip_addresses().map(str),
        st.lists(_octet_text, min_size=3, max_size=5).map(".".join),
        st.text(max_size=20),
    )
)
def test_network_prefix_agrees_with_ipaddress(host: str) -> None:
    assert network_prefix(host) == _reference_prefix(host)


def test_network_prefix() -> None:
    assert network_prefix("198.51.100.23") == "198.51.100.0/24"
    assert network_prefix("2001:db8:1:2::5") == "2001:db8:1::/48"
    assert network_prefix("::ffff:198.51.100.23") == "198.51.100.0/24"
    assert network_prefix("testclient") is None
    assert network_prefix(None) is None


counts = st.integers(min_value=0, max_value=500)
snapshots = st.builds(
    CounterSnapshot,
    device_accounts=counts,
    net_assists=counts,
    helper_assists=counts,
    reciprocal=st.booleans(),
    instance_assists=counts,
    instance_opens=counts,
    instance_watched=st.booleans(),
    seconds_since_open=st.none() | st.floats(min_value=-1, max_value=1e6),
)
contexts = st.builds(
    AssistContext,
    account_age_seconds=st.none() | st.floats(min_value=0, max_value=1e9),
    share_seen=st.booleans(),
    share_link_id=st.none() | st.just(7),
    share_open_id=st.none() | st.just(70),
)
hint_sets = st.builds(
    ClientHints,
    device_hash=st.none() | st.just("d"),
    net_hash=st.none() | st.just("n"),
    automation=st.lists(st.sampled_from(["no_user_agent", "agent:curl"]), max_size=2).map(tuple),
)


@given(contexts, hint_sets, snapshots)
def test_score_is_bounded_and_decision_follows_thresholds(
    context: AssistContext, hints: ClientHints, seen: CounterSnapshot
) -> None:
    decision = score_assist(POLICY, context, hints, seen)
    assert 0.0 <= decision.score <= 1.0
    if decision.score >= POLICY.refuse_score:
        assert decision.decision == "refuse"
    elif decision.score >= POLICY.hold_score or seen.instance_watched:
        assert decision.decision == "hold"
    else:
        assert decision.decision == "count"


@given(contexts, hint_sets, snapshots, st.sampled_from(["device", "net", "helper"]), counts)
def test_more_of_a_signal_never_lowers_the_score(
    context: AssistContext, hints: ClientHints, seen: CounterSnapshot, which: str, extra: int
) -> None:
    field = {"device": "device_accounts", "net": "net_assists", "helper": "helper_assists"}[which]
    more = dataclasses.replace(seen, **{field: getattr(seen, field) + extra})
    assert (
        score_assist(POLICY, context, hints, more).score
        >= score_assist(POLICY, context, hints, seen).score
    )


def test_time_from_open_to_assist_weighs_more_the_faster() -> None:
    hints = ClientHinter(KEY).hints(PHONE, "203.0.113.7")

    def score(since: float) -> tuple[float, list[str]]:
        decision = score_assist(
            POLICY, FRIEND, hints, dataclasses.replace(CALM, seconds_since_open=since)
        )
        return decision.score, decision.reasons

    assert score(POLICY.min_open_seconds) == (0.0, [])
    assert score(0.0) == (POLICY.w_instant_after_open, ["instant_after_open:0.0s"])
    assert score(0.5)[1] == ["instant_after_open:0.5s"]
    assert 0.0 < score(1.5)[0] < score(0.5)[0] < score(0.0)[0]
    # Another worker's clock a little ahead: as fast as it gets, never a crash.
    assert score(-0.2) == score(0.0)


def test_a_share_with_no_open_remembered_is_a_hint_unless_the_assist_names_its_open() -> None:
    hints = ClientHinter(KEY).hints(PHONE, "203.0.113.7")
    lifted = score_assist(POLICY, dataclasses.replace(FRIEND, share_open_id=None), hints, NO_OPEN)
    assert (lifted.score, lifted.reasons) == (POLICY.w_share_not_opened, ["share_not_opened"])
    # It names an open the counters do not know (opened before a restart, or long ago):
    # unknown is no signal either way.
    assert score_assist(POLICY, FRIEND, hints, NO_OPEN).score == 0.0
    # Without any share the old, weaker signal applies, and the open time is not read.
    bare = dataclasses.replace(FRIEND, share_seen=False, share_link_id=None, share_open_id=None)
    assert score_assist(POLICY, bare, hints, CALM).reasons == ["no_share_open"]


@given(contexts, hint_sets, snapshots, st.floats(min_value=0, max_value=1e6))
def test_a_faster_assist_after_its_open_never_lowers_the_score(
    context: AssistContext, hints: ClientHints, seen: CounterSnapshot, later: float
) -> None:
    if seen.seconds_since_open is None:
        return
    slower = dataclasses.replace(seen, seconds_since_open=seen.seconds_since_open + later)
    assert (
        score_assist(POLICY, context, hints, seen).score
        >= score_assist(POLICY, context, hints, slower).score
    )


# A fresh account's assist with no share at all: it scores under the hold threshold alone.
FRESH = AssistContext(account_age_seconds=600, share_seen=False)


def test_a_fresh_account_alone_on_its_network_counts() -> None:
    hints = ClientHinter(KEY).hints(PHONE, "203.0.113.7")
    seen = dataclasses.replace(NO_OPEN, instance_net_assists=1, campaign_net_suspects=1)
    assert score_assist(POLICY, FRESH, hints, seen).decision == "count"


def test_fresh_accounts_of_one_network_are_held_as_a_group_on_an_instance_or_campaign() -> None:
    hints = ClientHinter(KEY).hints(PHONE, "203.0.113.7")
    on_instance = dataclasses.replace(NO_OPEN, instance_net_assists=2, campaign_net_suspects=2)
    across = dataclasses.replace(NO_OPEN, instance_net_assists=1, campaign_net_suspects=2)
    for seen in (on_instance, across):
        decision = score_assist(POLICY, FRESH, hints, seen)
        assert decision.decision == "hold"
        assert decision.reasons[-1] == GROUP_REASON
    # The same on a friend's day-old account: not grouped, whatever the network did.
    old = dataclasses.replace(FRESH, account_age_seconds=2 * 86_400)
    assert score_assist(POLICY, old, hints, on_instance).decision == "count"
    # Each rule can be turned off.
    off = dataclasses.replace(POLICY, group_instance_assists=0, group_campaign_assists=0)
    assert score_assist(off, FRESH, hints, on_instance).decision == "count"


# An account a year old with no share at all: it scores under the hold threshold alone.
BARE = AssistContext(account_age_seconds=400 * 86_400, share_seen=False)


def test_an_old_account_tapping_with_no_open_alone_counts() -> None:
    hints = ClientHinter(KEY).hints(PHONE, "203.0.113.7")
    seen = dataclasses.replace(
        NO_OPEN, instance_net_assists=2, campaign_net_unopened=1, campaign_device_unopened=1
    )
    assert score_assist(POLICY, BARE, hints, seen).decision == "count"


def test_a_burst_with_no_open_from_one_network_or_phone_is_held_as_a_group() -> None:
    """Accounts of any age: no open, one network or one phone, seconds apart."""
    hints = ClientHinter(KEY).hints(PHONE, "203.0.113.7")
    by_network = dataclasses.replace(NO_OPEN, campaign_net_unopened=2, campaign_device_unopened=1)
    by_phone = dataclasses.replace(NO_OPEN, campaign_net_unopened=1, campaign_device_unopened=2)
    on_instance = dataclasses.replace(NO_OPEN, instance_net_assists=3)
    # A share cited whose link no one opened is no open either.
    unopened_link = dataclasses.replace(BARE, share_seen=True, share_link_id=7)
    for context in (BARE, unopened_link):
        for seen, n in ((by_network, 2), (by_phone, 2), (on_instance, 3)):
            decision = score_assist(POLICY, context, hints, seen)
            assert decision.decision == "hold"
            assert decision.reasons[-2:] == [f"unopened_burst:{n}", GROUP_REASON]
    # The same numbers on an assist that came through an open (its own, or its link's
    # latest), or that names an open the counters do not know: never held by this rule.
    after_open = dataclasses.replace(by_network, seconds_since_open=9.0)
    assert score_assist(POLICY, FRIEND, hints, after_open).decision == "count"
    assert score_assist(POLICY, FRIEND, hints, on_instance).decision == "count"
    link_opened = dataclasses.replace(FRIEND, share_open_id=None)
    assert score_assist(POLICY, link_opened, hints, after_open).decision == "count"
    # Each rule can be turned off.
    off = dataclasses.replace(POLICY, burst_instance_assists=0, burst_campaign_assists=0)
    for seen in (by_network, by_phone, on_instance):
        assert score_assist(off, BARE, hints, seen).decision == "count"


def test_a_burst_tapping_an_instant_after_its_opens_is_held_as_a_group() -> None:
    """Hijacked accounts driven by a script that loads the page and taps as it answers:
    an open to show, but a tap within min_open_seconds of it, from one network or phone,
    seconds apart — held like a burst with no open. Read for longer, never."""
    hints = ClientHinter(KEY).hints(PHONE, "203.0.113.7")
    instant = dataclasses.replace(
        NO_OPEN, seconds_since_open=0.8, campaign_net_unopened=1, campaign_device_unopened=2
    )
    assert POLICY.min_open_seconds > 0.8
    for context in (FRIEND, dataclasses.replace(FRIEND, share_open_id=None)):
        decision = score_assist(POLICY, context, hints, instant)
        assert decision.decision == "hold"
        assert decision.reasons[-2:] == ["unopened_burst:2", GROUP_REASON]
    alone = dataclasses.replace(instant, campaign_net_unopened=1, campaign_device_unopened=1)
    assert score_assist(POLICY, FRIEND, hints, alone).decision == "count"
    read = dataclasses.replace(instant, seconds_since_open=POLICY.min_open_seconds)
    assert score_assist(POLICY, FRIEND, hints, read).decision == "count"


def test_a_fresh_group_hold_says_which_rule_held_it() -> None:
    hints = ClientHinter(KEY).hints(PHONE, "203.0.113.7")
    across = dataclasses.replace(CALM, instance_net_assists=1, campaign_net_suspects=3)
    opened = dataclasses.replace(FRESH, share_seen=True, share_link_id=7, share_open_id=70)
    decision = score_assist(POLICY, opened, hints, across)
    assert decision.reasons[-2:] == ["fresh_network:3", GROUP_REASON]
