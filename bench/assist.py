"""Counted assists per second and latency against the trivial /healthz of the same app.

    python bench/assist.py --quick        # under two minutes; the last line is JSON

For each backend (SQLite with one worker; PostgreSQL with one worker — and two without
--quick — when it answers at HUZHU_BENCH_POSTGRES_URL or 127.0.0.1:5432, with Redis
when it answers) this:

1. makes a fresh migrated database and seeds it (bench/seeding.py): a shop, a bargain
   campaign, tens of thousands of participants with their tokens, 200 instances for the
   spread runs and one big instance for the hot runs;
2. starts a real `huzhu serve` (same middleware as production, in-process job runner)
   with the inline scorer on; for SQLite also a second server on a copy of the same
   database with the scorer off, for the scorer's cost;
3. drives them from a SEPARATE load process on loopback (bench/loadgen.py: a raw-socket
   asyncio generator on uvloop, keep-alive HTTP/1.1, 64 connections), after an untimed
   warm-up burst on each server:
   - on SQLite first the scorer's A/B: interleaved runs of the scoring-on and the
     scoring-off server (loadgen.run_ab: each has its own 64 connections and they take
     turns of 0.1 s, so both see the same neighbours), spread and hot, which server
     starts alternating from run to run;
   - then ROUNDS on the scoring-on server: each round runs every kind once for a bounded
     time — GET /healthz, assists spread over the 200 instances, assists all on the hot
     instance — in an order rotated from round to round.
   Every assist is a distinct (helper, instance) pair, so each one is counted.

The machine is shared (a virtual machine whose host takes CPU away at times: steal time
of 20% for seconds has been seen here), so one long run of each kind after the other
measures the neighbours as much as the code. Kinds run side by side in time within a
round, and each figure is the MEDIAN over rounds: ratio = the median of the rounds'
(counted assists/s ÷ trivial requests/s); p50/p99 = the medians of the rounds' own
percentiles (the worst round's p99 is reported too); the scorer's cost = 1 − the median
over the A/B runs of (assists/s scoring on ÷ scoring off). `--aa` runs the A/B with both
servers scoring, to see what the method reads when there is nothing to find.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

from loadgen import SCORING_OFF, SCORING_ON, run_ab, run_load, spawn_server, wait_ready
from seeding import add_instance, bench_world, fresh_database, participant_tokens

SPREAD_INSTANCES = 200
# Assists per second stay under this here; a run needs that many distinct pairs.
MAX_RATE = 8_000
# /healthz answers up to ~13,000 a second here: requests of a trivial run cost nothing.
TRIVIAL_RATE = 20_000
# The scorer A/B's turns: short against the seconds over which the host's speed swings,
# long against the few milliseconds a server takes to finish what it has in flight.
AB_TURN_SECONDS = 0.1


@dataclass
class Seeded:
    spread_instances: list[int]
    hot_instance: int
    tokens: list[str]
    spread_helpers: int  # helpers cycled over the spread instances (coprime with 200)


def seed(db_url: str, *, helpers: int) -> Seeded:
    """`helpers` participants, 200 spread instances with enough slots for every pair the
    spread runs make, one hot instance with a slot per helper."""
    from huzhu.config import Settings
    from huzhu.db import Database

    h = (helpers // SPREAD_INSTANCES + 1) | 1
    while h % 5 == 0:
        h += 2
    settings = Settings(database_url=db_url)
    db = Database(settings.db)
    rules = {
        "daily_assists_per_helper": 10**9, "reference_price_cents": 10**9,
        "price_cents": 10**9, "floor_cents": 0, "max_helpers": 10**6,
    }  # fmt: skip
    with db.unit_of_work() as s:
        world = bench_world(s, rules=rules, accounts_n=helpers + SPREAD_INSTANCES + 1)
        initiators = iter(world.account_ids[: SPREAD_INSTANCES + 1])
        helper_ids = world.account_ids[SPREAD_INSTANCES + 1 :]
        spread = [
            add_instance(s, world, initiator=next(initiators), slot_values=[7] * (h + 1))
            for _ in range(SPREAD_INSTANCES)
        ]
        hot = add_instance(s, world, initiator=next(initiators), slot_values=[7] * helpers)
        tokens = participant_tokens(settings, world, helper_ids)
    db.dispose()
    return Seeded(spread_instances=spread, hot_instance=hot, tokens=tokens, spread_helpers=h)


def assist_request(port: int, instance_id: int, token: str) -> str:
    """What a helper's phone sends: a browser user agent, a language, its device id."""
    return (
        f"POST /api/v1/instances/{instance_id}/assists HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: 0\r\n"
        f"User-Agent: Mozilla/5.0 (iPhone) MicroMessenger/8.0.50\r\nAccept-Language: zh-CN\r\n"
        f"X-Huzhu-Device: bench-{token[-12:]}\r\n\r\n"
    )


