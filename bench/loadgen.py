"""The benches' shared load side: a real `huzhu serve` started on a free port, a raw-socket
load generator run in its own process, and the server's CPU read from /proc around each run.

bench/assist.py and bench/invites.py import it (they are run as scripts from the repo
root, so bench/ is on sys.path); `run_load` and `run_ab` run this file as the load
process:

    python bench/loadgen.py < SPEC_PATHS  # one JSON line per spec: statuses, ok_rps, p50/p99

The generator is asyncio on uvloop (when installed): keep-alive HTTP/1.1 connections, each
sending its next request as soon as the last answer is read in full, a warm-up, then a
bounded measured window. `run_ab` drives two servers taking turns (an A/B comparison that
the host's swings in speed touch alike).
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"


# -- the load process -------------------------------------------------------------------


class _Conn(asyncio.Protocol):
    """One keep-alive connection: send, read the whole response, record, send the next."""

    def __init__(self, gen: _Generator) -> None:
        self.gen = gen  # or an A/B run's _Side
        self.buf = b""
        self.sent_at = 0.0
        self.transport: asyncio.Transport | None = None
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not a subclass
        self._send()

    def _send(self) -> None:
        assert self.transport is not None
        request = self.gen.next_request()
        if request is None:
            self.transport.close()
            return
        if not request:  # its side of an A/B run is paused: it is resumed later
            self.gen.park(self)
            return
        self.sent_at = time.perf_counter()
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            head_end = self.buf.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buf[:head_end]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            end = head_end + 4 + length
            if len(self.buf) < end:
                return
            status = int(head[9:12])
            self.buf = self.buf[end:]
            self.gen.record(status, time.perf_counter() - self.sent_at)
            self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class _Generator:
    def __init__(self, requests: list[bytes], *, warmup: float, duration: float) -> None:
        self.requests = requests
        self.i = 0
        self.start = time.perf_counter()
        self.measure_from = self.start + warmup
        self.stop_at = self.measure_from + duration
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.first = 0.0
        self.last = 0.0
        self.answered = 0  # warm-up included: the server's CPU is sampled around it all

    def next_request(self) -> bytes | None:
        if time.perf_counter() >= self.stop_at or self.i >= len(self.requests):
            return None
        request = self.requests[self.i]
        self.i += 1
        return request

    def park(self, conn: _Conn) -> None:
        raise AssertionError("a plain run never pauses")

    def record(self, status: int, seconds: float) -> None:
        self.answered += 1
        now = time.perf_counter()
        if now < self.measure_from:
            return
        if not self.first:
            self.first = now
        self.last = now
        self.latencies.append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1


async def _drive(spec: dict[str, Any]) -> dict[str, Any]:
    host, port = spec["host"], int(spec["port"])
    requests = [line.encode("latin-1") for line in spec["requests"]]
    gen = _Generator(requests, warmup=spec["warmup"], duration=spec["duration"])
    loop = asyncio.get_running_loop()
    conns = []
    for _ in range(int(spec["connections"])):
        _, proto = await loop.create_connection(lambda: _Conn(gen), host, port)
        conns.append(proto)
    await asyncio.gather(*(c.closed for c in conns))
    elapsed = max(gen.last - gen.first, 1e-9)
    lat = sorted(gen.latencies)

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 2) if lat else 0.0

    return {
        "elapsed": elapsed,
        "statuses": gen.statuses,
        "ok_rps": sum(n for s, n in gen.statuses.items() if 200 <= s < 300) / elapsed,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "exhausted": gen.i >= len(requests),
        "answered": gen.answered,
    }


class _Side(_Generator):
    """One server of an interleaved A/B run: it sends only while active, parking each
    connection as its answer arrives otherwise, and knows how long it was active inside
    the measured window."""

    def __init__(self, requests: list[bytes], *, warmup: float, duration: float) -> None:
        super().__init__(requests, warmup=warmup, duration=duration)
        self.active = False
        self.parked: list[_Conn] = []
        self.active_seconds = 0.0

    def next_request(self) -> bytes | None:
        # Paused: b"" parks the connection (at the end every side is made active again,
        # so each parked connection then hears None and closes).
        return super().next_request() if self.active else b""

    def park(self, conn: _Conn) -> None:
        self.parked.append(conn)

    def record(self, status: int, seconds: float) -> None:
        if time.perf_counter() < self.stop_at:  # its turns' time ends at stop_at too
            super().record(status, seconds)
        else:
            self.answered += 1

    def run_for(self, start: float, end: float) -> None:
        """Account a slice during which this side was active."""
        self.active_seconds += max(0.0, min(end, self.stop_at) - max(start, self.measure_from))


async def _drive_ab(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Two servers in turns of `slice` seconds (A, B, A, B, ...), each with its own
    connections: when a turn ends the server's connections finish the request they have
    in flight and wait for its next turn. Both servers see the same neighbours within a
    fraction of a second, so their throughputs compare with far less noise than two runs
    one after the other. Each side's rate is its answers over its own turns' time."""
    loop = asyncio.get_running_loop()
    sides = [
        _Side([line.encode("latin-1") for line in t["requests"]], warmup=spec["warmup"],
              duration=spec["duration"])
        for t in spec["targets"]
    ]  # fmt: skip
    conns: list[_Conn] = []
    for side, target in zip(sides, spec["targets"], strict=True):
        for _ in range(int(spec["connections"])):
            _, proto = await loop.create_connection(
                functools.partial(_Conn, side), "127.0.0.1", int(target["port"])
            )
            conns.append(proto)
    turn = 0
    while time.perf_counter() < sides[0].stop_at:
        side = sides[turn % len(sides)]
        side.active = True
        start = time.perf_counter()
        waiting, side.parked = side.parked, []
        for conn in waiting:
            conn._send()
        await asyncio.sleep(float(spec["slice"]))
        side.active = False
        side.run_for(start, time.perf_counter())
        turn += 1
    for side in sides:
        side.active = True  # the end: each parked connection learns it and closes
        waiting, side.parked = side.parked, []
        for conn in waiting:
            conn._send()
    await asyncio.gather(*(c.closed for c in conns))
    return [
        {
            "statuses": side.statuses,
            "ok_rps": sum(n for s, n in side.statuses.items() if 200 <= s < 300)
            / max(side.active_seconds, 1e-9),
            "active_seconds": side.active_seconds,
            "answered": side.answered,
            "exhausted": side.i >= len(side.requests),
        }
        for side in sides
    ]


