"""Inline scoring of one assist: pure functions, no I/O, cheap enough for every assist.

The hot path gathers two things before it writes anything: what the request says about
the client (`ClientHinter.hints`: keyed hashes of the device id and the network prefix, and
automation hints) and what the shared counters say about recent behaviour (a
`CounterSnapshot` from risk/counters/, one round trip on Redis) — including how long ago
the share it came through was opened: the open routes record each open's time in the same
counters, so the hot path learns it without a query. `score_assist` turns
them into a decision with its reasons.

Each signal is a strength in [0, 1] times a weight from settings; the signals combine as
a noisy-OR, 1 − Π(1 − wᵢ·sᵢ), so the score stays in [0, 1], one strong signal is enough
to hold, and several weak ones add up without any single weak one deciding. A score at
or above `hold_score` holds the assist for review (stored, not counted); at or above
`refuse_score` refuses it. A spike on the instance (assists that share opens do not
explain, or a burst of them from one network) holds every assist while the instance is
under watch, whatever the score — until the watch runs out, or an analyst dismisses the
spike (the burst was genuine), which lifts the watch and keeps the instance clear of a
new one for a watch period. A spike on a whole campaign only raises an alert: holding
every instance of a campaign would make every honest participant in it wait for the few
a ring worked.

Beside the score, a group rule (`group_hold`): a burst of one-shot accounts — accounts
made for the job, younger than `new_account_seconds` — from one network is held as a
group, whatever each assist scores alone: from the `group_instance_assists`-th assist of
its network on one instance (spike window), or the `group_campaign_assists`-th fresh
account's assist of its network across the campaign (`group_window_seconds`,
per-campaign network counters). Each of these accounts acts once, so the batch scan,
which looks for accounts that act together again and again, never sees them; inline, a
network is the one thing they share. Accounts of any age — bought aged accounts,
hijacked ones — are grouped only where three signs meet: no share open to show (or a
tap within `min_open_seconds` of it, as a script taps once the page answers), one
network or one phone, and a pace of seconds (`burst_campaign_assists` across the
campaign within `burst_window_seconds`, or `burst_instance_assists` on one instance
within the spike window). Each sign alone is
common among honest people — an assist with no share open from a client that records
none, a /24 shared behind a carrier NAT, a busy evening — so each alone stays a weight of
the score (no_share_open, busy_network); a friend who opens the share is never held by
these rules, and a hold waits for a person, it refuses nothing.

Why these signals (DESIGN.md "Fake-assist defence"): brushing tools run many accounts
from few devices and networks, act fast and in bulk, arrive without ever opening the
share, and rings trade assists back and forth. A genuine friend opens a share, reads for
a few seconds and taps once.
"""

from __future__ import annotations

import ipaddress
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from huzhu.kit import signing
from huzhu.risk.rules import COUNT, Decision, RiskDecision

DEVICE_HEADER = "x-huzhu-device"
# The reason of an assist held only because a spike put its instance under watch.
WATCH_REASON = "instance_under_watch"
# The reason of an assist held as one of a network's group of one-shot accounts, and
# before it the rule's own, `<rule>:<count>`: fresh accounts, or taps with no open.
GROUP_REASON = "network_group"
FRESH_GROUP_RULE = "fresh_network"
BURST_GROUP_RULE = "unopened_burst"
HASH_CHARS = 20
K = TypeVar("K")

# User agents of HTTP libraries and headless browsers: a person's WeChat or browser
# never sends these. Matched as lower-case substrings.
AUTOMATION_AGENTS = (
    "python-requests",
    "python-httpx",
    "aiohttp",
    "okhttp",
    "go-http-client",
    "curl/",
    "wget/",
    "headlesschrome",
    "phantomjs",
    "selenium",
    "puppeteer",
    "playwright",
    "scrapy",
    "java/",
    "libwww-perl",
)

