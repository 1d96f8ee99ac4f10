"""The assist hot path: POST /api/v1/instances/{id}/assists.

It is measured against a trivial endpoint of the same app, so it avoids everything a
normal route pays for: the participant token is verified by its HMAC (no query), the
instance's frozen facts are cached per process (a version's rules never change), the
inline risk decision is a pure function, and the one transaction runs raw statements
through the driver (hotpath_repository.py):

- SQLite: one `sqlite3` connection per process, used directly in the event loop;
- PostgreSQL: an asyncpg pool created by the app lifespan; one function call per assist;
- both with group commit: assists arriving together share one COMMIT (hotpath_store.py).

Counted once (UNIQUE(instance_id, helper_id) and the instance lock), never lost once
acknowledged (the response is sent after COMMIT), progress == Σ claimed slot values
(one UPDATE adds the claimed slot's value), never more than the slots (a claim needs a
free slot; CHECK slots_used <= slots_total).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from fastapi import Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from huzhu.accounts import service as accounts
from huzhu.accounts.errors import AccountRestricted, InvalidToken, PermissionDenied
from huzhu.accounts.rules import ParticipantClaims, Permission
from huzhu.assists import hotpath_repository as sql
from huzhu.assists import service as assists_service
from huzhu.assists.errors import (
    AlreadyAssisted,
    AssistRefused,
    DailyAssistLimit,
    InstanceClosed,
    InstanceFull,
    InstanceNotFound,
    SelfAssist,
    UnsupportedKind,
)
from huzhu.assists.hotpath_store import AssistStore, PostgresAssistStore, SqliteAssistStore
from huzhu.assists.rules import AssistTerms, assist_terms, day_key
from huzhu.assists.schemas import MAX_ID
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.deps import bearer_token, parse_bearer
from huzhu.errors import HuzhuError, InvalidInput
from huzhu.invites import service as invites
from huzhu.invites.errors import Blocked, LinkMismatch, LinkRevoked
from huzhu.kit import clock
from huzhu.risk.alerts import HoldAlert, open_hold_case, open_spike_case
from huzhu.risk.inline import WATCH_REASON, AssistContext
from huzhu.risk.rules import AssistFeatures, DecideInline, RiskDecision
from huzhu.risk.scoring import InlineScorer, SpikeAlert

FACTS_CACHE_MAX = 100_000
logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InstanceFacts:
    row: sql.FactsRow
    terms: AssistTerms


class HotPath:
    """One per process, on app.state.hotpath. `decide` is the inline risk decision;
    tests swap it to force a hold or a refusal without touching the database."""

    def __init__(
        self,
        settings: Settings,
        store: AssistStore,
        scorer: InlineScorer,
        db: Database | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.scorer = scorer
        # Tests set this to force a decision without shaping traffic to earn it.
        self.decide: DecideInline | None = None
        self._facts: dict[int, InstanceFacts] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._db = db  # for the review case of a spike alert

    async def close(self) -> None:
        for task in list(self._background):
            await task
        await self.scorer.close()
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
        self,
        *,
        instance_id: int,
        shop_id: int,
        helper_id: int,
        idempotency_key: str | None,
        share: str | None = None,
        share_open_id: int | None = None,
        joined_epoch: int | None = None,
        client: ClientInfo | None = None,
    ) -> sql.GiveOutcome:
        """Count (or hold) one assist, or raise the HuzhuError that says why not. `share`
        is the token of the link the helper came through: checked here by its HMAC
        alone, its revocation inside the transaction."""
        facts = await self.instance_facts(instance_id)
        if facts is None or facts.row.shop_id != shop_id:
            raise InstanceNotFound(f"instance {instance_id} not found")
        row, terms = facts.row, facts.terms
        if row.kind == "groupbuy":
            # A team place is taken only by a real person who orders (POST /teams/{id}/join);
            # letting an assist fill it would be exactly the robot member we promise never.
            raise UnsupportedKind("a team is joined by ordering, not by assisting")
        if row.initiator_id == helper_id:
            raise SelfAssist("ask a friend: your own assist does not count")
        now = clock.utcnow()
        link = None
        if share is not None:
            link = invites.verify_share_token(self.settings, share, now=now)
            if link.instance_id != instance_id:
                raise LinkMismatch("this share link is for another instance", field="share")
        elif share_open_id is not None:
            raise InvalidInput("share_open needs the share it came from", field="share")
        risk = await self._risk(
            row=row,
            instance_id=instance_id,
            shop_id=shop_id,
            helper_id=helper_id,
            at=now,
            context=AssistContext(
                account_age_seconds=now.timestamp() - joined_epoch if joined_epoch else None,
                share_seen=link is not None,
                share_link_id=link.link_id if link is not None else None,
                share_open_id=share_open_id,
            ),
            client=client,
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
                share_link_id=link.link_id if link is not None else None,
                share_open_id=share_open_id,
                channel=link.channel if link is not None else None,
            )
        )
        if outcome.outcome == "restricted":
            # Rare, so off the single statement: why, as the enforcement ladder wrote it.
            reason = await self._restriction_reason(helper_id)
            raise AccountRestricted(
                "this account may not assist right now",
                restricted_until=(
                    outcome.restricted_until.isoformat() if outcome.restricted_until else None
                ),
                reason=reason,
            )
        _raise_refusal(outcome, daily_cap=terms.daily_cap)
        if outcome.outcome == "held" and WATCH_REASON not in risk.reasons:
            # Held by its own score: an analyst must see it (a watch's holds are in the
            # spike's case already).
            hold = HoldAlert(
                shop_id=shop_id,
                campaign_id=row.campaign_id,
                instance_id=instance_id,
                assist_id=int(outcome.assist_id or 0),
                helper_id=helper_id,
                score=risk.score,
                reasons=list(risk.reasons),
                at=now,
            )
            self._in_background(lambda session: open_hold_case(session, hold))
        return outcome

    async def _restriction_reason(self, account_id: int) -> str | None:
        if self._db is None:
            return None
        db = self._db

        def _read() -> str | None:
            with db.unit_of_work() as session:
                return assists_service.restriction_reason(session, account_id)

        return await run_in_threadpool(_read)

    async def _risk(
        self,
        *,
        row: sql.FactsRow,
        instance_id: int,
        shop_id: int,
        helper_id: int,
        at: datetime,
        context: AssistContext,
        client: ClientInfo | None,
    ) -> RiskDecision:
        """The inline decision (risk/scoring.py), or a test's forced one."""
        if self.decide is not None:
            return self.decide(
                AssistFeatures(
                    shop_id=shop_id,
                    campaign_id=row.campaign_id,
                    instance_id=instance_id,
                    kind=row.kind,
                    helper_id=helper_id,
                    initiator_id=row.initiator_id,
                    at=at,
                )
            )
        return await self.scorer.assess(
            shop_id=shop_id,
            campaign_id=row.campaign_id,
            instance_id=instance_id,
            helper_id=helper_id,
            initiator_id=row.initiator_id,
            at=at,
            # A server-side caller (the demo seed) has no client to describe.
            headers=client.headers if client is not None else {"user-agent": "huzhu"},
            client_host=client.host if client is not None else None,
            context=context,
            on_spike=self._on_spike,
        )

    async def _on_spike(self, alert: SpikeAlert) -> None:
        self._in_background(lambda session: open_spike_case(session, alert))

    def _in_background(self, write: Callable[[Session], object]) -> None:
        """Open a review case after this request, in its own unit of work in a pool
        thread; the hot path never waits on it."""
        if self._db is None:
            return
        db = self._db

        def _open() -> None:
            with db.unit_of_work() as session:
                write(session)

        task = asyncio.get_running_loop().create_task(_in_thread(_open))
        self._background.add(task)
        task.add_done_callback(self._background.discard)