def load_main() -> None:
    """The load process: for each spec path read from stdin, drive the server as the spec
    says and print the result as one JSON line. One process serves a whole bench (its
    start-up, ~0.3 s, once instead of per run)."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    for line in sys.stdin:
        spec = json.loads(Path(line.strip()).read_text())
        drive = _drive_ab if "targets" in spec else _drive
        print(json.dumps(asyncio.run(drive(spec))), flush=True)


def _tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its descendants (uvicorn's workers), from /proc.
    CPU per answered request does not depend on what else the machine runs, so its ratio
    between the trivial route and an assist is the throughput ratio a quiet machine
    would show when the server is the bottleneck."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def run_load(
    *,
    port: int,
    requests: list[str],
    connections: int,
    warmup: float,
    duration: float,
    server_pid: int | None = None,
    settle: float = 1.0,
) -> dict[str, Any]:
    """Run the generator in its own process so it does not share the server's GIL.
    `settle`: seconds to wait after the load before reading the server's CPU, so work the
    run left behind (a checkpoint, the outbox) is counted with it."""
    cpu_before = _tree_cpu_seconds(server_pid) if server_pid else 0.0
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(
            {
                "host": "127.0.0.1",
                "port": port,
                "requests": requests,
                "connections": connections,
                "warmup": warmup,
                "duration": duration,
            },
            f,
        )
    try:
        result: dict[str, Any] = _load_process().run(f.name, timeout=duration + warmup + 60)
    finally:
        os.unlink(f.name)
    if server_pid:
        time.sleep(settle)
        cpu = _tree_cpu_seconds(server_pid) - cpu_before
        result["cpu_us_per_req"] = round(cpu / max(result["answered"], 1) * 1e6, 1)
    return result


def run_ab(
    *,
    targets: list[tuple[int, int, list[str]]],
    connections: int,
    warmup: float,
    duration: float,
    turn: float,
    settle: float = 1.0,
) -> list[dict[str, Any]]:
    """An interleaved A/B run (see _drive_ab) of (port, server pid, requests) targets:
    one result per target, with its server's CPU per answered request over the run."""
    cpu_before = [_tree_cpu_seconds(pid) for _, pid, _ in targets]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(
            {
                "targets": [{"port": port, "requests": reqs} for port, _, reqs in targets],
                "connections": connections,
                "warmup": warmup,
                "duration": duration,
                "slice": turn,
            },
            f,
        )
    try:
        results: list[dict[str, Any]] = _load_process().run(f.name, timeout=duration + warmup + 60)
    finally:
        os.unlink(f.name)
    time.sleep(settle)
    for result, (_, pid, _), before in zip(results, targets, cpu_before, strict=True):
        cpu = _tree_cpu_seconds(pid) - before
        result["cpu_us_per_req"] = round(cpu / max(result["answered"], 1) * 1e6, 1)
    return results


