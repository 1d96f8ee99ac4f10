"""Use cases of the guardrails: a person's caps (read, lower, raise), the admission of one
step against them, and the confirmation before a money step. The invariants are in the
package's docstring (`huzhu.guardrails`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from huzhu.config import Settings
from huzhu.db import locking
from huzhu.guardrails import repository as repo
from huzhu.guardrails import rules
from huzhu.guardrails.errors import (
    CapAboveCeiling,
    CapReached,
    ConfirmationInvalid,
    ConfirmationRequired,
    CoolingOff,
)
from huzhu.guardrails.models import GuardrailCap
from huzhu.guardrails.rules import Cap, Confirmed, Step, StepKind, Usage
from huzhu.guardrails.schemas import CapChangeOut
from huzhu.kit import clock, signing
from huzhu.kit.export import plain


def zone(settings: Settings) -> ZoneInfo:
    """The shop's calendar: days, weeks and months are counted in the pages' zone."""
    return ZoneInfo(settings.web.time_zone)


def periods(settings: Settings, now: datetime) -> rules.Periods:
    return rules.periods(now, zone(settings))


def defaults(settings: Settings) -> dict[Cap, int]:
    g = settings.guardrails
    return {
        Cap.DAILY_SPEND: g.daily_spend_cents,
        Cap.MONTHLY_SPEND: g.monthly_spend_cents,
        Cap.DAILY_STARTS: g.daily_starts,
        Cap.DAILY_JOINS: g.daily_joins,
    }


def ceilings(settings: Settings) -> dict[Cap, int]:
    g = settings.guardrails
    return {
        Cap.DAILY_SPEND: g.daily_spend_ceiling_cents,
        Cap.MONTHLY_SPEND: g.monthly_spend_ceiling_cents,
        Cap.DAILY_STARTS: g.daily_starts_ceiling,
        Cap.DAILY_JOINS: g.daily_joins_ceiling,
    }


def lock_person(session: Session, *, account_id: int) -> None:
    """Until the transaction ends, no other step or cap change of this person runs."""
    locking.lock_key(session, locking.GUARDRAILS, account_id)


# -- a person's caps ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CapState:
    """One cap as the person sees it: in force now, the shop's default and ceiling, and a
    raise still waiting (value and when it applies), if any."""

    cap: Cap
    limit: int
    default: int
    ceiling: int
    chosen: bool
    waiting_value: int | None = None
    waiting_from: datetime | None = None


def caps_of(
    session: Session, settings: Settings, *, shop_id: int, account_id: int, now: datetime
) -> dict[Cap, CapState]:
    base, top = defaults(settings), ceilings(settings)
    in_force: dict[Cap, GuardrailCap] = {}
    waiting: dict[Cap, GuardrailCap] = {}
    for row in repo.live_choices(session, shop_id=shop_id, account_id=account_id):
        cap = Cap(row.cap)
        if clock.as_utc(row.effective_at) <= now:
            in_force[cap] = row  # rows come oldest first: the newest in force wins
        else:
            waiting[cap] = row
    states = {}
    for cap in Cap:
        chosen = in_force.get(cap)
        # A ceiling lowered after a person chose a higher cap binds them too.
        limit = min(chosen.value if chosen is not None else base[cap], top[cap])
        later = waiting.get(cap)
        states[cap] = CapState(
            cap=cap,
            limit=limit,
            default=base[cap],
            ceiling=top[cap],
            chosen=chosen is not None,
            waiting_value=later.value if later is not None else None,
            waiting_from=clock.as_utc(later.effective_at) if later is not None else None,
        )
    return states


def limits_of(states: dict[Cap, CapState]) -> dict[Cap, int]:
    return {cap: state.limit for cap, state in states.items()}


def set_caps(
    session: Session,
    settings: Settings,
    *,
    shop_id: int,
    account_id: int,
    requested: dict[Cap, int],
) -> dict[Cap, CapState]:
    """Lower caps apply at once, higher ones after the wait; all or none are written.
    Takes the person's lock, so a step running now sees the old caps or the new ones."""
    lock_person(session, account_id=account_id)
    now = clock.utcnow()
    states = caps_of(session, settings, shop_id=shop_id, account_id=account_id, now=now)
    for cap, value in requested.items():
        if value > states[cap].ceiling:
            raise CapAboveCeiling(
                f"{cap} may be at most {states[cap].ceiling}",
                field=str(cap),
                cap=str(cap),
                ceiling=states[cap].ceiling,
            )
    wait = timedelta(seconds=settings.guardrails.raise_wait_seconds)
    for cap, value in requested.items():
        repo.cancel_waiting(session, shop_id=shop_id, account_id=account_id, cap=cap, now=now)
        repo.add(
            session,
            GuardrailCap(
                shop_id=shop_id,
                account_id=account_id,
                cap=str(cap),
                value=value,
                chosen_at=now,
                effective_at=rules.takes_effect_at(
                    current=states[cap].limit, requested=value, now=now, wait=wait
                ),
                cancelled_at=None,
            ),
        )
    return caps_of(session, settings, shop_id=shop_id, account_id=account_id, now=now)


def cap_history(session: Session, *, shop_id: int, account_id: int) -> list[CapChangeOut]:
    """Every change the person made, newest first (their own record of choices)."""
    rows = repo.history(session, shop_id=shop_id, account_id=account_id)
    return [CapChangeOut.model_validate(row) for row in rows]


