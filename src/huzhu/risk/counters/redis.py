"""The counters in Redis, shared by every worker: `RedisCounters`, and the Lua scripts it
observes with, one call for the assists of a turn of the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from redis.exceptions import ConnectionError, NoScriptError, ResponseError, TimeoutError

from huzhu.kit.batching import settle
from huzhu.risk.counters.ports import Observation, Windows, bucket_of, seconds_since
from huzhu.risk.inline import CounterSnapshot

PREFIX = "huzhu:risk:"


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
        bucket = bucket_of(now, w.spike_seconds)

        def counter(name: str | None, window: int) -> str:
            return f"{p}{name}:{bucket_of(now, window)}" if name is not None else ""

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
            last = bucket_of(now, w.group_seconds)
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
            seconds_since_open=seconds_since(
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
        bucket = bucket_of(at, self.w.spike_seconds)
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