async def _in_thread(fn: Callable[[], None]) -> None:
    try:
        await run_in_threadpool(fn)
    except Exception:  # an alert that failed must not fail anything else; it is logged
        logger.exception("opening a review case failed")


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """What the request says about the client, for inline scoring (never stored raw)."""

    headers: Mapping[str, str]
    host: str | None


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
            instance_status=outcome.instance_status,
        )
    if kind == "self_assist":
        raise SelfAssist("ask a friend: your own assist does not count")
    if kind == "blocked":
        raise Blocked("one of you blocked the other: no assists between you", reason="blocked")
    if kind == "share_revoked":
        raise LinkRevoked("the sender withdrew this link; assist without it")
    if kind == "share_mismatch":
        raise LinkMismatch("the share link or its open does not belong to this instance")
    if kind == "full":
        raise InstanceFull("every slot of this instance is taken")
    if kind == "daily_limit":
        raise DailyAssistLimit(
            f"at most {daily_cap} assists per day in this campaign", limit=daily_cap
        )
    raise HuzhuError(f"unexpected hot path outcome {kind}")


async def open_hotpath(settings: Settings, db: Database | None = None) -> HotPath:
    """Called by the app lifespan: the per-process connection or pool, and the inline
    scorer's counters. `db` lets a spike alert open its review case."""
    store: AssistStore
    if settings.db.is_sqlite:
        store = SqliteAssistStore(str(settings.db.sqlite_path))
    else:
        store = await PostgresAssistStore.open(settings.db.asyncpg_dsn, size=settings.db.pool_size)
    return HotPath(settings, store, InlineScorer.open(settings), db)


