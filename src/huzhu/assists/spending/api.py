"""Routes of a participant's own money view: spending, caps, and the confirmation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from huzhu.accounts.deps import require
from huzhu.accounts.rules import Permission, Principal
from huzhu.assists.schemas import SpendingSummary
from huzhu.assists.spending import service
from huzhu.assists.spending.schemas import (
    ActivitySummary,
    ConfirmIn,
    GuardrailsIn,
    GuardrailsOut,
    QuoteOut,
    SummaryLength,
)
from huzhu.deps import SessionDep, SettingsDep
from huzhu.errors import InvalidInput
from huzhu.guardrails.rules import StepKind
from huzhu.guardrails.schemas import CapChangeOut
from huzhu.kit import clock

router = APIRouter(tags=["guardrails"])

Own = Annotated[Principal, Depends(require(Permission.GUARDRAILS_OWN))]


class SpendingOut(BaseModel):
    week: SpendingSummary
    month: SpendingSummary


@router.get("/me/spending", response_model=SpendingOut)
def my_spending(session: SessionDep, settings: SettingsDep, principal: Own) -> SpendingOut:
    """What you spent, hold and got back through campaigns this week and this month (in
    the shop's calendar), with every order."""
    span = service.periods_now(settings)
    mine = {"shop_id": principal.shop_id, "account_id": principal.subject_id}
    return SpendingOut(
        week=service.spending_of(session, settings, since=span.week_start, **mine),
        month=service.spending_of(session, settings, since=span.month_start, **mine),
    )


@router.get("/me/guardrails", response_model=GuardrailsOut)
def my_guardrails(session: SessionDep, settings: SettingsDep, principal: Own) -> GuardrailsOut:
    """Your caps in force, what is used of each and when it resets, a raise still
    waiting, and whether your next money step must wait (cooling-off)."""
    return service.guardrails_of(
        session, settings, shop_id=principal.shop_id, account_id=principal.subject_id
    )


@router.put("/me/guardrails", response_model=GuardrailsOut)
def set_my_guardrails(
    body: GuardrailsIn, session: SessionDep, settings: SettingsDep, principal: Own
) -> GuardrailsOut:
    """Change your caps: a lower cap applies at once, a higher one only after the wait
    (`raise_wait_seconds`); above the shop's ceiling is 422 `cap_above_ceiling`."""
    requested = body.requested()
    if not requested:
        raise InvalidInput("name at least one cap to change")
    return service.set_guardrails(
        session,
        settings,
        shop_id=principal.shop_id,
        account_id=principal.subject_id,
        requested=requested,
    )


@router.get("/me/guardrails/history", response_model=list[CapChangeOut])
def my_guardrail_history(session: SessionDep, principal: Own) -> list[CapChangeOut]:
    """Every change you made to your caps, newest first."""
    rows = service.cap_history(session, shop_id=principal.shop_id, account_id=principal.subject_id)
    return [CapChangeOut.model_validate(row) for row in rows]


@router.post("/me/confirmations", response_model=QuoteOut)
def confirm(
    body: ConfirmIn, session: SessionDep, settings: SettingsDep, principal: Own
) -> QuoteOut:
    """The one confirmation before a money step (open a team, join one, buy a bargain):
    the price now beside your real numbers, and a token for exactly that step. Send the
    token in the step's `Huzhu-Confirmation` header; without one the step answers 428
    `confirmation_required`, with a stale one (other price, expired) 409
    `confirmation_invalid`."""
    return service.quote(
        session,
        settings,
        shop_id=principal.shop_id,
        account_id=principal.subject_id,
        action=StepKind(body.action),
        target_id=body.target_id,
    )


@router.get("/me/summary", response_model=ActivitySummary)
def my_summary(
    session: SessionDep,
    settings: SettingsDep,
    principal: Own,
    period: Annotated[SummaryLength, Query(description="the shop's day or week")] = "week",
    previous: Annotated[bool, Query(description="the whole period before this one")] = False,
) -> ActivitySummary:
    """What you started, the assists you gave and received (those that count), what was
    charged, refunded and paid to you, and your activities that ended unfinished — this
    day or week so far, or the one before; every number from the ledger. The reminder in
    your inbox tells you the same."""
    since, until = service.summary_period(
        settings, length=period, previous=previous, now=clock.utcnow()
    )
    return service.summary_of(
        session,
        shop_id=principal.shop_id,
        account_id=principal.subject_id,
        since=since,
        until=until,
    )
