"""Behaviour counters for inline scoring: in process (embedded) or in Redis (several
workers see the same counts).

One call per assist, `observe`, counts the assist and reads every number the scorer
needs in the same step — on Redis in one script call shared by the assists of the same
turn of the event loop, one round trip for all of them. Windows are fixed buckets
(`at // window`): the cheapest exact count, at the price of forgetting at a bucket edge,
which is fine for signals (they are evidence, not caps). Keys hold pseudonymous ids and
keyed hashes only, never a raw address or device id.

Assists are also counted per instance and network prefix (keyed hash) in the spike
window, for the network-burst spike (inline.is_network_burst).

Fresh accounts' assists (inline.is_fresh) are counted per campaign and network prefix in
the group window, for the inline group rule (inline.group_hold); the accounts whose
assists came through no remembered share open, per campaign and network prefix and per
campaign and device over the last burst window (sliding, each account once: one person
helping two friends in a minute is not a burst), for its no-open burst rule.

Share opens are recorded here too (`record_open`, from the open routes): a count per
instance and campaign for the spike rules, and the time of each open (by open id) and of
each link's latest open, kept `open_seconds`, so `observe` can tell the scorer how long
after its open an assist came — in the same round trip, with no database read.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from redis.exceptions import ConnectionError, NoScriptError, ResponseError, TimeoutError

from huzhu.kit.batching import settle
from huzhu.risk.inline import CounterSnapshot

PREFIX = "huzhu:risk:"
K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class Windows:
    device_seconds: int = 86_400
    net_seconds: int = 600
    helper_seconds: int = 3_600
    pair_seconds: int = 30 * 86_400
    spike_seconds: int = 300
    open_seconds: int = 86_400  # how long an open's time is remembered
    group_seconds: int = 3_600  # fresh accounts' assists per campaign and network
    burst_seconds: int = 60  # accounts tapping unopened per campaign and network, device
    # A tap this soon after its open counts toward a burst as a tap with no open does: a
    # script that loads the page and taps as it answers (risk.min_open_seconds).
    instant_seconds: float = 2.0


# Not frozen: a frozen dataclass's __init__ sets each field through object.__setattr__
# (3x the cost), and one is built for every assist. Treat it as a value all the same.
@dataclass(slots=True)
class Observation:
    at: float  # unix seconds
    shop_id: int
    instance_id: int
    helper_id: int
    initiator_id: int
    device_hash: str | None
    net_hash: str | None
    campaign_id: int = 0  # 0: not known (no campaign-level counts)
    share_link_id: int | None = None  # the link the assist came through
    share_open_id: int | None = None  # the open it names (else the link's latest counts)
    # The device and network hashes under the previous key while a key is rotated: the
    # Redis counters adopt what they counted under it (in-process counters start afresh
    # with the process that a new key needs anyway).
    device_alias: str | None = None
    net_alias: str | None = None
    fresh: bool = False  # a fresh account (inline.is_fresh): counted for the group rule


class RiskCounters(Protocol):
    async def observe(self, obs: Observation) -> CounterSnapshot: ...

    async def record_open(
        self,
        *,
        instance_id: int,
        at: float,
        campaign_id: int | None = None,
        link_id: int | None = None,
        open_id: int | None = None,
    ) -> None: ...

    async def watch_instance(self, instance_id: int, *, seconds: int) -> bool:
        """Put an instance under watch; True only for the call that started it (never
        while the instance is cleared)."""
        ...

    async def clear_watch(self, instance_id: int, *, seconds: int) -> None:
        """Lift the instance's watch and keep a new one from starting for `seconds`: an
        analyst found its burst genuine, so the same burst must not hold it again."""
        ...

    async def alert_campaign(self, campaign_id: int, *, seconds: int) -> bool:
        """Mark a campaign spike reported for `seconds`; True only for the call that
        marked it (one alert per campaign per period, across workers)."""
        ...

    async def close(self) -> None: ...


def _bucket(at: float, window: int) -> int:
    return int(at // window)


def _since(now: float, opened: float | None, memory: int) -> float | None:
    if opened is None or now - opened >= memory:
        return None
    return now - opened


def _instant(since: float | None, instant_seconds: float) -> bool:
    """A tap within `instant_seconds` of its open (a clock behind by a little: below 0)."""
    return since is not None and since < instant_seconds


# Maps kept in time order are OrderedDicts, not dicts: a dict used this way (an entry
# popped and put back at the end on every use, old ones deleted from the front) keeps the
# holes at its front until it next resizes, and finding its first entry walks over all
# of them — a walk over tens of thousands of slots (megabytes, evicting the caches the
# rest of the request needs) every few dozen calls. An OrderedDict finds its oldest entry
# and moves one to the back in constant time. (A device's few accounts stay a dict: it
# compacts itself every few insertions.)


def _last_seen(seen: tuple[int, float] | dict[int, float]) -> float:
    """When a device was last seen: a (helper, at) tuple, or helper -> at in order."""
    return next(reversed(seen.values())) if isinstance(seen, dict) else seen[1]


def _forget_before(times: dict[K, float], horizon: float) -> None:
    """Drop the entries at or before `horizon` from the front of a map kept in time
    order (an entry moved to the back whenever its time changes): amortised O(1) per
    entry, and nothing is ever walked whole."""
    while times:
        key, at = next(iter(times.items()))
        if at > horizon:
            return
        del times[key]


def _touch(times: OrderedDict[K, float], key: K, at: float) -> None:
    """Set key's time and move it to the back, keeping the map in time order."""
    times[key] = at
    times.move_to_end(key)