@dataclass
class Server:
    proc: Any
    port: int
    seeded: Seeded

    def trivial(self, per_run: int) -> Callable[[int], list[str]]:
        line = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n\r\n"
        return lambda r: [line] * (per_run * TRIVIAL_RATE // MAX_RATE)

    def spread(self, per_run: int) -> Callable[[int], list[str]]:
        """Request i goes to instance i mod 200 from helper i mod H (H coprime with 200):
        every pair is distinct across all rounds, and neighbouring requests share neither
        instance nor helper."""
        s, h = self.seeded, self.seeded.spread_helpers

        def requests(r: int) -> list[str]:
            return [
                assist_request(self.port, s.spread_instances[i % SPREAD_INSTANCES], s.tokens[i % h])
                for i in range(r * per_run, (r + 1) * per_run)
            ]

        return requests

    def hot(self, per_run: int) -> Callable[[int], list[str]]:
        s = self.seeded
        return lambda r: [
            assist_request(self.port, s.hot_instance, t)
            for t in s.tokens[r * per_run : (r + 1) * per_run]
        ]

    def kinds(self, per_run: int, suffix: str = "") -> list[Kind]:
        """/healthz, spread and hot assists on this server, named with `suffix`."""
        return [
            Kind(f"trivial{suffix}", self, self.trivial(per_run), "200"),
            Kind(f"spread{suffix}", self, self.spread(per_run), "201"),
            Kind(f"hot{suffix}", self, self.hot(per_run), "201"),
        ]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=15)


@dataclass
class Kind:
    name: str
    server: Server
    requests: Callable[[int], list[str]]
    expect: str | None  # the status every answer should have (None: not checked)


Runs = dict[str, list[dict[str, Any]]]


def warm(servers: list[Server], args: argparse.Namespace) -> None:
    """An untimed burst of each kind of assist on each server before the rounds: a
    server's first seconds (its pool filling, caches and plans being made) are not its
    steady state, and a first round run cold measured a p50 of over a second. The burst
    uses the requests of one round past the measured ones, so every pair stays distinct."""
    for server in servers:
        for requests in (server.spread(args.per_run), server.hot(args.per_run)):
            run_load(
                port=server.port,
                requests=requests(args.rounds),
                connections=args.connections,
                warmup=0.0,
                duration=args.warmup + 0.25,
            )


def rounds(groups: list[list[Kind]], args: argparse.Namespace, label: str) -> Runs:
    """Every kind once per round. The groups' order is rotated each round; the kinds of a
    group run back to back (a scoring-on run beside its scoring-off pair, so the two see
    the same neighbours), first one way round, then the other. The runs of each kind."""
    runs: Runs = {k.name: [] for group in groups for k in group}
    for r in range(args.rounds):
        shift = r % len(groups)
        for group in groups[shift:] + groups[:shift]:
            for kind in group if r % 2 == 0 else group[::-1]:
                run = run_load(
                    port=kind.server.port,
                    requests=kind.requests(r),
                    connections=args.connections,
                    warmup=args.warmup,
                    duration=args.duration,
                    server_pid=kind.server.proc.pid,
                    settle=args.settle,
                )
                runs[kind.name].append(run)
                unexpected = {s: n for s, n in run["statuses"].items() if s != kind.expect}
                if kind.expect and unexpected:
                    print(f"warning: {label} {kind.name} round {r}: answers {unexpected}",
                          file=sys.stderr)  # fmt: skip
                if run["exhausted"]:
                    print(f"warning: {label} {kind.name} round {r}: ran out of requests",
                          file=sys.stderr)  # fmt: skip
    return runs


def _per_round(a: list[dict[str, Any]], b: list[dict[str, Any]], key: str) -> list[float]:
    return [x[key] / max(y[key], 1e-9) for x, y in zip(a, b, strict=True)]