# How sure each hint is: a library's user agent names itself; no user agent at all is
# rare in a browser or WeChat; a missing Accept-Language alone is weak (some in-app web
# views omit it).
AUTOMATION_STRENGTH = {"agent": 1.0, "no_user_agent": 0.8, "no_accept_language": 0.3}


# Not frozen: a frozen dataclass's __init__ sets each field through object.__setattr__
# (3x the cost), and one is built for every assist. Treat it as a value all the same.
@dataclass(slots=True)
class ClientHints:
    """What one request says about its client, with nothing personal kept raw."""

    device_hash: str | None
    net_hash: str | None
    automation: tuple[str, ...]


# Not frozen: a frozen dataclass's __init__ sets each field through object.__setattr__
# (3x the cost), and one is built for every assist. Treat it as a value all the same.
@dataclass(slots=True)
class CounterSnapshot:
    """Recent behaviour around one assist, read (and counted) in one step."""

    device_accounts: int = 0  # distinct helpers seen on this device in the window
    net_assists: int = 0  # assists from this network prefix in the window
    helper_assists: int = 0  # this helper's assists across instances in the window
    reciprocal: bool = False  # the initiator assisted this helper's instance before
    instance_assists: int = 0  # assists on this instance in the spike window
    instance_opens: int = 0  # share opens of this instance in the spike window
    # Assists on this instance from this assist's network prefix in the spike window.
    instance_net_assists: int = 0
    instance_watched: bool = False  # a spike put this instance under watch
    instance_cleared: bool = False  # an analyst found its spike genuine: no watch for now
    campaign_assists: int = 0  # assists on the instance's campaign in the spike window
    campaign_opens: int = 0  # share opens of the campaign's instances in the window
    campaign_alerted: bool = False  # a campaign spike was reported in this watch period
    # Since the open this assist came through (its own open, else its link's latest),
    # None when no such open is remembered.
    seconds_since_open: float | None = None
    # Fresh accounts' assists from this assist's network on its campaign in the group
    # window (and the bucket before), this one included (counted only for a fresh
    # account's assist: 0 for any other).
    campaign_net_suspects: int = 0
    # Accounts that tapped with no share open (none named, none of their link remembered)
    # from this assist's network, and from its device, on its campaign in the burst
    # window (and the bucket before), this one's included (0 for an assist that came
    # through an open).
    campaign_net_unopened: int = 0
    campaign_device_unopened: int = 0


@dataclass(frozen=True, slots=True)
class ScoringPolicy:
    """Thresholds and weights (settings.risk), flattened for the hot loop."""

    hold_score: float
    refuse_score: float
    new_account_seconds: float
    w_new_account: float
    device_accounts_limit: int
    w_shared_device: float
    net_assists_limit: int
    w_busy_network: float
    helper_assists_limit: int
    w_fast_helper: float
    w_no_share_open: float
    min_open_seconds: float
    w_instant_after_open: float
    w_share_not_opened: float
    w_reciprocal: float
    w_automation: float
    spike_min_assists: int
    spike_assists_per_open: float
    spike_network_assists: int
    campaign_spike_min_assists: int
    campaign_spike_assists_per_open: float
    group_instance_assists: int
    group_campaign_assists: int
    burst_instance_assists: int
    burst_campaign_assists: int


# Not frozen: a frozen dataclass's __init__ sets each field through object.__setattr__
# (3x the cost), and one is built for every assist. Treat it as a value all the same.
@dataclass(slots=True)
class AssistContext:
    """Facts about this assist the request carries (the counters add the rest)."""

    account_age_seconds: float | None  # None when unknown (not a signal either way)
    share_seen: bool  # the assist names a share link it came from
    share_link_id: int | None = None  # that link (from its verified token)
    share_open_id: int | None = None  # the open the helper says they came through


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_DOTTED_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")


