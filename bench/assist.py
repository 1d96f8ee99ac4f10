"""Counted assists per second and latency against the trivial /healthz of the same app.

    python bench/assist.py --quick        # under two minutes; the last line is JSON

For each backend (SQLite with one worker; PostgreSQL with one and two workers when it
answers at HUZHU_BENCH_POSTGRES_URL or 127.0.0.1:5432, with Redis when it answers) this:

1. makes a fresh migrated database and seeds it through the services and models: a shop,
   a bargain campaign, tens of thousands of participants with their tokens, 200
   instances for the spread run and one big instance for the hot run;
2. starts a real `huzhu serve` (same middleware as production, in-process job runner);
3. drives it from a SEPARATE load process on loopback (a raw-socket asyncio generator on
   uvloop: keep-alive HTTP/1.1, 64 connections, a bounded time) three times: GET
   /healthz, assists spread over the 200 instances, assists all on the hot instance.
   Every assist request is a distinct (helper, instance) pair, so each one is counted.

ratio = counted assists/s ÷ trivial requests/s, both measured in the same run: the
machine is shared, so absolute numbers are noisy but the ratio is comparable.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadgen import (
    DEFAULT_PG,
    DEFAULT_REDIS,
    SCORING_OFF,
    SCORING_ON,
    pg_admin,
    reachable_postgres,
    reachable_redis,
    run_load,
    start_server,
)

ROOT = Path(__file__).resolve().parent.parent
SPREAD_INSTANCES = 200


# -- seeding and serving -------------------------------------------------------------------


@dataclass
class Seeded:
    spread_instances: list[int]
    hot_instance: int
    tokens: list[str]


def seed(db_url: str, *, helpers: int, spread_slots: int) -> Seeded:
    """Shop and participants through the accounts service; campaign and instance rows
    written like the tests' factories (the bench needs far more slots than a real
    bargain's max_helpers, so it bypasses campaign validation on purpose)."""
    from sqlalchemy import insert

    from huzhu.accounts import service as accounts
    from huzhu.accounts.models import Account
    from huzhu.assists.models import Instance, InstanceSlot
    from huzhu.campaigns.models import Campaign, CampaignVersion
    from huzhu.config import Settings
    from huzhu.db import Database
    from huzhu.kit import clock, ids

    settings = Settings(database_url=db_url)
    db = Database(settings.db)
    now = clock.utcnow()
    with db.unit_of_work() as s:
        shop = accounts.create_shop(s, slug=f"bench-{uuid.uuid4().hex[:6]}", name="Bench")
        campaign = Campaign(
            shop_id=shop.id, kind="bargain", name="bench", description="", channel="own_app",
            status="live", version=1, budget_cents=10**12, budget_reserved_cents=0,
            budget_spent_cents=0, inventory_total=10**9, inventory_reserved=0, inventory_used=0,
            launched_at=now, created_at=now, updated_at=now,
        )  # fmt: skip
        s.add(campaign)
        s.flush()
        rules = {
            "kind": "bargain", "channel": "own_app", "instance_ttl_seconds": 86_400,
            "daily_assists_per_helper": 10**9, "reference_price_cents": 10**9,
            "price_cents": 10**9, "floor_cents": 0, "max_helpers": 10**6,
            "split": "double_mean", "purchase_window_seconds": 86_400,
        }  # fmt: skip
        version = CampaignVersion(campaign_id=campaign.id, version=1, rules=rules, created_at=now)
        s.add(version)
        s.flush()
        account_ids = list(
            s.scalars(
                insert(Account).returning(Account.id),
                [
                    {"shop_id": shop.id, "provider": "bench", "subject_hash": ids.sha256_hex(
                        f"{shop.id}:{i}"), "display_name": None, "share_name_consent": False,
                     "status": "active", "created_at": now}
                    for i in range(helpers + SPREAD_INSTANCES + 1)
                ],
            )
        )  # fmt: skip
        initiators, helper_ids = (
            iter(account_ids[: SPREAD_INSTANCES + 1]),
            account_ids[SPREAD_INSTANCES + 1 :],
        )

        def instance(slots: int) -> int:
            row = Instance(
                shop_id=shop.id, campaign_id=campaign.id, campaign_version_id=version.id,
                kind="bargain", initiator_id=next(initiators), status="active", seed_hex="0" * 64,
                slots_total=slots, slots_used=0, progress_value=0, target_value=slots * 7,
                reserved_cents=0, reserved_units=0, held_count=0, voided_count=0,
                expires_at=now.replace(year=now.year + 1), created_at=now,
            )  # fmt: skip
            s.add(row)
            s.flush()
            s.execute(
                insert(InstanceSlot),
                [{"instance_id": row.id, "slot": i, "value": 7} for i in range(slots)],
            )
            return row.id

        spread = [instance(spread_slots) for _ in range(SPREAD_INSTANCES)]
        hot = instance(helpers)
        tokens = [
            accounts.issue_participant_token(settings, shop_id=shop.id, account_id=a)[0]
            for a in helper_ids
        ]
    db.dispose()
    return Seeded(spread_instances=spread, hot_instance=hot, tokens=tokens)