def summary(runs: Runs) -> dict[str, Any]:
    trivial, spread, hot = runs["trivial"], runs["spread"], runs["hot"]

    def med(rs: list[dict[str, Any]], key: str) -> float:
        return round(float(median(r[key] for r in rs)), 2)

    ratios = _per_round(spread, trivial, "ok_rps")
    cpu_t, cpu_s = med(trivial, "cpu_us_per_req"), med(spread, "cpu_us_per_req")
    return {
        "assist_rps": round(median(r["ok_rps"] for r in spread), 1),
        "trivial_rps": round(median(r["ok_rps"] for r in trivial), 1),
        "ratio": round(median(ratios), 3),
        "p50_ms": med(spread, "p50_ms"),
        "p99_ms": med(spread, "p99_ms"),
        "p99_ms_worst_round": max(r["p99_ms"] for r in spread),
        "trivial_p50_ms": med(trivial, "p50_ms"),
        "trivial_p99_ms": med(trivial, "p99_ms"),
        "hot_assist_rps": round(median(r["ok_rps"] for r in hot), 1),
        "hot_ratio": round(median(_per_round(hot, trivial, "ok_rps")), 3),
        "hot_p50_ms": med(hot, "p50_ms"),
        "hot_p99_ms": med(hot, "p99_ms"),
        "cpu_us_trivial": cpu_t,
        "cpu_us_assist": cpu_s,
        "cpu_us_hot_assist": med(hot, "cpu_us_per_req"),
        # What the ratio would be if only the server's own CPU limited it (see run_load).
        "cpu_ratio": round(cpu_t / max(cpu_s, 1e-9), 3),
        "round_ratios": [round(x, 3) for x in ratios],
    }


def start(db_urls: list[tuple[str, dict[str, str]]], *, workers: int, redis_url: str | None,
          seeded: Seeded) -> list[Server]:  # fmt: skip
    """Servers side by side (they import the app at the same time), then wait for each."""
    spawned = [
        spawn_server(url, workers=workers, redis_url=redis_url, extra_env=env)
        for url, env in db_urls
    ]
    servers = []
    try:
        for proc, port in spawned:
            wait_ready(proc, port)
            servers.append(Server(proc, port, seeded))
    except BaseException:
        for proc, _ in spawned:
            proc.terminate()
        raise
    return servers


def scorer_ab(on: Server, off: Server, args: argparse.Namespace) -> dict[str, Any]:
    """The scorer's cost: interleaved A/B runs (loadgen.run_ab) of the scoring-on and the
    scoring-off server, spread and hot, which one goes first alternating. Run before the
    rounds, while both servers have the same history (warm-up only): serving /healthz
    leaves a server slower at assists for a while (an A/A run with both servers scoring
    measured an 8% "cost" when only one of them had served /healthz)."""
    pairs: list[tuple[str, list[dict[str, Any]]]] = []
    for k in range(args.ab_runs):
        for kind in ("spread", "hot"):
            # Two rounds' worth of requests past the rounds' and the warm-up's: each side
            # is active for half the run, twice a round's length.
            slot = args.rounds + 1 + 2 * k
            make = getattr(on, kind)(args.per_run)
            reqs = make(slot) + make(slot + 1)
            targets = [(s.port, s.proc.pid, reqs) for s in (on, off)]
            results = run_ab(
                targets=targets if k % 2 == 0 else targets[::-1],
                connections=args.connections,
                warmup=args.warmup,
                duration=args.ab_duration,
                turn=AB_TURN_SECONDS,
                settle=args.settle,
            )
            if k % 2:
                results = results[::-1]
            for side, result in zip(("on", "off"), results, strict=True):
                unexpected = {s: n for s, n in result["statuses"].items() if s != "201"}
                if unexpected or result["exhausted"]:
                    print(f"warning: sqlite scorer A/B {kind} {side} run {k}: answers "
                          f"{unexpected}, exhausted {result['exhausted']}",
                          file=sys.stderr)  # fmt: skip
            pairs.append((kind, results))
    rps = [on["ok_rps"] / max(off["ok_rps"], 1e-9) for _, (on, off) in pairs]
    cpu = [on["cpu_us_per_req"] / max(off["cpu_us_per_req"], 1e-9) for _, (on, off) in pairs]
    return {
        "assist_rps_scoring_off": round(
            median(off["ok_rps"] for kind, (_, off) in pairs if kind == "spread"), 1
        ),
        "cpu_us_assist_scoring_off": round(
            median(off["cpu_us_per_req"] for kind, (_, off) in pairs if kind == "spread"), 1
        ),
        "scoring_cost": round(1 - median(rps), 3),
        "scoring_cost_cpu": round(median(cpu) - 1, 3),
        "scoring_cost_pairs": [round(1 - x, 3) for x in rps],
    }