def _until(marks: OrderedDict[int, float], key: int, now: float) -> bool:
    """Whether a mark set until some time (a watch, a clearance, an alert) still holds."""
    until = marks.get(key)
    return until is not None and until > now


def _set_until(marks: OrderedDict[int, float], key: int, now: float, until: float) -> None:
    """Marks of one kind share one length, so in time order they expire front first."""
    _touch(marks, key, until)
    _forget_before(marks, now)


class _Sightings:
    """Keys of a plain dict in the order they were seen, with the times, so the dict
    can be pruned from its oldest sightings without being kept in order itself: an
    OrderedDict moves an entry on every sighting (relinking its neighbours, cold in
    memory) and takes a node per entry. A key seen again is logged again; `expired`
    hands out each sighting once, and the caller keeps the key if its latest is newer."""

    __slots__ = ("keys", "times")

    def __init__(self) -> None:
        self.keys: deque[Any] = deque()
        self.times: deque[float] = deque()

    def expired(self, horizon: float) -> Iterator[Any]:
        """Pop and yield the keys of the sightings at or before `horizon`."""
        keys, times = self.keys, self.times
        while times and times[0] <= horizon:
            times.popleft()
            yield keys.popleft()


class _Window:
    """Counts per key in fixed windows of `seconds`, for several counters that share the
    window (one dict each per bucket): the current bucket and the one before (a call
    timed just before an edge still lands in its own); older buckets are dropped whole
    when a new one starts. `counts(at)` answers for all the window's counters at once
    (MemoryCounters asks only when a call leaves the span every window's current bucket
    covers)."""

    __slots__ = ("bucket", "current", "n", "previous", "seconds")

    def __init__(self, seconds: int, n: int) -> None:
        self.seconds, self.n = seconds, n
        self.bucket = -2  # no bucket yet
        self.current = self.previous = self._fresh()

    def _fresh(self) -> tuple[dict[Any, Any], ...]:
        return tuple({} for _ in range(self.n))

    def counts(self, at: float) -> tuple[dict[Any, Any], ...]:
        """The dicts of `at`'s bucket, one per counter (empty throwaways for a bucket
        already dropped)."""
        bucket = _bucket(at, self.seconds)
        if bucket == self.bucket:
            return self.current
        if bucket > self.bucket:
            self.previous = self.current if bucket == self.bucket + 1 else self._fresh()
            self.current, self.bucket = self._fresh(), bucket
            return self.current
        return self.previous if bucket == self.bucket - 1 else self._fresh()


def _spike_row(rows: dict[int, list[int]], key: int) -> list[int]:
    """An instance's or campaign's [assists, share opens] in a spike bucket."""
    row = rows.get(key)
    if row is None:
        row = rows[key] = [0, 0]
    return row


# The counts of one moment in every window: network hash, helper id (one dict each),
# then the spike window's three (instances, campaigns, instance x network), then the
# group window's (campaign x network, fresh accounts' assists only).
_Counts = tuple[dict[Any, Any], ...]