async def participant_claims_of(
    request: Request, settings: Settings, permission: Permission, *, token: str | None = None
) -> ParticipantClaims:
    """A participant token's claims by its signature alone. Any other bearer is resolved
    through the database (rare, off the fast path) only to answer 401 or 403 exactly as
    every other route does. `token`: the bearer, when the caller has read it already."""
    token = token or bearer_token(request)
    if token is None:
        raise InvalidToken("send Authorization: Bearer <token>")
    found = accounts.participant_claims(settings, token)
    if found is not None:
        return found
    db: Database = request.app.state.db

    def _role() -> str:
        with db.unit_of_work() as session:
            return accounts.authenticate(session, settings, token).role.value

    role = await run_in_threadpool(_role)
    raise PermissionDenied(f"role {role} lacks {permission.value}")


async def participant_of(
    request: Request, settings: Settings, permission: Permission
) -> tuple[int, int]:
    """(shop_id, account_id) of the calling participant (see participant_claims_of)."""
    claims = await participant_claims_of(request, settings, permission)
    return claims.shop_id, claims.account_id


@dataclass(frozen=True, slots=True)
class AssistArgs:
    instance_id: int
    idempotency_key: str | None
    share: str | None
    share_open_id: int | None


def request_headers(request: Request) -> dict[str, str]:
    """The request's headers as a plain dict, read once: starlette's Headers scans the
    raw list on every lookup, and the hot path looks up several (the first of a repeated
    header wins, as with Headers.get)."""
    return {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in reversed(request.scope["headers"])
    }


def _request_args(request: Request, headers: Mapping[str, str]) -> AssistArgs:
    """instance_id, Idempotency-Key and the optional `share` / `share_open` query
    parameters, validated by hand (the route skips FastAPI's parameter solving, which
    costs more than the whole transaction)."""
    raw = request.path_params.get("instance_id", "")
    instance_id = int(raw) if raw.isdigit() and len(raw) <= 19 else 0
    if not 1 <= instance_id <= MAX_ID:
        raise InvalidInput("instance_id must be a positive 64-bit integer", field="instance_id")
    key = headers.get("idempotency-key") or None
    if key is not None and len(key) > 200:
        raise InvalidInput("at most 200 characters", field="Idempotency-Key")
    if not request.scope.get("query_string"):
        return AssistArgs(instance_id, key, None, None)
    query = request.query_params
    share = query.get("share") or None
    if share is not None and len(share) > 600:
        raise InvalidInput("at most 600 characters", field="share")
    raw_open = query.get("share_open")
    open_id = int(raw_open) if raw_open and raw_open.isdigit() and len(raw_open) <= 19 else None
    if raw_open is not None and (open_id is None or not 1 <= open_id <= MAX_ID):
        raise InvalidInput("share_open must be a positive 64-bit integer", field="share_open")
    return AssistArgs(instance_id, key, share, open_id)


async def give_assist(request: Request) -> Response:
    """The route body: 201 counted, 202 held for review; a replay of the same
    Idempotency-Key answers the first status and body again."""
    headers = request_headers(request)
    args = _request_args(request, headers)
    instance_id = args.instance_id
    hotpath: HotPath = request.app.state.hotpath
    claims = await participant_claims_of(
        request,
        hotpath.settings,
        Permission.ASSIST_GIVE,
        token=parse_bearer(headers.get("authorization", "")),
    )
    outcome = await hotpath.give(
        instance_id=instance_id,
        shop_id=claims.shop_id,
        helper_id=claims.account_id,
        idempotency_key=args.idempotency_key,
        share=args.share,
        share_open_id=args.share_open_id,
        joined_epoch=claims.joined_epoch,
        client=ClientInfo(headers=headers, host=request.client.host if request.client else None),
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
    replayed = {"Idempotent-Replayed": "true"} if outcome.outcome == "replay" else None
    status = 202 if outcome.assist_status == "held" else 201
    return Response(body, status_code=status, media_type="application/json", headers=replayed)