def run_sqlite(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The scorer-on server is the result; the scorer-off one, on a copy of the same
    seeded database, gives the scorer's cost."""
    with fresh_database("sqlite") as found:
        assert found is not None
        url, _ = found
        seeded = seed(url, helpers=args.helpers)
        path = Path(url.removeprefix("sqlite:///"))
        off_path = path.with_name("off.db")
        for suffix in ("", "-wal"):  # the seed closed its connections: no WAL is expected
            if Path(f"{path}{suffix}").exists():
                shutil.copyfile(f"{path}{suffix}", f"{off_path}{suffix}")
        off_env = SCORING_ON if args.aa else SCORING_OFF
        on, off = start(
            [(url, SCORING_ON), (f"sqlite:///{off_path}", off_env)],
            workers=1, redis_url=None, seeded=seeded,
        )  # fmt: skip
        try:
            warm([on, off], args)
            scorer = scorer_ab(on, off, args)
            off.stop()
            runs = rounds([[k] for k in on.kinds(args.per_run)], args, "sqlite")
        finally:
            on.stop()
            off.stop()
    result = {"backend": "sqlite", "workers": 1, **summary(runs), **scorer}
    return [result | {"assist_rps_scoring_on": result["assist_rps"]}]


def run_postgres(args: argparse.Namespace) -> list[dict[str, Any]]:
    results = []
    for workers in args.pg_workers:
        with fresh_database("postgresql") as found:
            if found is None:
                print("PostgreSQL not reachable: skipped", file=sys.stderr)
                return []
            url, redis_url = found
            seeded = seed(url, helpers=args.helpers)
            [server] = start([(url, SCORING_ON)], workers=workers, redis_url=redis_url,
                             seeded=seeded)  # fmt: skip
            try:
                warm([server], args)
                kinds = server.kinds(args.per_run)
                runs = rounds([[k] for k in kinds], args, f"postgresql x{workers}")
            finally:
                server.stop()
            results.append({"backend": "postgresql", "workers": workers, **summary(runs)})
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs: under two minutes")
    parser.add_argument("--duration", type=float, default=None, help="seconds measured per run")
    parser.add_argument("--warmup", type=float, default=None, help="seconds before measuring")
    parser.add_argument("--rounds", type=int, default=None, help="rounds of every kind")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-workers", default=None, help="e.g. 1,2")
    parser.add_argument("--ab-runs", type=int, default=None, help="scorer A/B runs of each kind")
    parser.add_argument(
        "--aa", action="store_true", help="A/A check: the scorer-off server scores too"
    )
    args = parser.parse_args()
    # Many short rounds rather than a few long ones: the neighbours' noise comes and goes
    # over seconds, and a median over more rounds shrugs more of it off.
    args.duration = args.duration or (0.6 if args.quick else 2.0)
    args.warmup = args.warmup if args.warmup is not None else (0.25 if args.quick else 0.5)
    args.rounds = args.rounds or (6 if args.quick else 10)
    args.settle = 0.15
    args.per_run = int(MAX_RATE * (args.duration + args.warmup))
    args.ab_runs = args.ab_runs or (4 if args.quick else 6)
    args.ab_duration = 4 * args.duration  # each side is active half of it
    # + the warm-up burst's, + two per scorer A/B run
    args.helpers = args.per_run * (args.rounds + 1 + 2 * args.ab_runs)
    workers = args.pg_workers or ("1" if args.quick else "1,2")
    args.pg_workers = [int(w) for w in workers.split(",")]
    results: list[dict[str, Any]] = []
    backends = args.backends.split(",")
    if "sqlite" in backends:
        results += run_sqlite(args)
    if "postgresql" in backends:
        results += run_postgres(args)
    for r in results:
        print(
            f"{r['backend']:>10} x{r['workers']}  trivial {r['trivial_rps']:8.0f}/s  "
            f"spread {r['assist_rps']:7.0f}/s ratio {r['ratio']:.2f} p50 {r['p50_ms']} ms "
            f"p99 {r['p99_ms']} ms (worst round {r['p99_ms_worst_round']})  hot "
            f"{r['hot_assist_rps']:7.0f}/s ratio {r['hot_ratio']:.2f} p99 {r['hot_p99_ms']} ms  "
            f"cpu/req trivial {r['cpu_us_trivial']} us assist {r['cpu_us_assist']} us "
            f"(cpu ratio {r['cpu_ratio']:.2f})  rounds {r['round_ratios']}"
            + (
                f"  scoring cost {r['scoring_cost']:.1%} (cpu {r['scoring_cost_cpu']:.1%}) "
                f"pairs {r['scoring_cost_pairs']}"
                if "scoring_cost" in r
                else ""
            ),
            file=sys.stderr,
        )
    for r in results:
        r |= {"rounds": args.rounds, "duration": args.duration, "connections": args.connections}
    print(json.dumps({"results": results}))


if __name__ == "__main__":
    main()