class MemoryCounters:
    """Per-process counters for the embedded mode (one worker).

    Nothing here is ever swept whole while the event loop waits: fixed-window counts
    live in one dict per counter and bucket, dropped whole once the bucket before last
    passes (_Window); a device's accounts and the opens are dicts kept in time order,
    devices and pairs plain dicts with their sightings logged in time order
    (_Sightings), all pruned from their oldest (a device's accounts on every use, the
    rest every PRUNE_EVERY calls), because a sweep over every key stops every request in
    flight for as long as it walks, and it walks longer the more helpers there are.
    `observe` runs for every assist: it finds every window's counts with one comparison
    (`_counts`) and counts in plain dict operations, inline (a method call per counter
    costs a third of its time)."""

    PRUNE_EVERY = 64

    def __init__(self, windows: Windows | None = None) -> None:
        w = self.w = windows or Windows()
        self._net = _Window(w.net_seconds, 1)  # network hash
        self._helper = _Window(w.helper_seconds, 1)  # helper id
        # Instance id -> [assists, share opens], campaign id -> [assists, share opens],
        # (instance id, network hash) -> assists: one lookup per instance or campaign.
        self._spike = _Window(w.spike_seconds, 3)
        self._group = _Window(w.group_seconds, 1)  # (campaign id, network hash)
        # (campaign id, 0, network hash) and (campaign id, 1, device hash) -> account ->
        # when it last tapped with no open, in time order; keys logged as devices are.
        self._bursts: dict[tuple[int, int, str], OrderedDict[int, float]] = {}
        self._burst_log = _Sightings()
        # The span of time that lies in every window's current bucket, and their counts:
        # a call within it (nearly every one) finds them with one comparison.
        self._span = (0.0, 0.0)
        self._span_counts: _Counts = ()
        # device -> (helper, last seen) for one account, else helper -> last seen (in
        # last-seen order). A tuple of two takes a quarter of a dict's memory, and the
        # counters keep one entry per device for a day.
        self._devices: dict[str, tuple[int, float] | dict[int, float]] = {}
        self._device_log = _Sightings()
        # Pairs (helper, initiator as one int) -> last seen: the one entry added on
        # nearly every assist, kept for a month, so its size matters: with its sighting
        # about half the memory of an OrderedDict entry with a tuple key.
        self._pairs: dict[int, float] = {}
        self._pair_log = _Sightings()
        self._watched: OrderedDict[int, float] = OrderedDict()  # instance -> until
        self._cleared: OrderedDict[int, float] = OrderedDict()  # instance -> until
        # Times of opens and of each link's latest open, oldest first.
        self._opens: OrderedDict[int, float] = OrderedDict()  # open id -> at
        self._link_opens: OrderedDict[int, float] = OrderedDict()  # link id -> latest at
        self._alerted: OrderedDict[int, float] = OrderedDict()  # campaign -> until
        self._calls = 0

    def _prune(self, now: float) -> None:
        """Devices nobody used for a whole window, and pairs past theirs (from their
        oldest sightings)."""
        w, devices, pairs = self.w, self._devices, self._pairs
        horizon = now - w.device_seconds
        for device in self._device_log.expired(horizon):
            seen = devices.get(device)
            if seen is not None and _last_seen(seen) <= horizon:  # not seen again since
                del devices[device]
        horizon = now - w.pair_seconds
        for pair in self._pair_log.expired(horizon):
            if pairs.get(pair, now) <= horizon:
                del pairs[pair]
        bursts, horizon = self._bursts, now - w.burst_seconds
        for key in self._burst_log.expired(horizon):
            accounts = bursts.get(key)
            if accounts is not None and (not accounts or _last_seen(accounts) <= horizon):
                del bursts[key]

    def _counts(self, at: float) -> _Counts:
        """Every window's counts for `at` (_Counts)."""
        start, end = self._span
        if start <= at < end:
            return self._span_counts
        windows = (self._net, self._helper, self._spike, self._group)
        counts = (
            self._net.counts(at)[0],
            self._helper.counts(at)[0],
            *self._spike.counts(at),
            self._group.counts(at)[0],
        )
        start = max(x.bucket * x.seconds for x in windows)
        end = min((x.bucket + 1) * x.seconds for x in windows)
        if start <= at < end:  # not for a late call (a bucket before the current one)
            self._span, self._span_counts = (float(start), float(end)), counts
        return counts

    async def observe(self, obs: Observation) -> CounterSnapshot:
        now, w = obs.at, self.w
        self._calls += 1
        if self._calls % self.PRUNE_EVERY == 0:
            self._prune(now)
        helper_id, instance_id, campaign = obs.helper_id, obs.instance_id, obs.campaign_id
        device_accounts, device = 0, obs.device_hash
        if device is not None:
            # Most devices carry one account: (helper, last seen), a dict from the second.
            devices, log = self._devices, self._device_log
            log.keys.append(device)
            log.times.append(now)
            seen = devices.get(device)
            if seen is None:
                devices[device] = (helper_id, now)
                device_accounts = 1
            elif isinstance(seen, dict):
                seen.pop(helper_id, None)  # to the back: last-seen order
                seen[helper_id] = now
                _forget_before(seen, now - w.device_seconds)
                device_accounts = len(seen)
            elif seen[0] == helper_id or seen[1] <= now - w.device_seconds:
                devices[device] = (helper_id, now)
                device_accounts = 1
            else:
                devices[device] = {seen[0]: seen[1], helper_id: now}
                device_accounts = 2
        # Counted in plain dict operations, inline (this runs for every assist: a
        # function call per counter cost more than its count).
        nets, helpers, instances, campaigns, instance_nets, groups = self._counts(now)
        net = instance_net = 0
        net_hash = obs.net_hash
        if net_hash:
            net = nets[net_hash] = nets.get(net_hash, 0) + 1
            key = (instance_id, net_hash)
            instance_net = instance_nets[key] = instance_nets.get(key, 0) + 1
        helper = helpers[helper_id] = helpers.get(helper_id, 0) + 1
        inst = instances.get(instance_id) or _spike_row(instances, instance_id)
        inst[0] += 1
        camp_assists = camp_opens = 0  # an unknown campaign (0) is not counted
        if campaign:
            camp = campaigns.get(campaign) or _spike_row(campaigns, campaign)
            camp[0] += 1
            camp_assists, camp_opens = camp
        pairs, initiator = self._pairs, obs.initiator_id
        # (helper, initiator) as one int: account ids are non-negative and below 2**63,
        # so it is exact; the shop is implied (an account assists only in its own shop).
        pair = helper_id << 64 | initiator
        pairs[pair] = now
        log = self._pair_log
        log.keys.append(pair)
        log.times.append(now)
        reverse = pairs.get(initiator << 64 | helper_id, 0.0)
        if obs.share_open_id is not None:
            opened = self._opens.get(obs.share_open_id)
        elif obs.share_link_id is not None:
            opened = self._link_opens.get(obs.share_link_id)
        else:
            opened = None
        since = None if opened is None else _since(now, opened, w.open_seconds)
        suspects = 0
        if obs.fresh and campaign and net_hash:
            group = (campaign, net_hash)
            suspects = groups[group] = groups.get(group, 0) + 1
            if groups is self._group.current[0]:  # and the bucket before: no edge splits
                suspects += self._group.previous[0].get(group, 0)  # a burst in two
        net_unopened = device_unopened = 0
        if campaign and (
            (since is None and obs.share_open_id is None) or _instant(since, w.instant_seconds)
        ):
            # No open to show for it (none named, and none of its link remembered), or a
            # tap as the page answered.
            if net_hash:
                net_unopened = self._tapped_unopened((campaign, 0, net_hash), helper_id, now)
            if device is not None:
                device_unopened = self._tapped_unopened((campaign, 1, device), helper_id, now)
        # Watches, clearances and alerts are rare: most calls find their maps empty.
        watched, cleared, alerted = self._watched, self._cleared, self._alerted
        return CounterSnapshot(
            device_accounts,
            net,
            helper,
            reverse > now - w.pair_seconds,
            inst[0],
            inst[1],
            instance_net,
            bool(watched) and _until(watched, instance_id, now),
            bool(cleared) and _until(cleared, instance_id, now),
            camp_assists,
            camp_opens,
            bool(alerted) and _until(alerted, campaign, now),
            since,
            suspects,
            net_unopened,
            device_unopened,
        )

    def _tapped_unopened(self, key: tuple[int, int, str], account: int, now: float) -> int:
        """The accounts that tapped with no open under `key` within the burst window,
        this one included (sliding: each account once, at its latest)."""
        accounts = self._bursts.get(key)
        if accounts is None:
            accounts = self._bursts[key] = OrderedDict()
        _touch(accounts, account, now)
        _forget_before(accounts, now - self.w.burst_seconds)
        log = self._burst_log
        log.keys.append(key)
        log.times.append(now)
        return len(accounts)

    async def record_open(
        self,
        *,
        instance_id: int,
        at: float,
        campaign_id: int | None = None,
        link_id: int | None = None,
        open_id: int | None = None,
    ) -> None:
        _, _, instances, campaigns, *_ = self._counts(at)
        _spike_row(instances, instance_id)[1] += 1
        if campaign_id:
            _spike_row(campaigns, campaign_id)[1] += 1
        horizon = at - self.w.open_seconds
        if open_id is not None:
            _touch(self._opens, open_id, at)
            _forget_before(self._opens, horizon)
        if link_id is not None:
            _touch(self._link_opens, link_id, at)
            _forget_before(self._link_opens, horizon)

    async def watch_instance(self, instance_id: int, *, seconds: int) -> bool:
        now = time.time()
        if _until(self._watched, instance_id, now) or _until(self._cleared, instance_id, now):
            return False
        _set_until(self._watched, instance_id, now, now + seconds)
        return True

    async def clear_watch(self, instance_id: int, *, seconds: int) -> None:
        now = time.time()
        self._watched.pop(instance_id, None)
        _set_until(self._cleared, instance_id, now, now + seconds)

    async def alert_campaign(self, campaign_id: int, *, seconds: int) -> bool:
        now = time.time()
        if _until(self._alerted, campaign_id, now):
            return False
        _set_until(self._alerted, campaign_id, now, now + seconds)
        return True

    async def close(self) -> None:
        return None