def assist_request(port: int, instance_id: int, token: str) -> str:
    """What a helper's phone sends: a browser user agent, a language, its device id."""
    return (
        f"POST /api/v1/instances/{instance_id}/assists HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: 0\r\n"
        f"User-Agent: Mozilla/5.0 (iPhone) MicroMessenger/8.0.50\r\nAccept-Language: zh-CN\r\n"
        f"X-Huzhu-Device: bench-{token[-12:]}\r\n\r\n"
    )


def measure(
    db_url: str,
    *,
    backend: str,
    workers: int,
    redis_url: str | None,
    args: argparse.Namespace,
    extra_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    budget = args.max_requests
    spread_helpers = budget // SPREAD_INSTANCES + 1
    seeded = seed(db_url, helpers=budget, spread_slots=spread_helpers)
    proc, port = start_server(db_url, workers=workers, redis_url=redis_url, extra_env=extra_env)
    try:
        common = {
            "connections": args.connections,
            "warmup": args.warmup,
            "duration": args.duration,
            "server_pid": proc.pid,
        }
        trivial = run_load(
            port=port,
            requests=[f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"] * budget,
            **common,
        )
        # Request i goes to instance i mod 200 from helper i mod H (H coprime with 200): each
        # pair is distinct, and neighbouring requests share neither instance nor helper.
        h = spread_helpers | 1
        while h % 5 == 0:
            h += 2
        spread = run_load(
            port=port,
            requests=[
                assist_request(
                    port, seeded.spread_instances[i % SPREAD_INSTANCES], seeded.tokens[i % h]
                )
                for i in range(min(budget, SPREAD_INSTANCES * h))
            ],
            **common,
        )
        hot = run_load(
            port=port,
            requests=[assist_request(port, seeded.hot_instance, t) for t in seeded.tokens],
            **common,
        )
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    for name, run in (("spread", spread), ("hot", hot)):
        unexpected = {s: n for s, n in run["statuses"].items() if s != "201"}
        if unexpected:
            print(
                f"warning: {backend}/{workers} {name}: non-201 answers {unexpected}",
                file=sys.stderr,
            )
        if run["exhausted"]:
            print(f"warning: {backend}/{workers} {name}: ran out of requests; raise --max-requests",
                  file=sys.stderr)  # fmt: skip
    return {
        "backend": backend,
        "workers": workers,
        "assist_rps": round(spread["ok_rps"], 1),
        "trivial_rps": round(trivial["ok_rps"], 1),
        "ratio": round(spread["ok_rps"] / trivial["ok_rps"], 3),
        "p50_ms": spread["p50_ms"],
        "p99_ms": spread["p99_ms"],
        "trivial_p50_ms": trivial["p50_ms"],
        "trivial_p99_ms": trivial["p99_ms"],
        "hot_assist_rps": round(hot["ok_rps"], 1),
        "hot_ratio": round(hot["ok_rps"] / trivial["ok_rps"], 3),
        "hot_p50_ms": hot["p50_ms"],
        "hot_p99_ms": hot["p99_ms"],
        "cpu_us_trivial": trivial["cpu_us_per_req"],
        "cpu_us_assist": spread["cpu_us_per_req"],
        "cpu_us_hot_assist": hot["cpu_us_per_req"],
        # What the ratio would be if only the server's own CPU limited it (see run_load).
        "cpu_ratio": round(trivial["cpu_us_per_req"] / max(spread["cpu_us_per_req"], 1e-9), 3),
        "connections": args.connections,
    }


# -- backends --------------------------------------------------------------------------------


def run_sqlite(args: argparse.Namespace) -> list[dict[str, Any]]:
    """SQLite with scoring on (the result), then the scorer's cost (scoring_cost)."""
    from huzhu.migrations import run_migrations

    with tempfile.TemporaryDirectory(prefix="huzhu-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        run_migrations(url)
        result = measure(url, backend="sqlite", workers=1, redis_url=None, args=args,
                         extra_env=SCORING_ON)  # fmt: skip
    result.update(scoring_cost(args))
    return [result]


def scoring_cost(args: argparse.Namespace) -> dict[str, Any]:
    """Two SQLite servers side by side, one scoring and one not, each on its own fresh
    database, driven in turn (on, off, off, on, ...) for `args.scoring_rounds` rounds of
    spread assists: alternating cancels the drift of a shared machine that a run after
    another cannot. Medians of each side; the cost is their difference."""
    from statistics import median

    from huzhu.migrations import run_migrations

    rounds, seconds = args.scoring_rounds, args.scoring_seconds
    per_run = int(4_000 * (seconds + args.warmup))  # assists/s stay under 3,000 here
    helpers = per_run * rounds
    h = (helpers // SPREAD_INSTANCES + 1) | 1
    while h % 5 == 0:
        h += 2
    sides: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="huzhu-bench-") as tmp:
        try:
            for name, env in (("on", SCORING_ON), ("off", SCORING_OFF)):
                url = f"sqlite:///{Path(tmp) / f'{name}.db'}"
                run_migrations(url)
                seeded = seed(url, helpers=helpers, spread_slots=h)
                proc, port = start_server(url, workers=1, redis_url=None, extra_env=env)
                sides[name] = {"seeded": seeded, "proc": proc, "port": port, "runs": []}
            for r in range(rounds):
                for name in ("on", "off") if r % 2 == 0 else ("off", "on"):
                    side = sides[name]
                    seeded, port = side["seeded"], side["port"]
                    side["runs"].append(
                        run_load(
                            port=port,
                            requests=[
                                assist_request(
                                    port,
                                    seeded.spread_instances[i % SPREAD_INSTANCES],
                                    seeded.tokens[i % h],
                                )
                                for i in range(r * per_run, (r + 1) * per_run)
                            ],
                            connections=args.connections,
                            warmup=args.warmup,
                            duration=seconds,
                            server_pid=side["proc"].pid,
                        )
                    )
        finally:
            for side in sides.values():
                side["proc"].terminate()
                side["proc"].wait(timeout=15)
    rps = {n: median(run["ok_rps"] for run in side["runs"]) for n, side in sides.items()}
    cpu = {n: median(run["cpu_us_per_req"] for run in side["runs"]) for n, side in sides.items()}
    return {
        "assist_rps_scoring_on": round(rps["on"], 1),
        "assist_rps_scoring_off": round(rps["off"], 1),
        "cpu_us_assist_scoring_on": round(cpu["on"], 1),
        "cpu_us_assist_scoring_off": round(cpu["off"], 1),
        "scoring_cost": round(1 - rps["on"] / max(rps["off"], 1e-9), 3),
        "scoring_cost_cpu": round(cpu["on"] / max(cpu["off"], 1e-9) - 1, 3),
        "scoring_rounds": rounds,
    }


def run_postgres(args: argparse.Namespace) -> list[dict[str, Any]]:
    from huzhu.migrations import run_migrations

    admin = os.environ.get("HUZHU_BENCH_POSTGRES_URL", DEFAULT_PG)
    if not reachable_postgres(admin):
        print("PostgreSQL not reachable: skipped", file=sys.stderr)
        return []
    redis_url = os.environ.get("HUZHU_BENCH_REDIS_URL", DEFAULT_REDIS)
    redis_url = redis_url if reachable_redis(redis_url) else None
    results = []
    for workers in args.pg_workers:
        name = f"huzhu_bench_{uuid.uuid4().hex[:8]}"
        base = admin.rsplit("/", 1)[0]
        pg_admin(admin, f'CREATE DATABASE "{name}"')
        try:
            run_migrations(f"{base.replace('postgresql://', 'postgresql+psycopg://')}/{name}")
            results.append(
                measure(f"{base}/{name}", backend="postgresql", workers=workers,
                        redis_url=redis_url, args=args)
            )  # fmt: skip
        finally:
            pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs: under two minutes")
    parser.add_argument("--duration", type=float, default=None, help="seconds measured per run")
    parser.add_argument("--warmup", type=float, default=None, help="seconds before measuring")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--max-requests", type=int, default=None, help="assists seeded per run")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-workers", default=None, help="e.g. 1,2")
    parser.add_argument(
        "--scoring-rounds",
        type=int,
        default=None,
        help="alternating on/off rounds for the scorer's cost (SQLite)",
    )
    parser.add_argument(
        "--scoring-seconds", type=float, default=None, help="seconds measured per scoring round"
    )
    args = parser.parse_args()
    args.duration = args.duration or (3.0 if args.quick else 15.0)
    args.warmup = args.warmup if args.warmup is not None else (0.5 if args.quick else 1.0)
    # Enough distinct (helper, instance) pairs for the fastest run: trivial answers reach
    # ~4,500/s here and assists stay under 3,000/s.
    args.max_requests = args.max_requests or int(6_000 * (args.duration + args.warmup))
    args.pg_workers = [int(w) for w in (args.pg_workers or "1,2").split(",")]
    args.scoring_rounds = args.scoring_rounds or (4 if args.quick else 6)
    args.scoring_seconds = args.scoring_seconds or (1.0 if args.quick else 3.0)
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
            f"p99 {r['p99_ms']} ms  hot {r['hot_assist_rps']:7.0f}/s ratio {r['hot_ratio']:.2f} "
            f"p99 {r['hot_p99_ms']} ms  cpu/req trivial {r['cpu_us_trivial']} us "
            f"assist {r['cpu_us_assist']} us (cpu ratio {r['cpu_ratio']:.2f})"
            + (
                f"  scoring cost {r['scoring_cost']:.1%} (cpu {r['scoring_cost_cpu']:.1%})"
                if "scoring_cost" in r
                else ""
            ),
            file=sys.stderr,
        )
    print(json.dumps({"results": results}))


if __name__ == "__main__":
    main()
