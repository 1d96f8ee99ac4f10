"""The counters in process, for the embedded mode (one worker): `MemoryCounters`, and
the time-ordered maps and fixed windows it counts in without ever sweeping them whole."""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterator
from typing import Any, TypeVar

from huzhu.kit import clock
from huzhu.risk.counters.ports import Observation, Windows, bucket_of, seconds_since
from huzhu.risk.inline import CounterSnapshot

K = TypeVar("K")


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
        bucket = bucket_of(at, self.seconds)
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
        since = None if opened is None else seconds_since(now, opened, w.open_seconds)
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
        now = clock.time()  # the app clock, as every observation's time is
        if _until(self._watched, instance_id, now) or _until(self._cleared, instance_id, now):
            return False
        _set_until(self._watched, instance_id, now, now + seconds)
        return True

    async def clear_watch(self, instance_id: int, *, seconds: int) -> None:
        now = clock.time()  # the app clock, as every observation's time is
        self._watched.pop(instance_id, None)
        _set_until(self._cleared, instance_id, now, now + seconds)

    async def alert_campaign(self, campaign_id: int, *, seconds: int) -> bool:
        now = clock.time()  # the app clock, as every observation's time is
        if _until(self._alerted, campaign_id, now):
            return False
        _set_until(self._alerted, campaign_id, now, now + seconds)
        return True

    async def close(self) -> None:
        return None