def network_prefix(host: str | None) -> str | None:
    """The /24 of an IPv4 address or the /48 of an IPv6 one: one household, office or
    carrier NAT, so many accounts behind it is a signal while the address itself is never
    kept. None for anything that is not an address."""
    if not host:
        return None
    if _DOTTED_IPV4.fullmatch(host):
        # The common case by slicing the string: the same answer as ipaddress, which
        # costs many times more on a call made for every assist.
        return host.rsplit(".", 1)[0] + ".0/24"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    bits = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{bits}", strict=False))


# How many client addresses and user agents a ClientHinter remembers the hints of.
HINT_CACHE_SIZE = 65_536
_UNSEEN = object()


class ClientHinter:
    """What one request says about its client, under one secret key. Device ids are
    hashed on every call (signing.short_hasher, made for that): a cache of their hashes
    pays its upkeep on every new device and saves little even on a device seen lately,
    and traffic of new helpers (bench/assist.py's, each on a device of their own) misses
    it nearly every time. Client addresses and user agents recur (a household's or an
    office's router, a handful of app versions): the hints of the last HINT_CACHE_SIZE
    of each are kept, first in, first out. Raw values never leave this object; the
    caches hold them only in this process's memory, as the requests did."""

    __slots__ = ("_agents", "_device_hash", "_net_hash", "_networks")

    def __init__(self, key: bytes) -> None:
        self._device_hash = signing.short_hasher(key, purpose="device", chars=HASH_CHARS)
        self._net_hash = signing.short_hasher(key, purpose="net", chars=HASH_CHARS)
        self._networks: OrderedDict[str | None, str | None] = OrderedDict()
        self._agents: OrderedDict[str, tuple[str, ...]] = OrderedDict()

    def hints(self, headers: Mapping[str, str], client_host: str | None) -> ClientHints:
        """Keyed hashes of the device id header and the network prefix, and automation
        hints from the user agent."""
        device = headers.get(DEVICE_HEADER)
        device_hash = None
        if device:
            device_hash = self._device_hash(device if len(device) <= 200 else device[:200])
        net_hash = self._networks.get(client_host, _UNSEEN)
        if net_hash is _UNSEEN:
            prefix = network_prefix(client_host)
            net_hash = _remember(
                self._networks, client_host, self._net_hash(prefix) if prefix else None
            )
        agent = headers.get("user-agent", "")
        automation = self._agents.get(agent)
        if automation is None:
            automation = _remember(self._agents, agent, _agent_hints(agent))
        if not headers.get("accept-language"):
            automation += ("no_accept_language",)
        return ClientHints(device_hash, net_hash, automation)  # type: ignore[arg-type]


V = TypeVar("V")


def _remember(cache: OrderedDict[K, V], key: K, value: V) -> V:
    cache[key] = value
    if len(cache) > HINT_CACHE_SIZE:
        cache.popitem(last=False)
    return value


def _agent_hints(agent: str) -> tuple[str, ...]:
    lowered = agent.lower()
    if not lowered:
        return ("no_user_agent",)
    return tuple(f"agent:{a.rstrip('/')}" for a in AUTOMATION_AGENTS if a in lowered)


def _weigh(reasons: list[str], keep: float, reason: str, contribution: float) -> float:
    """One signal of the noisy-OR (`contribution` = weight × strength): its reason is
    kept when it contributes, and what it leaves of 1 − score is returned."""
    if contribution <= 0.0:
        return keep
    reasons.append(reason)
    return keep * (1.0 - contribution) if contribution < 1.0 else 0.0


def _weigh_over(
    reasons: list[str], keep: float, name: str, value: int, limit: int, weight: float
) -> float:
    """A count over its limit: strength 0 at the limit rising to 1 at twice the limit (a
    limit of 0 or less turns the signal off); the reason names the count."""
    if limit <= 0:
        return keep
    strength = (value - limit) / limit
    return _weigh(reasons, keep, f"{name}:{value}", weight * (strength if strength < 1.0 else 1.0))


def is_fresh(policy: ScoringPolicy, context: AssistContext) -> bool:
    """A helper account younger than `new_account_seconds` (unknown age is not fresh)."""
    age = context.account_age_seconds
    return age is not None and age < policy.new_account_seconds