# -- admitting a step -----------------------------------------------------------------


def admit(
    session: Session,
    settings: Settings,
    *,
    shop_id: int,
    account_id: int,
    step: Step,
    usage: Usage,
    now: datetime,
) -> None:
    """Refuse a step that must wait (CoolingOff) or would go past a cap (CapReached).
    The caller holds the person's lock and read `usage` after taking it."""
    if step.moves_money:
        until = rules.cooling_off_until(
            usage.recent_money_steps,
            now=now,
            steps=settings.guardrails.cooling_off_steps,
            wait=timedelta(minutes=settings.guardrails.cooling_off_minutes),
        )
        if until is not None:
            raise CoolingOff(
                f"you made {len(usage.recent_money_steps)} purchases in the last hour; "
                f"the next one can wait until {until.isoformat()}",
                wait_until=until.isoformat(),
                retry_after=max(1, math.ceil((until - now).total_seconds())),
                steps_in_hour=len(usage.recent_money_steps),
            )
    states = caps_of(session, settings, shop_id=shop_id, account_id=account_id, now=now)
    refusal = rules.first_cap_exceeded(step, usage, limits_of(states), periods(settings, now))
    if refusal is not None:
        raise CapReached(
            f"{refusal.cap} is {refusal.limit}: {refusal.used} used, this needs "
            f"{refusal.needed} more (resets {refusal.resets_at.isoformat()})",
            cap=str(refusal.cap),
            limit=refusal.limit,
            used=refusal.used,
            needed=refusal.needed,
            resets_at=refusal.resets_at.isoformat(),
        )


# -- confirmations ----------------------------------------------------------------------


def _confirm_key(settings: Settings) -> bytes:
    # A key of its own, so a confirmation is never mistaken for another signed token.
    secret = settings.security.secret_key.get_secret_value().encode()
    return signing.hmac_sha256(secret, b"huzhu:guardrails:confirm")


def needs_confirmation(settings: Settings, step: Step) -> bool:
    return step.moves_money and step.amount_cents > settings.guardrails.confirm_above_cents


def issue_confirmation(
    settings: Settings,
    *,
    shop_id: int,
    account_id: int,
    step: Step,
    target_id: int,
    now: datetime,
) -> tuple[str, datetime]:
    """A token for exactly this step, target and amount, and when it expires."""
    expires = now + timedelta(seconds=settings.guardrails.confirmation_ttl_seconds)
    confirmed = Confirmed(
        shop_id=shop_id,
        account_id=account_id,
        action=step.kind,
        target_id=target_id,
        amount_cents=step.amount_cents,
        expires_at=int(expires.timestamp()),
    )
    return signing.sign(_confirm_key(settings), confirmed.payload()), expires


def check_confirmation(
    settings: Settings,
    token: str | None,
    *,
    shop_id: int,
    account_id: int,
    step: Step,
    target_id: int,
    now: datetime,
) -> None:
    """Refuse a money step that needs a confirmation and has none (428), or whose token
    names another person, step, target or amount, or has expired (409)."""
    if not needs_confirmation(settings, step):
        return
    if not token:
        raise ConfirmationRequired(
            "this purchase needs a confirmation: POST /api/v1/me/confirmations, show the "
            "numbers it returns, then send its token in the Huzhu-Confirmation header",
            action=str(step.kind),
            target_id=target_id,
        )
    payload = signing.verify(_confirm_key(settings), token) if len(token) < 1000 else None
    confirmed = Confirmed.from_payload(payload) if payload is not None else None
    if confirmed is None:
        raise ConfirmationInvalid("the confirmation token is not genuine", reason="malformed")
    expected = (shop_id, account_id, step.kind, target_id)
    if (confirmed.shop_id, confirmed.account_id, confirmed.action, confirmed.target_id) != (
        expected
    ):
        raise ConfirmationInvalid("the confirmation is for another purchase", reason="other")
    if confirmed.amount_cents != step.amount_cents:
        raise ConfirmationInvalid(
            f"the price changed to {step.amount_cents} cents since you confirmed",
            reason="price_changed",
            amount_cents=step.amount_cents,
        )
    if confirmed.expires_at <= now.timestamp():
        raise ConfirmationInvalid("the confirmation has expired", reason="expired")


__all__ = [
    "Cap",
    "CapState",
    "Step",
    "StepKind",
    "Usage",
    "admit",
    "cap_history",
    "caps_of",
    "check_confirmation",
    "issue_confirmation",
    "lock_person",
    "needs_confirmation",
    "periods",
    "set_caps",
]


# -- a person's own data ------------------------------------------------------------------


def export_of(
    session: Session, settings: Settings, *, shop_id: int, account_id: int
) -> dict[str, Any]:
    """The caps in force now and every change the person made to them, newest first."""
    states = caps_of(session, settings, shop_id=shop_id, account_id=account_id, now=clock.utcnow())
    return {
        "caps": [plain(asdict(state)) for state in states.values()],
        "cap_history": [
            plain(change.model_dump())
            for change in cap_history(session, shop_id=shop_id, account_id=account_id)
        ],
    }


def erase_of(session: Session, *, account_id: int) -> None:
    """At the person's deletion: the caps they chose and their history (a preference)."""
    repo.erase_of(session, account_id=account_id)
    session.flush()
