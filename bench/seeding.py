"""The benches' shared seeding: a shop, a live bargain campaign, many participants and
their instances, written as rows like the tests' factories (a bench needs far more slots
than a real bargain's max_helpers, so it bypasses campaign validation on purpose), and
participant tokens issued by the accounts service.

bench/assist.py and bench/invites.py import it (run as scripts from the repo root, so
bench/ is on sys.path).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

import loadgen
from huzhu.accounts import service as accounts
from huzhu.accounts.models import Account
from huzhu.assists.models import Instance, InstanceSlot
from huzhu.campaigns.models import Campaign, CampaignVersion
from huzhu.config import Settings
from huzhu.kit import clock, ids

BARGAIN_RULES: dict[str, Any] = {
    "kind": "bargain",
    "channel": "own_app",
    "instance_ttl_seconds": 86_400,
    "split": "double_mean",
    "purchase_window_seconds": 86_400,
}


@dataclass(frozen=True)
class World:
    shop_id: int
    campaign_id: int
    version_id: int
    account_ids: list[int]


def bench_world(session: Session, *, rules: dict[str, Any], accounts_n: int) -> World:
    """A shop, its live bargain campaign (version 1 with these rules on top of
    BARGAIN_RULES) and `accounts_n` active participants named p0, p1, ..."""
    now = clock.utcnow()
    shop = accounts.create_shop(session, slug=f"bench-{uuid.uuid4().hex[:6]}", name="Bench")
    campaign = Campaign(
        shop_id=shop.id, kind="bargain", name="bench", description="", channel="own_app",
        status="live", version=1, budget_cents=10**12, budget_reserved_cents=0,
        budget_spent_cents=0, inventory_total=10**9, inventory_reserved=0, inventory_used=0,
        launched_at=now, created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(campaign)
    session.flush()
    version = CampaignVersion(
        campaign_id=campaign.id, version=1, rules=BARGAIN_RULES | rules, created_at=now
    )
    session.add(version)
    session.flush()
    account_ids = list(
        session.scalars(
            insert(Account).returning(Account.id),
            [
                {"shop_id": shop.id, "provider": "bench", "subject_hash": ids.sha256_hex(
                    f"{shop.id}:{i}"), "display_name": f"p{i}", "status": "active",
                 "created_at": now}
                for i in range(accounts_n)
            ],
        )
    )  # fmt: skip
    return World(shop.id, campaign.id, version.id, account_ids)


def add_instance(session: Session, world: World, *, initiator: int, slot_values: list[int]) -> int:
    """An active instance of the world's campaign with these slots, open for a year."""
    now = clock.utcnow()
    row = Instance(
        shop_id=world.shop_id, campaign_id=world.campaign_id,
        campaign_version_id=world.version_id, kind="bargain", initiator_id=initiator,
        status="active", seed_hex="0" * 64, slots_total=len(slot_values), slots_used=0,
        progress_value=0, target_value=sum(slot_values), reserved_cents=0, reserved_units=0,
        held_count=0, voided_count=0, expires_at=now.replace(year=now.year + 1), created_at=now,
    )  # fmt: skip
    session.add(row)
    session.flush()
    session.execute(
        insert(InstanceSlot),
        [{"instance_id": row.id, "slot": i, "value": v} for i, v in enumerate(slot_values)],
    )
    return row.id


def participant_tokens(settings: Settings, world: World, account_ids: list[int]) -> list[str]:
    return [
        accounts.issue_participant_token(settings, shop_id=world.shop_id, account_id=a)[0]
        for a in account_ids
    ]


@contextmanager
def fresh_database(backend: str) -> Iterator[tuple[str, str | None] | None]:
    """A new migrated database, dropped afterwards: (database URL, Redis URL or None).
    SQLite: a file in a temporary folder, no Redis. PostgreSQL: a new database on
    HUZHU_BENCH_POSTGRES_URL (or 127.0.0.1:5432) with Redis counters when
    HUZHU_BENCH_REDIS_URL (or 127.0.0.1:6379/14) answers; None when PostgreSQL does not."""
    from huzhu.migrations import run_migrations

    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="huzhu-bench-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            run_migrations(url)
            yield url, None
        return
    admin = os.environ.get("HUZHU_BENCH_POSTGRES_URL", loadgen.DEFAULT_PG)
    if not loadgen.reachable_postgres(admin):
        yield None
        return
    redis_url = os.environ.get("HUZHU_BENCH_REDIS_URL", loadgen.DEFAULT_REDIS)
    name = f"huzhu_bench_{uuid.uuid4().hex[:8]}"
    base = admin.rsplit("/", 1)[0]
    loadgen.pg_admin(admin, f'CREATE DATABASE "{name}"')
    try:
        run_migrations(f"{base.replace('postgresql://', 'postgresql+psycopg://')}/{name}")
        yield f"{base}/{name}", redis_url if loadgen.reachable_redis(redis_url) else None
    finally:
        loadgen.pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