def is_unopened(policy: ScoringPolicy, context: AssistContext, seen: CounterSnapshot) -> bool:
    """No share open to show (none named, none of its link remembered), or a tap within
    `min_open_seconds` of it: what the burst rule counts."""
    since = seen.seconds_since_open
    if not context.share_seen or (context.share_open_id is None and since is None):
        return True
    return since is not None and since < policy.min_open_seconds


def group_signs(policy: ScoringPolicy, context: AssistContext, seen: CounterSnapshot) -> str:
    """What could make this assist one of a group the rules below hold, whether or not
    its group is big enough yet: "f" a fresh account (the fresh-network rule), "u" a tap
    with no open or an instant one (the burst rule), "" neither (or those rules off).

    The first assists of a group count: each is alone in its window until the next one
    arrives. So an assist with a sign keeps its keyed network and device hashes (only for
    the group windows), and when its group is held later, the hold reaches back to it
    (risk/reach.py): a burst's first tap waits with the rest instead of counting."""
    p = policy
    signs = ""
    if (p.group_instance_assists or p.group_campaign_assists) and is_fresh(p, context):
        signs = "f"
    if (p.burst_instance_assists or p.burst_campaign_assists) and is_unopened(p, context, seen):
        signs += "u"
    return signs


def group_hold(policy: ScoringPolicy, context: AssistContext, seen: CounterSnapshot) -> str | None:
    """Why this assist is held as one of its network's group, whatever it scores alone
    (None: it is not). Each rule's setting at 0 turns it off.

    - `fresh_network:<n>`: a fresh account, and its network sent `group_instance_assists`
      to the instance in the spike window, or its network's fresh accounts gave
      `group_campaign_assists` across the campaign in the group window.
    - `unopened_burst:<n>`: an account of any age with no share open to show (none named,
      none of its link remembered) or tapping within `min_open_seconds` of it, and the
      accounts tapping so from its network
      or its device reached `burst_campaign_assists` across the campaign in the burst
      window (one person tapping twice is not a burst), or its network sent
      `burst_instance_assists` to the instance in the spike window. No open, one network,
      seconds apart: bought or hijacked accounts of any age, driven by a script that
      never loads the page. Any one of the three alone is common among honest people (a
      client that records no opens, a carrier NAT, a busy evening)."""
    p = policy
    if is_fresh(p, context):
        on_instance = seen.instance_net_assists
        if (p.group_instance_assists and on_instance >= p.group_instance_assists) or (
            p.group_campaign_assists and seen.campaign_net_suspects >= p.group_campaign_assists
        ):
            return f"{FRESH_GROUP_RULE}:{max(on_instance, seen.campaign_net_suspects)}"
    if not is_unopened(p, context, seen):
        return None  # it came through an open, read before the tap
    burst = max(seen.campaign_net_unopened, seen.campaign_device_unopened)
    if (p.burst_campaign_assists and burst >= p.burst_campaign_assists) or (
        p.burst_instance_assists and seen.instance_net_assists >= p.burst_instance_assists
    ):
        return f"{BURST_GROUP_RULE}:{max(burst, seen.instance_net_assists)}"
    return None


