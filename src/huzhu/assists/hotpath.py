"""The assist hot path: POST /api/v1/instances/{id}/assists.

It is measured against a trivial endpoint of the same app, so it avoids everything a
normal route pays for: the participant token is verified by its HMAC (no query), the
instance's frozen facts are cached per process (a version's rules never change), the
inline risk decision is a pure function, and the one transaction runs raw statements
through the driver (hotpath_repository.py):

- SQLite: one `sqlite3` connection per process, used directly in the event loop. The
  transaction never spans an `await`, so the connection needs no lock. `BEGIN
  IMMEDIATE` is tried without a busy timeout and, when another writer (an ORM unit of
  work in the thread pool, the job runner) holds the lock, retried after a short
  `asyncio.sleep`: blocking the loop in SQLite's busy handler could wait for an ORM
  request whose commit itself needs the loop.
- PostgreSQL: an asyncpg pool created by the app lifespan; one function call per assist.

Counted once (UNIQUE(instance_id, helper_id) and the instance lock), never lost once
acknowledged (the response is sent after COMMIT), progress == Σ claimed slot values
(one UPDATE adds the claimed slot's value), never more than the slots (a claim needs a
free slot; CHECK slots_used <= slots_total).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import orjson
from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from huzhu.accounts import service as accounts
from huzhu.accounts.errors import AccountRestricted, InvalidToken, PermissionDenied
from huzhu.accounts.rules import Permission
from huzhu.assists import hotpath_repository as sql
from huzhu.assists.errors import (
    AlreadyAssisted,
    AssistRefused,
    DailyAssistLimit,
    HotPathBusy,
    InstanceClosed,
    InstanceFull,
    InstanceNotFound,
    SelfAssist,
)
from huzhu.assists.rules import AssistTerms, assist_terms, day_key
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.deps import bearer_token
from huzhu.errors import HuzhuError
from huzhu.kit import clock
from huzhu.risk.rules import AssistFeatures, DecideInline, decide_inline

BUSY_WAIT_SECONDS = 10.0
SQLITE_OPEN_TIMEOUT = 30.0
FACTS_CACHE_MAX = 100_000


class AssistStore(Protocol):
    async def facts(self, instance_id: int) -> sql.FactsRow | None: ...

    async def give(self, params: sql.GiveParams) -> sql.GiveOutcome: ...

    async def close(self) -> None: ...


class SqliteAssistStore:
    def __init__(self, path: str) -> None:
        # Opened at startup with a normal busy timeout (switching to WAL may wait for a
        # writer); the hot path then never blocks the loop in SQLite's busy handler.
        self.conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=SQLITE_OPEN_TIMEOUT
        )
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA busy_timeout=0",
        ):
            self.conn.execute(pragma)

    async def facts(self, instance_id: int) -> sql.FactsRow | None:
        row = self.conn.execute(sql.FACTS_SQL_SQLITE, (instance_id,)).fetchone()
        return sql.facts_row(row) if row is not None else None

    async def give(self, params: sql.GiveParams) -> sql.GiveOutcome:
        await self._begin_immediate()
        try:
            outcome = sql.sqlite_give(self.conn, params)
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT" if outcome.outcome in ("counted", "held") else "ROLLBACK")
        return outcome

    async def _begin_immediate(self) -> None:
        pause = 0.0005
        deadline = time.monotonic() + BUSY_WAIT_SECONDS
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() > deadline:
                    raise HotPathBusy(retry_after=1) from exc
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.01)

    async def close(self) -> None:
        self.conn.close()


class PostgresAssistStore:
    def __init__(self, pool: Any) -> None:
        self.pool = pool

    @classmethod
    async def open(cls, dsn: str, *, size: int) -> PostgresAssistStore:
        import asyncpg

        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=size)
        async with pool.acquire() as conn:
            await sql.ensure_pg_function(conn)
        return cls(pool)

    async def facts(self, instance_id: int) -> sql.FactsRow | None:
        row = await self.pool.fetchrow(sql.FACTS_SQL_PG, instance_id)
        return sql.facts_row(row) if row is not None else None

    async def give(self, params: sql.GiveParams) -> sql.GiveOutcome:
        row = await self.pool.fetchrow(sql.PG_GIVE_SQL, *sql.pg_give_args(params))
        return sql.pg_outcome(row)

    async def close(self) -> None:
        await self.pool.close()


@dataclass(frozen=True, slots=True)
class InstanceFacts:
    row: sql.FactsRow
    terms: AssistTerms


class HotPath:
    """One per process, on app.state.hotpath. `decide` is the inline risk decision;
    tests swap it to force a hold or a refusal without touching the database."""

    def __init__(self, settings: Settings, store: AssistStore) -> None:
        self.settings = settings
        self.store = store
        self.decide: DecideInline = decide_inline
        self._facts: dict[int, InstanceFacts] = {}

    async def close(self) -> None:
        await self.store.close()

    async def instance_facts(self, instance_id: int) -> InstanceFacts | None:
        facts = self._facts.get(instance_id)
        if facts is None:
            row = await self.store.facts(instance_id)
            if row is None:
                return None
            terms = assist_terms(
                row.kind,
                row.rules,
                default_daily_cap=self.settings.campaigns.default_daily_assists_per_helper,
            )
            facts = InstanceFacts(row=row, terms=terms)
            if len(self._facts) >= FACTS_CACHE_MAX:
                self._facts.clear()
            self._facts[instance_id] = facts
        return facts

    async def give(
        self, *, instance_id: int, shop_id: int, helper_id: int, idempotency_key: str | None
    ) -> sql.GiveOutcome:
        """Count (or hold) one assist, or raise the HuzhuError that says why not."""
        facts = await self.instance_facts(instance_id)
        if facts is None or facts.row.shop_id != shop_id:
            raise InstanceNotFound(f"instance {instance_id} not found")
        row, terms = facts.row, facts.terms
        if row.initiator_id == helper_id:
            raise SelfAssist("ask a friend: your own assist does not count")
        now = clock.utcnow()
        risk = self.decide(
            AssistFeatures(
                shop_id=shop_id,
                campaign_id=row.campaign_id,
                instance_id=instance_id,
                kind=row.kind,
                helper_id=helper_id,
                initiator_id=row.initiator_id,
                at=now,
            )
        )
        if risk.decision == "refuse":
            raise AssistRefused(reasons=list(risk.reasons))
        window = terms.purchase_window_seconds
        outcome = await self.store.give(
            sql.GiveParams(
                instance_id=instance_id,
                shop_id=shop_id,
                campaign_id=row.campaign_id,
                helper_id=helper_id,
                decision=risk.decision,
                score=risk.score,
                reasons=list(risk.reasons),
                idempotency_key=idempotency_key,
                now=now,
                day=day_key(now),
                daily_cap=terms.daily_cap,
                succeeds_when_full=terms.succeeds_when_full,
                purchase_deadline_at=now + timedelta(seconds=window) if window else None,
                success_job=terms.success_job,
            )
        )
        _raise_refusal(outcome, daily_cap=terms.daily_cap)
        return outcome


def _raise_refusal(outcome: sql.GiveOutcome, *, daily_cap: int) -> None:
    kind = outcome.outcome
    if kind in ("counted", "held", "replay"):
        return
    if kind == "not_found":
        raise InstanceNotFound("instance not found")
    if kind == "already_assisted":
        raise AlreadyAssisted("one assist per helper per instance")
    if kind == "closed" and outcome.instance_status in ("succeeded", "purchased", "completed"):
        raise InstanceFull(f"the instance has {outcome.instance_status}: it needs no more assists")
    if kind == "closed":
        raise InstanceClosed(
            f"the instance is {outcome.instance_status or 'expired'}",
            status=outcome.instance_status,
        )
    if kind == "self_assist":
        raise SelfAssist("ask a friend: your own assist does not count")
    if kind == "restricted":
        until = outcome.restricted_until
        raise AccountRestricted(
            "this account may not assist right now",
            restricted_until=until.isoformat() if until else None,
        )
    if kind == "full":
        raise InstanceFull("every slot of this instance is taken")
    if kind == "daily_limit":
        raise DailyAssistLimit(
            f"at most {daily_cap} assists per day in this campaign", limit=daily_cap
        )
    raise HuzhuError(f"unexpected hot path outcome {kind}")


async def open_hotpath(settings: Settings) -> HotPath:
    """Called by the app lifespan: the per-process connection or pool."""
    store: AssistStore
    if settings.db.is_sqlite:
        store = SqliteAssistStore(str(settings.db.sqlite_path))
    else:
        store = await PostgresAssistStore.open(settings.db.asyncpg_dsn, size=settings.db.pool_size)
    return HotPath(settings, store)


async def _helper(request: Request, settings: Settings) -> tuple[int, int]:
    """(shop_id, account_id) from a participant token by its signature alone. Any other
    bearer is resolved through the database (rare, off the fast path) only to answer
    401 or 403 exactly as every other route does."""
    token = bearer_token(request)
    if token is None:
        raise InvalidToken("send Authorization: Bearer <participant token>")
    found = accounts.verify_participant_token(settings, token)
    if found is not None:
        return found
    db: Database = request.app.state.db

    def _role() -> str:
        with db.unit_of_work() as session:
            return accounts.authenticate(session, settings, token).role.value

    role = await run_in_threadpool(_role)
    raise PermissionDenied(f"role {role} lacks {Permission.ASSIST_GIVE.value}")


async def give_assist(
    request: Request, *, instance_id: int, idempotency_key: str | None
) -> Response:
    """The route body: 201 counted, 202 held for review; a replay of the same
    Idempotency-Key answers the first status and body again."""
    hotpath: HotPath = request.app.state.hotpath
    shop_id, helper_id = await _helper(request, hotpath.settings)
    outcome = await hotpath.give(
        instance_id=instance_id,
        shop_id=shop_id,
        helper_id=helper_id,
        idempotency_key=idempotency_key or None,
    )
    body = orjson.dumps(
        {
            "assist_id": outcome.assist_id,
            "instance_id": instance_id,
            "status": outcome.assist_status,
            "slot": outcome.slot,
            "value": outcome.value,
        }
    )
    headers = {"Idempotent-Replayed": "true"} if outcome.outcome == "replay" else None
    status = 202 if outcome.assist_status == "held" else 201
    return Response(body, status_code=status, media_type="application/json", headers=headers)
