"""The assist hot path's use case: from an `AssistRequest` to a counted, held or refused
assist.

`assist_request` is the one way an HTTP request (the API route or the page form)
becomes an assist: the caller's token, the client's headers and address, the account's
age, the share it came through. `HotPath.give` then checks the share link's signature
(through `ports.ShareCheck`), asks the risk screen (`ports.RiskScreen`), runs the one
transaction (store.py) and turns a refusal into the HuzhuError that says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request

from huzhu.accounts import service as accounts
from huzhu.accounts.errors import AccountRestricted, InvalidToken, PermissionDenied
from huzhu.accounts.rules import ParticipantClaims, Permission, parse_bearer
from huzhu.assists.errors import (
    AlreadyAssisted,
    AssistRefused,
    DailyAssistLimit,
    HoldLimitReached,
    InstanceClosed,
    InstanceFull,
    InstanceNotFound,
    SelfAssist,
    UnsupportedKind,
)
from huzhu.assists.hotpath.ports import (
    REFUSED,
    SERVER_CLIENT,
    Assessment,
    AssistRequest,
    Client,
    DecideInline,
    RiskScreen,
    ShareCheck,
    Verdict,
)
from huzhu.assists.hotpath.repository import acts
from huzhu.assists.hotpath.store import AssistStore, PostgresAssistStore, SqliteAssistStore
from huzhu.assists.rules import FINISHED, AssistTerms, assist_terms, day_key, success_plan
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.deps import in_one_unit_of_work
from huzhu.errors import HuzhuError, InvalidInput
from huzhu.kit import clock

FACTS_CACHE_MAX = 100_000


@dataclass(frozen=True, slots=True)
class InstanceFacts:
    row: acts.FactsRow
    terms: AssistTerms


class HotPath:
    """One per process, on app.state.hotpath. `decide`, when a test sets it, replaces
    the risk screen's decision (to force a hold or a refusal without shaping traffic)."""

    def __init__(
        self,
        settings: Settings,
        store: AssistStore,
        *,
        shares: ShareCheck,
        screen: RiskScreen,
        db: Database | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.shares = shares
        self.screen = screen
        self.decide: DecideInline | None = None
        self._facts: dict[int, InstanceFacts] = {}
        self._db = db  # to say why a restricted helper is refused

    async def close(self) -> None:
        await self.screen.close()
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

    async def give(self, ask: AssistRequest) -> acts.GiveOutcome:
        """Count (or hold) one assist, or raise the HuzhuError that says why not. The
        share link is checked here by its HMAC alone, its revocation inside the
        transaction."""
        instance_id, helper_id = ask.instance_id, ask.helper_id
        facts = await self.instance_facts(instance_id)
        if facts is None or facts.row.shop_id != ask.shop_id:
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
        if ask.share is not None:
            link = self.shares.verify(ask.share, now=now)
            if link.instance_id != instance_id:
                raise self.shares.mismatch("this share link is for another instance", field="share")
        elif ask.share_open_id is not None:
            raise InvalidInput("share_open needs the share it came from", field="share")
        assessment = Assessment(
            shop_id=ask.shop_id,
            campaign_id=row.campaign_id,
            instance_id=instance_id,
            kind=row.kind,
            helper_id=helper_id,
            initiator_id=row.initiator_id,
            at=now,
            client=ask.client,
            account_age_seconds=now.timestamp() - ask.joined_epoch if ask.joined_epoch else None,
            share_link_id=link.link_id if link is not None else None,
            share_open_id=ask.share_open_id,
        )
        verdict = await self._assess(assessment)
        if verdict.decision == REFUSED:
            raise AssistRefused(reasons=list(verdict.reasons))
        risk = self.settings.risk
        network_hash = verdict.network_hash if verdict.decision == acts.Decision.HOLD else None
        outcome = await self.store.give(
            acts.GiveParams(
                instance_id=instance_id,
                shop_id=ask.shop_id,
                campaign_id=row.campaign_id,
                helper_id=helper_id,
                decision=acts.Decision(verdict.decision),
                score=verdict.score,
                reasons=list(verdict.reasons),
                idempotency_key=ask.idempotency_key,
                now=now,
                day=day_key(now),
                daily_cap=terms.daily_cap,
                success=success_plan(terms, now=now),
                share_link_id=link.link_id if link is not None else None,
                share_open_id=ask.share_open_id,
                channel=link.channel if link is not None else None,
                network_hash=network_hash,
                hold_bucket=int(now.timestamp()) // risk.held_network_window_seconds,
                held_per_instance=risk.held_per_instance,
                held_per_network=risk.held_per_network,
                group_signs=verdict.group_signs,
                group_net_hash=verdict.group_net_hash,
                group_device_hash=verdict.group_device_hash,
            )
        )
        if outcome.outcome == acts.Outcome.RESTRICTED:
            raise await self._restricted(helper_id, outcome)
        self._raise_refusal(outcome, daily_cap=terms.daily_cap, now=now)
        if outcome.outcome == acts.Outcome.HELD:
            self.screen.held(assessment, verdict, assist_id=int(outcome.assist_id or 0))
        return outcome

    async def _assess(self, assessment: Assessment) -> Verdict:
        if self.decide is not None:
            return self.decide(assessment)
        return await self.screen.assess(assessment)

    async def _restricted(self, account_id: int, outcome: acts.GiveOutcome) -> AccountRestricted:
        """Rare, so off the single statement: why, as the enforcement ladder wrote it."""
        reason = None
        if self._db is not None:
            reason = await in_one_unit_of_work(
                self._db, lambda session: accounts.restriction_reason(session, account_id)
            )
        until = outcome.restricted_until
        return AccountRestricted(
            "this account may not assist right now",
            restricted_until=until.isoformat() if until else None,
            reason=reason,
        )

    def _raise_refusal(self, outcome: acts.GiveOutcome, *, daily_cap: int, now: datetime) -> None:
        kind = outcome.outcome
        if kind in (acts.Outcome.COUNTED, acts.Outcome.HELD, acts.Outcome.REPLAY):
            return
        error: HuzhuError
        if kind == acts.Outcome.NOT_FOUND:
            error = InstanceNotFound("instance not found")
        elif kind == acts.Outcome.ALREADY_ASSISTED:
            error = AlreadyAssisted("one assist per helper per instance")
        elif kind == acts.Outcome.CLOSED and outcome.instance_status in FINISHED:
            error = InstanceFull(
                f"the instance has {outcome.instance_status}: it needs no more assists"
            )
        elif kind == acts.Outcome.CLOSED:
            error = InstanceClosed(
                f"the instance is {outcome.instance_status or 'expired'}",
                instance_status=outcome.instance_status,
            )
        elif kind == acts.Outcome.SELF_ASSIST:
            error = SelfAssist("ask a friend: your own assist does not count")
        elif kind == acts.Outcome.BLOCKED:
            error = self.shares.blocked()
        elif kind == acts.Outcome.SHARE_REVOKED:
            error = self.shares.revoked()
        elif kind == acts.Outcome.SHARE_MISMATCH:
            error = self.shares.mismatch(
                "the share link or its open does not belong to this instance"
            )
        elif kind == acts.Outcome.FULL:
            error = InstanceFull("every slot of this instance is taken")
        elif kind == acts.Outcome.DAILY_LIMIT:
            error = DailyAssistLimit(
                f"at most {daily_cap} assists per day in this campaign", limit=daily_cap
            )
        elif kind in (acts.Outcome.HOLD_LIMIT_INSTANCE, acts.Outcome.HOLD_LIMIT_NETWORK):
            error = self._hold_limit(kind, now=now)
        else:
            error = HuzhuError(f"unexpected hot path outcome {kind}")
        raise error

    def _hold_limit(self, kind: acts.Outcome, *, now: datetime) -> HoldLimitReached:
        """A full instance frees a place when a reviewer decides one of its holds; a
        network's allowance comes back when its window ends."""
        risk = self.settings.risk
        if kind == acts.Outcome.HOLD_LIMIT_INSTANCE:
            return HoldLimitReached(
                f"this instance already has {risk.held_per_instance} assists waiting for "
                "review: try again later",
                scope="instance",
                limit=risk.held_per_instance,
                retry_after=risk.held_retry_after_seconds,
            )
        window = risk.held_network_window_seconds
        left = window - int(now.timestamp()) % window
        return HoldLimitReached(
            f"your network already put {risk.held_per_network} assists on hold for review: "
            "try again later",
            scope="network",
            limit=risk.held_per_network,
            retry_after=max(left, 1),
        )


async def open_hotpath(
    settings: Settings, *, shares: ShareCheck, screen: RiskScreen, db: Database | None = None
) -> HotPath:
    """The per-process connection (SQLite) or pool (PostgreSQL) behind the hot path.
    `db` lets a refusal of a restricted helper say why."""
    store: AssistStore
    if settings.db.is_sqlite:
        store = SqliteAssistStore(
            str(settings.db.sqlite_path),
            wait_seconds=settings.db.wait_seconds,
            retry_after=settings.db.retry_after_seconds,
        )
    else:
        store = await PostgresAssistStore.open(
            settings.db.asyncpg_dsn,
            size=settings.db.pool_sizes[1],
            wait_seconds=settings.db.wait_seconds,
            retry_after=settings.db.retry_after_seconds,
        )
    return HotPath(settings, store, shares=shares, screen=screen, db=db)


# -- from an HTTP request ----------------------------------------------------------------


def request_headers(request: Request) -> dict[str, str]:
    """The request's headers as a plain dict, read once: starlette's Headers scans the
    raw list on every lookup, and the hot path looks up several (the first of a repeated
    header wins, as with Headers.get)."""
    return {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in reversed(request.scope["headers"])
    }


async def participant_claims_of(
    request: Request, settings: Settings, permission: Permission, *, token: str | None
) -> ParticipantClaims:
    """A participant token's claims by its signature alone. Any other bearer is resolved
    through the database (rare, off the fast path) only to answer 401 or 403 exactly as
    every other route does."""
    if token is None:
        raise InvalidToken("send Authorization: Bearer <token>")
    found = accounts.participant_claims(settings, token)
    if found is not None:
        return found
    db: Database = request.app.state.db
    role = await in_one_unit_of_work(
        db, lambda session: accounts.authenticate(session, settings, token).role.value
    )
    raise PermissionDenied(f"role {role} lacks {permission.value}")


async def participant_of(
    request: Request, settings: Settings, permission: Permission
) -> tuple[int, int]:
    """(shop_id, account_id) of the calling participant (see participant_claims_of)."""
    token = parse_bearer(request.headers.get("authorization", ""))
    claims = await participant_claims_of(request, settings, permission, token=token)
    return claims.shop_id, claims.account_id


async def assist_request(
    request: Request,
    *,
    token: str | None,
    instance_id: int,
    idempotency_key: str | None,
    share: str | None,
    share_open_id: int | None,
    headers: Mapping[str, str] | None = None,
) -> AssistRequest:
    """The one way an HTTP request becomes an assist, for the API route and the page
    form alike: the helper from their participant token (bearer or session cookie), the
    client (headers and address) and the account's age for the inline screen, and the
    share the helper says they came through. `headers`: the request's, when the caller
    has read them already (request_headers)."""
    settings: Settings = request.app.state.settings
    claims = await participant_claims_of(request, settings, Permission.ASSIST_GIVE, token=token)
    return AssistRequest(
        instance_id=instance_id,
        shop_id=claims.shop_id,
        helper_id=claims.account_id,
        idempotency_key=idempotency_key,
        client=Client(
            headers=headers if headers is not None else request_headers(request),
            host=request.client.host if request.client else None,
        ),
        joined_epoch=claims.joined_epoch,
        share=share,
        share_open_id=share_open_id,
    )


def server_request(
    *, instance_id: int, shop_id: int, helper_id: int, idempotency_key: str | None
) -> AssistRequest:
    """An assist given by the server itself (the demo seed): no client to describe."""
    return AssistRequest(
        instance_id=instance_id,
        shop_id=shop_id,
        helper_id=helper_id,
        idempotency_key=idempotency_key,
        client=SERVER_CLIENT,
    )