def score_assist(
    policy: ScoringPolicy, context: AssistContext, hints: ClientHints, seen: CounterSnapshot
) -> RiskDecision:
    """count / hold / refuse with the score and every reason that contributed, in one
    pass over the signals, each tested before anything is computed for it (this runs for
    every assist, most of which raise no signal at all)."""
    p = policy
    reasons: list[str] = []
    keep = 1.0
    age = context.account_age_seconds
    if age is not None and age < p.new_account_seconds:
        strength = 1.0 - age / p.new_account_seconds
        keep = _weigh(reasons, keep, "new_account", p.w_new_account * strength)
    if seen.device_accounts > p.device_accounts_limit:
        keep = _weigh_over(
            reasons, keep, "shared_device", seen.device_accounts, p.device_accounts_limit,
            p.w_shared_device,
        )  # fmt: skip
    if seen.net_assists > p.net_assists_limit:
        keep = _weigh_over(
            reasons, keep, "busy_network", seen.net_assists, p.net_assists_limit,
            p.w_busy_network,
        )  # fmt: skip
    if seen.helper_assists > p.helper_assists_limit:
        keep = _weigh_over(
            reasons, keep, "fast_helper", seen.helper_assists, p.helper_assists_limit,
            p.w_fast_helper,
        )  # fmt: skip
    if not context.share_seen:
        keep = _weigh(reasons, keep, "no_share_open", p.w_no_share_open)
    elif seen.seconds_since_open is not None:
        # A person loads the page, reads and taps; a script taps as the page answers.
        # Stronger the faster (clocks of two workers may disagree slightly: below 0 is 0).
        since = max(0.0, seen.seconds_since_open)
        if since < p.min_open_seconds:
            keep = _weigh(
                reasons,
                keep,
                f"instant_after_open:{since:.1f}s",
                p.w_instant_after_open * (1.0 - since / p.min_open_seconds),
            )
    elif context.share_open_id is None:
        # A share token used with no open of its link remembered: lifted from a chat by
        # a tool that never loads the page. (An assist naming its own open that the
        # counters do not know — opened long ago, or before a restart — is no signal.)
        keep = _weigh(reasons, keep, "share_not_opened", p.w_share_not_opened)
    if seen.reciprocal:
        keep = _weigh(reasons, keep, "reciprocal_pair", p.w_reciprocal)
    if hints.automation:
        keep = _weigh(
            reasons,
            keep,
            "automation:" + ",".join(hints.automation),
            p.w_automation
            * max(AUTOMATION_STRENGTH.get(h.split(":", 1)[0], 1.0) for h in hints.automation),
        )
    group = group_hold(p, context, seen)
    if not reasons and not seen.instance_watched and not group:
        return COUNT
    score = int((1.0 - keep) * 10_000.0 + 0.5) / 10_000.0  # round(·, 4), without its dtoa
    decision: Decision = "count"
    if score >= p.refuse_score:
        decision = "refuse"
    elif score >= p.hold_score:
        decision = "hold"
    if decision == "count" and group:
        decision = "hold"
        reasons += (group, GROUP_REASON)
    if decision == "count" and seen.instance_watched:
        decision = "hold"
        reasons.append(WATCH_REASON)
    return RiskDecision(decision, score, reasons)


def is_spike(policy: ScoringPolicy, seen: CounterSnapshot) -> bool:
    """Many assists on one instance that its share opens do not explain: more than
    `spike_assists_per_open` assists per open (opens + 1, so an instance with no tracked
    opens needs only the minimum), once there are at least `spike_min_assists`."""
    if seen.instance_assists < policy.spike_min_assists:
        return False
    return seen.instance_assists > policy.spike_assists_per_open * (seen.instance_opens + 1)


def is_network_burst(policy: ScoringPolicy, seen: CounterSnapshot) -> bool:
    """At least `spike_network_assists` assists on one instance from one network prefix
    (/24, /48) in the spike window, whatever the opens say: a farm behind one address
    that also opens the share (so its opens "explain" its assists) is still one network
    doing what a household or an office does not. The default (12) is about twice what
    a family behind one router has phones, and more than the colleagues behind one
    office NAT who tap the same friend's share within five minutes; a carrier NAT that
    crosses it holds (for review), never refuses."""
    return seen.instance_net_assists >= policy.spike_network_assists


def is_campaign_spike(policy: ScoringPolicy, seen: CounterSnapshot) -> bool:
    """The same rule over a whole campaign: a burst spread thinly over many instances
    (each under the instance minimum) that the campaign's share opens do not explain."""
    if seen.campaign_assists < policy.campaign_spike_min_assists:
        return False
    return seen.campaign_assists > policy.campaign_spike_assists_per_open * (
        seen.campaign_opens + 1
    )
