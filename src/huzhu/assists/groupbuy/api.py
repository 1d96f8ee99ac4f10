"""Routes of the group buy: open a team, join one, and the public view of a team."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from huzhu.accounts.deps import require_without_session
from huzhu.accounts.rules import Permission, Principal
from huzhu.assists.groupbuy import service as groupbuy
from huzhu.assists.models import Purchase
from huzhu.deps import SessionDep, SettingsDep, in_one_unit_of_work
from huzhu.errors import Forbidden
from huzhu.guardrails.deps import Confirmation
from huzhu.payments.service import get_provider

router = APIRouter(tags=["group buy"])

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]


class TeamOut(BaseModel):
    """A team as anyone sees it: how many, how many needed, until when, and what happens
    to the money — never who the members are."""

    team_id: int
    campaign_id: int
    status: str = Field(description="active | succeeded | completed | expired")
    members: int = Field(description="real members who ordered, the leader included")
    team_size: int
    places_left: int
    price_cents: int
    group_price_cents: int
    expires_at: datetime
    refund_rule: str = Field(description="when orders are charged and when released")


class OrderOut(BaseModel):
    purchase_id: int
    status: str = Field(description="authorized | captured | refunded")
    amount_cents: int
    payment_ref: str | None


class TeamOrderOut(BaseModel):
    team: TeamOut
    order: OrderOut


def _team_out(view: groupbuy.TeamView) -> TeamOut:
    return TeamOut(
        team_id=view.team_id,
        campaign_id=view.campaign_id,
        status=view.status,
        members=view.members,
        team_size=view.team_size,
        places_left=view.places_left,
        price_cents=view.price_cents,
        group_price_cents=view.group_price_cents,
        expires_at=view.expires_at,
        refund_rule=view.refund_rule,
    )


def _order_out(purchase: Purchase) -> OrderOut:
    return OrderOut(
        purchase_id=purchase.id,
        status=purchase.status,
        amount_cents=purchase.amount_cents,
        payment_ref=purchase.payment_ref,
    )


def _participant(principal: Principal) -> int:
    if principal.kind != "participant":
        raise Forbidden("only a participant orders, as themselves")
    return principal.subject_id


@router.post(
    "/campaigns/{campaign_id}/teams",
    response_model=TeamOrderOut,
    status_code=status.HTTP_201_CREATED,
)
async def open_team(
    campaign_id: Id,
    request: Request,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(require_without_session(Permission.INSTANCE_START))],
    confirmation: Confirmation = None,
) -> TeamOrderOut:
    """Open a team by ordering at the group price (authorized, charged only when full).
    Needs the confirmation of `open_team` for this campaign (428 without one)."""
    leader_id = _participant(principal)

    def _open(session: Session) -> TeamOrderOut:
        team, purchase = groupbuy.open_team(
            session,
            settings,
            get_provider(settings),
            shop_id=principal.shop_id,
            campaign_id=campaign_id,
            leader_id=leader_id,
            confirmation=confirmation,
        )
        view = groupbuy.team_view(session, settings, team.id)
        return TeamOrderOut(team=_team_out(view), order=_order_out(purchase))

    # One thread call from the first statement to the commit: a crowd of one person's
    # orders waits on their guardrails lock without a holder ever waiting for a thread
    # to commit (deps.in_one_unit_of_work).
    return await in_one_unit_of_work(request, _open)


@router.post(
    "/teams/{team_id}/join", response_model=TeamOrderOut, status_code=status.HTTP_201_CREATED
)
async def join_team(
    team_id: Id,
    request: Request,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(require_without_session(Permission.PURCHASE_MAKE))],
    confirmation: Confirmation = None,
) -> TeamOrderOut:
    """Join a team by ordering; 409 `team_full` when the last place is gone. Needs the
    confirmation of `join_team` for this team (428 without one)."""
    account_id = _participant(principal)

    def _join(session: Session) -> TeamOrderOut:
        view, purchase = groupbuy.join_team(
            session,
            settings,
            get_provider(settings),
            shop_id=principal.shop_id,
            team_id=team_id,
            account_id=account_id,
            confirmation=confirmation,
        )
        return TeamOrderOut(team=_team_out(view), order=_order_out(purchase))

    return await in_one_unit_of_work(request, _join)


@router.get("/teams/{team_id}", response_model=TeamOut)
def get_team(team_id: Id, session: SessionDep, settings: SettingsDep) -> TeamOut:
    """Public: members count, team size, expiry and the refund rule (no identities)."""
    return _team_out(groupbuy.team_view(session, settings, team_id))