class _LoadProcess:
    """The generator's process (this file run as a script), kept for the whole bench."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, spec_path: str, *, timeout: float) -> Any:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(spec_path + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.proc.kill()
            _LOAD.clear()
            raise RuntimeError("the load process died or hung")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=10)


_LOAD: list[_LoadProcess] = []


def _load_process() -> _LoadProcess:
    if not _LOAD:
        _LOAD.append(_LoadProcess())
        atexit.register(_LOAD[0].close)
    return _LOAD[0]


# -- the server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Scoring "on" runs the whole inline scorer (client hints, counters, the score) with
# thresholds no score can reach and spikes and group holds no burst can raise (the load
# is one network tapping without share opens, many a second: the very burst the no-open
# rule holds, counted all the same), so every assist is still counted, no review case is
# opened, and the two runs do the same writes; "off" skips the scorer.
SCORING_ON = {
    "HUZHU_RISK__INLINE_ENABLED": "true",
    "HUZHU_RISK__HOLD_SCORE": "1.0",
    "HUZHU_RISK__REFUSE_SCORE": "1.0",
    "HUZHU_RISK__SPIKE_MIN_ASSISTS": str(10**9),
    "HUZHU_RISK__CAMPAIGN_SPIKE_MIN_ASSISTS": str(10**9),
    "HUZHU_RISK__SPIKE_NETWORK_ASSISTS": str(10**9),
    "HUZHU_RISK__BURST_INSTANCE_ASSISTS": str(10**9),
    "HUZHU_RISK__BURST_CAMPAIGN_ASSISTS": str(10**9),
}
SCORING_OFF = {"HUZHU_RISK__INLINE_ENABLED": "false"}


def start_server(
    db_url: str, *, workers: int, redis_url: str | None, extra_env: dict[str, str] | None = None
) -> tuple[Any, int]:
    """A real `huzhu serve` on a free port, answering /healthz: (process, port)."""
    proc, port = spawn_server(db_url, workers=workers, redis_url=redis_url, extra_env=extra_env)
    wait_ready(proc, port)
    return proc, port


def spawn_server(
    db_url: str, *, workers: int, redis_url: str | None, extra_env: dict[str, str] | None = None
) -> tuple[Any, int]:
    """Start `huzhu serve` without waiting for it (several servers start side by side)."""
    port = free_port()
    env = {**os.environ, "HUZHU_DATABASE_URL": db_url, "HUZHU_ENV": "embedded"}
    if redis_url:
        env["HUZHU_REDIS_URL"] = redis_url
    env.update(extra_env or SCORING_ON)
    cmd = [
        sys.executable, "-m", "huzhu.cli.main", "serve", "--port", str(port),
        "--workers", str(workers), "--no-migrate", "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return proc, port


def wait_ready(proc: Any, port: int) -> None:
    import httpx

    deadline = time.monotonic() + 90  # a loaded machine imports the app slowly
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("server did not come up")


# -- backends -----------------------------------------------------------------------------


def reachable_postgres(url: str) -> bool:
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except Exception:
        return False


def reachable_redis(url: str) -> bool:
    try:
        import redis

        redis.Redis.from_url(url, socket_timeout=2).ping()
        return True
    except Exception:
        return False


def pg_admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


if __name__ == "__main__":
    load_main()