# One script call observes a whole group of assists, in order. Per assist, 17 KEYS: its
# device set, net / helper / instance / campaign counters, the pair it makes and its
# reverse, the instance's opens, its watch, this share's open time, the campaign's opens
# and alert, the instance × network counter, the campaign × network counter of fresh
# accounts and its bucket before ("" where an observation has none, or for an account
# that is not fresh), the campaign × network and campaign × device sorted sets of the
# accounts that tapped with no open or as the page answered, by time (the script adds
# an assist only when no open of its link is remembered and it names none, or its open
# was less than the instant threshold before it; "" with no campaign); and three ARGV
# after the eight shared ones: its helper id, its time and whether it names its open
# ("1"/"0"). The shared ARGV: the device window, the counters' lifetimes (net, helper,
# spike), the pair window, the group counter's lifetime, the burst window, the instant
# threshold. The reply: one array of fifteen numbers per assist. (The script spells out
# the 17.)
KEYS_PER_OBSERVATION = 17
OBSERVE_LUA = """
local function incr(key, ttl)
  if key == '' then return 0 end
  local n = redis.call('INCR', key)
  redis.call('EXPIRE', key, ttl)
  return n
end
local function get(key)
  if key == '' then return false end
  return redis.call('GET', key)
end
local function incr_both(key, before, ttl)
  if key == '' then return 0 end
  return incr(key, ttl) + tonumber(redis.call('GET', before) or 0)
end
-- the accounts in a sorted set by time within the window (sliding, each once)
local function accounts_within(key, account, now, window)
  if key == '' then return 0 end
  redis.call('ZADD', key, now, account)
  redis.call('ZREMRANGEBYSCORE', key, 0, tonumber(now) - tonumber(window))
  redis.call('EXPIRE', key, window)
  return redis.call('ZCARD', key)
end
local device_window, net_ttl, helper_ttl, spike_ttl, pair_window, group_ttl, burst_window =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local instant = tonumber(ARGV[8])
local replies = {}
for i = 0, #KEYS / 17 - 1 do
  local k, helper_id, now = i * 17, ARGV[9 + 3 * i], ARGV[10 + 3 * i]
  local named = ARGV[11 + 3 * i] == '1'
  local device = 0
  if KEYS[k + 1] ~= '' then
    redis.call('ZADD', KEYS[k + 1], now, helper_id)
    redis.call('ZREMRANGEBYSCORE', KEYS[k + 1], 0, tonumber(now) - tonumber(device_window))
    device = redis.call('ZCARD', KEYS[k + 1])
    redis.call('EXPIRE', KEYS[k + 1], device_window)
  end
  local net = incr(KEYS[k + 2], net_ttl)
  local helper = incr(KEYS[k + 3], helper_ttl)
  local inst = incr(KEYS[k + 4], spike_ttl)
  local camp = incr(KEYS[k + 5], spike_ttl)
  local inst_net = incr(KEYS[k + 13], spike_ttl)
  redis.call('SET', KEYS[k + 6], 1, 'EX', pair_window)
  local reciprocal = redis.call('EXISTS', KEYS[k + 7])
  local alerted = 0
  if KEYS[k + 12] ~= '' then alerted = redis.call('EXISTS', KEYS[k + 12]) end
  local opened = get(KEYS[k + 10])
  -- each with the bucket before: no bucket edge splits a burst
  local suspects = incr_both(KEYS[k + 14], KEYS[k + 15], group_ttl)
  local net_unopened, device_unopened = 0, 0
  if (not opened and not named) or (opened and tonumber(now) - tonumber(opened) < instant) then
    net_unopened = accounts_within(KEYS[k + 16], helper_id, now, burst_window)
    device_unopened = accounts_within(KEYS[k + 17], helper_id, now, burst_window)
  end
  replies[i + 1] = {device, net, helper, reciprocal, inst, get(KEYS[k + 8]), get(KEYS[k + 9]),
                    camp, get(KEYS[k + 11]), alerted, opened, inst_net, suspects,
                    net_unopened, device_unopened}
end
return replies
"""
# While a hashing key is rotated: move what the counters hold under a device's and a
# network's previous hash to their current one (a device's accounts are merged, counts
# are added), so nothing they remember is lost with the old key. KEYS: the device set,
# the network counter, the instance × network counter, each followed by its previous
# name ("" where there is none); ARGV: their lifetimes.
ADOPT_LUA = """
for i = 1, 5, 2 do
  local old = KEYS[i + 1]
  if old ~= '' and redis.call('EXISTS', old) == 1 then
    if i == 1 then
      redis.call('ZUNIONSTORE', KEYS[i], 2, KEYS[i], old, 'AGGREGATE', 'MAX')
    else
      redis.call('INCRBY', KEYS[i], redis.call('GET', old))
    end
    redis.call('EXPIRE', KEYS[i], ARGV[(i + 1) / 2])
    redis.call('DEL', old)
  end
end
return 0
"""
# Observations per script call: Redis runs a script without serving anyone else, so a
# group this size holds it for about a millisecond.
MAX_GROUP = 128


