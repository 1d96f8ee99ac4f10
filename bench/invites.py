"""Share opens and direct invites per second against the trivial /healthz of the same app.

    python bench/invites.py --quick        # under two minutes; the last line is JSON

1. makes a fresh migrated database (SQLite by default; `--backend postgresql` uses
   HUZHU_BENCH_POSTGRES_URL or 127.0.0.1:5432, with Redis counters when it answers) and
   seeds it: a shop, 200 senders each with an active instance and a share link issued
   through the invites service, 1000 recipients who accept invites from everyone at any
   hour, up to 100 a day;
2. starts a real `huzhu serve` with caps far above the load (the bench measures the
   work of a delivered invite, not refusals);
3. drives it from a SEPARATE load process on loopback (bench/loadgen.py's raw-socket
   generator: keep-alive HTTP/1.1, 64 connections, a bounded time) three times: GET
   /healthz, POST /api/v1/shares/{token}/open round-robin over the 200 links, POST
   /api/v1/instances/{id}/invites spread so that no recipient reaches their daily max.

ratio = answered-2xx per second ÷ trivial requests per second in the same run: the
machine is shared, so absolute numbers are noisy but the ratios are comparable.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from dataclasses import dataclass
from typing import Any

# bench/ is on sys.path when this runs as a script (python bench/invites.py).
import loadgen
import seeding

SENDERS = 200
RECIPIENTS = 1000
OPEN_ALL = {
    "accept_from": "everyone",
    "kinds": None,
    "quiet_start": "00:00",
    "quiet_end": "00:00",
    "time_zone": "UTC",
    "daily_max": 100,
}


@dataclass
class Seeded:
    instances: list[int]  # the i-th sender's instance
    sender_tokens: list[str]
    link_tokens: list[str]
    recipients: list[int]


def seed(db_url: str) -> Seeded:
    """Accounts and instances as rows (bench/seeding.py); links and preferences through
    the invites service, so their rows are exactly what the API would write."""
    from sqlalchemy import insert

    from huzhu.config import Settings
    from huzhu.db import Database
    from huzhu.invites import service as invites
    from huzhu.invites.models import InvitePreference
    from huzhu.kit import clock

    settings = Settings(database_url=db_url)
    db = Database(settings.db)
    rules = {
        "daily_assists_per_helper": 5, "reference_price_cents": 10_000, "price_cents": 10_000,
        "floor_cents": 5_000, "max_helpers": 5,
    }  # fmt: skip
    with db.unit_of_work() as s:
        world = seeding.bench_world(s, rules=rules, accounts_n=SENDERS + RECIPIENTS)
        senders, recipients = world.account_ids[:SENDERS], world.account_ids[SENDERS:]
        instances = [
            seeding.add_instance(s, world, initiator=sender, slot_values=[1_000] * 5)
            for sender in senders
        ]
        links = [
            invites.issue_share_link(
                s, settings, shop_id=world.shop_id, account_id=sender, instance_id=iid,
                channel="friend",
            )[1]
            for sender, iid in zip(senders, instances, strict=True)
        ]  # fmt: skip
        now = clock.utcnow()
        s.execute(
            insert(InvitePreference),
            [{"account_id": r, "updated_at": now, **OPEN_ALL} for r in recipients],
        )
        tokens = seeding.participant_tokens(settings, world, senders)
    db.dispose()
    return Seeded(
        instances=instances, sender_tokens=tokens, link_tokens=links, recipients=recipients
    )


def _post(
    port: int, path: str, *, token: str | None = None, body: dict[str, Any] | None = None
) -> str:
    data = json.dumps(body) if body is not None else ""
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    kind = "Content-Type: application/json\r\n" if body is not None else ""
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}{kind}"
        f"User-Agent: huzhu-bench\r\nContent-Length: {len(data)}\r\n\r\n{data}"
    )


def _invite_request(port: int, seeded: Seeded, i: int) -> str:
    """Request i goes to recipient i mod R (at most budget / R each, below their daily
    max) from sender (i + i // R) mod S: neighbouring requests share neither."""
    sender = (i + i // RECIPIENTS) % SENDERS
    return _post(
        port,
        f"/api/v1/instances/{seeded.instances[sender]}/invites",
        token=seeded.sender_tokens[sender],
        body={"recipient_id": seeded.recipients[i % RECIPIENTS]},
    )


def measure(
    db_url: str, *, backend: str, redis_url: str | None, args: argparse.Namespace
) -> dict[str, Any]:
    seeded = seed(db_url)
    env = {
        # Caps far above the load: every invite is delivered (the work measured).
        "HUZHU_INVITES__SENDER_DAILY_INVITES": str(10**9),
        "HUZHU_INVITES__RECIPIENT_DAILY_INVITES": str(10**9),
        "HUZHU_INVITES__CAP_KEY_PREFIX": f"bench-{uuid.uuid4().hex}",
        # The load comes from one loopback address: no per-network ceiling on opens.
        "HUZHU_INVITES__OPENS_PER_NETWORK": "1000000000/minute",
        **loadgen.SCORING_ON,
    }
    proc, port = loadgen.start_server(db_url, workers=1, redis_url=redis_url, extra_env=env)
    budget = args.max_requests
    common = {
        "connections": args.connections,
        "warmup": args.warmup,
        "duration": args.duration,
        "server_pid": proc.pid,
    }
    try:
        trivial = loadgen.run_load(
            port=port,
            requests=[f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"] * budget,
            **common,
        )
        opens = loadgen.run_load(
            port=port,
            requests=[
                _post(port, f"/api/v1/shares/{seeded.link_tokens[i % SENDERS]}/open")
                for i in range(budget)
            ],
            **common,
        )
        invites = loadgen.run_load(
            port=port,
            requests=[_invite_request(port, seeded, i) for i in range(budget)],
            **common,
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    for name, run in (("share_open", opens), ("invite", invites)):
        unexpected = {s: n for s, n in run["statuses"].items() if s != "201"}
        if unexpected:
            print(f"warning: {name}: non-201 answers {unexpected}", file=sys.stderr)
        if run["exhausted"]:
            print(f"warning: {name}: ran out of requests; raise --max-requests", file=sys.stderr)
    t = trivial["ok_rps"]
    return {
        "backend": backend,
        "workers": 1,
        "share_open_rps": round(opens["ok_rps"], 1),
        "invite_rps": round(invites["ok_rps"], 1),
        "trivial_rps": round(t, 1),
        "share_open_ratio": round(opens["ok_rps"] / t, 3),
        "invite_ratio": round(invites["ok_rps"] / t, 3),
        "share_open_p50_ms": opens["p50_ms"],
        "share_open_p99_ms": opens["p99_ms"],
        "invite_p50_ms": invites["p50_ms"],
        "invite_p99_ms": invites["p99_ms"],
        "trivial_p50_ms": trivial["p50_ms"],
        "share_open_cpu_us": opens.get("cpu_us_per_req"),
        "invite_cpu_us": invites.get("cpu_us_per_req"),
        "trivial_cpu_us": trivial.get("cpu_us_per_req"),
        "connections": args.connections,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    with seeding.fresh_database(args.backend) as found:
        if found is None:
            raise SystemExit("PostgreSQL not reachable")
        url, redis_url = found
        return measure(url, backend=args.backend, redis_url=redis_url, args=args)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs: under two minutes")
    parser.add_argument("--duration", type=float, default=None, help="seconds measured per run")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before measuring")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--max-requests", type=int, default=None, help="requests per run")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    args.duration = args.duration or (4.0 if args.quick else 15.0)
    args.max_requests = args.max_requests or int(6_000 * (args.duration + args.warmup))
    r = run(args)
    print(
        f"{r['backend']:>10}  trivial {r['trivial_rps']:8.0f}/s  share open "
        f"{r['share_open_rps']:7.0f}/s ratio {r['share_open_ratio']:.3f} p99 "
        f"{r['share_open_p99_ms']} ms  invite {r['invite_rps']:7.0f}/s ratio "
        f"{r['invite_ratio']:.3f} p99 {r['invite_p99_ms']} ms",
        file=sys.stderr,
    )
    print(json.dumps(r))


if __name__ == "__main__":
    main()