def _resp(args: list[Any]) -> bytes:
    """One command in the Redis protocol (RESP): an array of bulk strings."""
    data = [arg if isinstance(arg, bytes) else str(arg).encode() for arg in args]
    return b"*%d\r\n" % len(data) + b"".join(b"$%d\r\n%b\r\n" % (len(d), d) for d in data)


class RedisCounters:
    """The same counts in Redis, shared by every worker, in script calls (OBSERVE_LUA):
    a pipeline of twenty commands per assist costs more client CPU in redis-py than the
    rest of the assist. The assists that arrive in the same turn of the event loop are
    observed by one script call together (up to MAX_GROUP each), one command and one
    reply for all of them: each reply read through redis-py costs client CPU, and each
    script call Redis's own overhead. The group runs atomically, in order."""

    def __init__(self, client: Any, windows: Windows | None = None, prefix: str = PREFIX) -> None:
        self.r = client
        self.w = windows or Windows()
        self.prefix = prefix
        self._sha: str | None = None  # OBSERVE_LUA's, once loaded
        self._pending: list[tuple[list[Any], asyncio.Future[Any]]] = []
        self._flush_scheduled = False
        self._flushes: set[asyncio.Task[None]] = set()
        w = self.w  # OBSERVE_LUA's shared arguments: the windows, fixed for the client
        self._shared_args: list[int | str] = [w.device_seconds, w.net_seconds * 2]
        self._shared_args += [w.helper_seconds * 2, w.spike_seconds * 2, w.pair_seconds]
        self._shared_args += [w.group_seconds * 2]
        self._shared_args += [w.burst_seconds, repr(float(w.instant_seconds))]

    async def _run_script(
        self, keys: list[str], helper_id: int, now: float, *, named_open: bool
    ) -> Any:
        """OBSERVE_LUA's reply for one observation (its 17 keys, helper id, time and
        whether it names its open), observed in one script call with the others of this
        turn of the loop."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append(([*keys, helper_id, repr(now), "1" if named_open else "0"], future))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        self._flush_scheduled = False
        batch, self._pending = self._pending, []
        task = asyncio.get_running_loop().create_task(self._send(batch))
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def _send(self, batch: list[tuple[list[Any], asyncio.Future[Any]]]) -> None:
        await settle([f for _, f in batch], self._replies([call for call, _ in batch]))

    async def _replies(self, calls: list[list[Any]]) -> list[Any]:
        """One reply per observation, from one script call per MAX_GROUP of them."""
        if self._sha is None:
            self._sha = await self.r.script_load(OBSERVE_LUA)
        groups = [calls[i : i + MAX_GROUP] for i in range(0, len(calls), MAX_GROUP)]
        replies = await self._evalsha_all(groups)
        missing = [i for i, r in enumerate(replies) if isinstance(r, NoScriptError)]
        if missing:  # Redis restarted or was flushed: those calls ran nothing, rerun
            self._sha = await self.r.script_load(OBSERVE_LUA)
            again = await self._evalsha_all([groups[i] for i in missing])
            for i, reply in zip(missing, again, strict=True):
                replies[i] = reply
        return [
            observed
            for group, reply in zip(groups, replies, strict=True)
            for observed in (reply if isinstance(reply, list) else [reply] * len(group))
        ]

    def _script_call(self, group: list[list[Any]]) -> bytes:
        """EVALSHA of one group, in the Redis protocol: every observation's keys, then the
        shared arguments, then every observation's helper id and time."""
        keys = [key for call in group for key in call[:KEYS_PER_OBSERVATION]]
        per_call = [arg for call in group for arg in call[KEYS_PER_OBSERVATION:]]
        sha = self._sha or ""
        return _resp(["EVALSHA", sha, len(keys), *keys, *self._shared_args, *per_call])

    async def _evalsha_all(self, groups: list[list[list[Any]]]) -> list[Any]:
        """Every group's EVALSHA in one socket write, then their replies in order (an
        error reply, such as NOSCRIPT, is that group's result). The commands are framed
        here (`_resp`) and sent on a connection of the client's pool: redis-py's asyncio
        pipeline packs each argument in Python, which for a call of twenty arguments costs
        more CPU than the rest of the scorer; its connection and hiredis reply parser are
        used as they are."""
        payload = b"".join(self._script_call(group) for group in groups)
        try:
            return await self._send_and_read(payload, len(groups))
        except (ConnectionError, TimeoutError):
            # A dropped connection (Redis restarted, an idle socket closed): once more on
            # a fresh one, as redis-py retries its own commands. A call whose script ran
            # before the drop is counted twice: counters are evidence, not caps.
            return await self._send_and_read(payload, len(groups))

    async def _send_and_read(self, payload: bytes, n: int) -> list[Any]:
        pool = self.r.connection_pool
        conn = await pool.get_connection()
        try:
            await conn.send_packed_command(payload, check_health=False)
            replies: list[Any] = []
            for _ in range(n):
                try:
                    replies.append(await conn.read_response())
                except ResponseError as exc:  # this group's own error; the rest still come
                    replies.append(exc)
            return replies
        except BaseException:
            # Replies may be left unread on the socket: never hand it to anyone again.
            await conn.disconnect()
            raise
        finally:
            await pool.release(conn)

    @classmethod
    def from_url(
        cls, url: str, windows: Windows | None = None, prefix: str = PREFIX
    ) -> RedisCounters:
        import redis.asyncio as aioredis

        return cls(aioredis.Redis.from_url(url), windows, prefix)

    async def observe(self, obs: Observation) -> CounterSnapshot:
        now, w, p = obs.at, self.w, self.prefix
        bucket = _bucket(now, w.spike_seconds)

        def counter(name: str | None, window: int) -> str:
            return f"{p}{name}:{_bucket(now, window)}" if name is not None else ""

        if obs.share_open_id is not None:
            opened_key = f"{p}opened:{obs.share_open_id}"
        elif obs.share_link_id is not None:
            opened_key = f"{p}linkopen:{obs.share_link_id}"
        else:
            opened_key = ""
        camp = obs.campaign_id
        grouped = ["", ""]  # a fresh account's network on the campaign, this bucket and the last
        if obs.fresh and camp and obs.net_hash:
            group = f"{p}cnet:{camp}:{obs.net_hash}:"
            last = _bucket(now, w.group_seconds)
            grouped = [f"{group}{last}", f"{group}{last - 1}"]
        # The accounts tapping with no open (or as the page answered) from its network
        # and from its device on the campaign: added by the script only when no open is
        # known and none named, or the open it came through was an instant ago.
        bursts = ["", ""]
        if camp:
            if obs.net_hash:
                bursts[0] = f"{p}bnet:{camp}:{obs.net_hash}"
            if obs.device_hash is not None:
                bursts[1] = f"{p}bdev:{camp}:{obs.device_hash}"
        keys = [
            f"{p}dev:{obs.device_hash}" if obs.device_hash is not None else "",
            counter(f"net:{obs.net_hash}" if obs.net_hash else None, w.net_seconds),
            counter(f"helper:{obs.helper_id}", w.helper_seconds),
            counter(f"inst:{obs.instance_id}", w.spike_seconds),
            counter(f"camp:{camp}" if camp else None, w.spike_seconds),
            f"{p}pair:{obs.shop_id}:{obs.helper_id}:{obs.initiator_id}",
            f"{p}pair:{obs.shop_id}:{obs.initiator_id}:{obs.helper_id}",
            f"{p}open:{obs.instance_id}:{bucket}",
            f"{p}watch:{obs.instance_id}",
            opened_key,
            f"{p}copen:{camp}:{bucket}" if camp else "",
            f"{p}calert:{camp}" if camp else "",
            counter(f"inet:{obs.instance_id}:{obs.net_hash}", w.spike_seconds)
            if obs.net_hash
            else "",
            *grouped,
            *bursts,
        ]
        if obs.device_alias is not None or obs.net_alias is not None:
            await self._adopt(obs, keys, counter)
        (device, net, helper, reciprocal, inst, inst_opens, watch, camp_n, camp_opens,
         alerted, opened, inst_net, suspects, net_unopened,
         device_unopened) = await self._run_script(
            keys, obs.helper_id, now, named_open=obs.share_open_id is not None
        )  # fmt: skip
        watch = None if watch is None else int(watch)  # "1" watched, "0" cleared
        return CounterSnapshot(
            device_accounts=int(device),
            net_assists=int(net),
            helper_assists=int(helper),
            reciprocal=bool(reciprocal),
            instance_assists=int(inst),
            instance_opens=int(inst_opens or 0),
            instance_net_assists=int(inst_net),
            instance_watched=watch == 1,
            instance_cleared=watch == 0,
            campaign_assists=int(camp_n),
            campaign_opens=int(camp_opens or 0),
            campaign_alerted=bool(alerted),
            seconds_since_open=_since(
                now, float(opened) if opened is not None else None, w.open_seconds
            ),
            campaign_net_suspects=int(suspects),
            campaign_net_unopened=int(net_unopened),
            campaign_device_unopened=int(device_unopened),
        )

    async def _adopt(
        self, obs: Observation, keys: list[str], counter: Callable[[str | None, int], str]
    ) -> None:
        """ADOPT_LUA for one observation's device and network (before it is counted)."""
        w, device, net = self.w, obs.device_alias, obs.net_alias
        pairs = [
            keys[0],
            f"{self.prefix}dev:{device}" if device is not None and keys[0] else "",
            keys[1],
            counter(f"net:{net}", w.net_seconds) if net and keys[1] else "",
            keys[12],
            counter(f"inet:{obs.instance_id}:{net}", w.spike_seconds) if net and keys[12] else "",
        ]
        lifetimes = [w.device_seconds, w.net_seconds * 2, w.spike_seconds * 2]
        await self.r.eval(ADOPT_LUA, len(pairs), *pairs, *lifetimes)

    async def record_open(
        self,
        *,
        instance_id: int,
        at: float,
        campaign_id: int | None = None,
        link_id: int | None = None,
        open_id: int | None = None,
    ) -> None:
        bucket = _bucket(at, self.w.spike_seconds)
        pipe = self.r.pipeline(transaction=False)
        names = [f"open:{instance_id}"] + ([f"copen:{campaign_id}"] if campaign_id else [])
        for name in names:
            key = f"{self.prefix}{name}:{bucket}"
            pipe.incr(key)
            pipe.expire(key, self.w.spike_seconds * 2)
        stamp = repr(at)
        if open_id is not None:
            pipe.set(f"{self.prefix}opened:{open_id}", stamp, ex=self.w.open_seconds)
        if link_id is not None:
            pipe.set(f"{self.prefix}linkopen:{link_id}", stamp, ex=self.w.open_seconds)
        await pipe.execute()

    async def watch_instance(self, instance_id: int, *, seconds: int) -> bool:
        # NX: one worker starts it, and a cleared instance ("0" in the key) starts none.
        return bool(await self.r.set(f"{self.prefix}watch:{instance_id}", 1, ex=seconds, nx=True))

    async def clear_watch(self, instance_id: int, *, seconds: int) -> None:
        await self.r.set(f"{self.prefix}watch:{instance_id}", 0, ex=seconds)

    async def alert_campaign(self, campaign_id: int, *, seconds: int) -> bool:
        key = f"{self.prefix}calert:{campaign_id}"
        return bool(await self.r.set(key, 1, ex=seconds, nx=True))

    async def close(self) -> None:
        await self.r.aclose()


def open_counters(
    redis_url: str | None, windows: Windows | None = None, *, key_prefix: str = "huzhu"
) -> RiskCounters:
    """Redis counters under `{key_prefix}:risk:` when a URL is set, else in-process."""
    if not redis_url:
        return MemoryCounters(windows)
    return RedisCounters.from_url(redis_url, windows, prefix=f"{key_prefix}:risk:")
