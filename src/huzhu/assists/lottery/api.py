"""Routes of the assist lottery: the public draw record."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel

from huzhu.accounts.deps import require
from huzhu.accounts.rules import Permission, Principal
from huzhu.assists.lottery import service as lottery
from huzhu.deps import SessionDep, SettingsDep
from huzhu.errors import Forbidden

router = APIRouter(tags=["lottery"])


class PrizeOut(BaseModel):
    name: str
    value_cents: int
    quantity: int


class EntryOut(BaseModel):
    entrant: str
    entries: int


class WinnerOut(BaseModel):
    slot: int
    prize: str
    entrant: str
    ticket: int


class DrawRecordOut(BaseModel):
    """Everything needed to re-run the draw, and nothing that names a person: entrants
    are per-campaign keyed pseudonyms."""

    algorithm: str
    campaign_id: int
    commitment_hex: str
    seed_hex: str
    drawn_at: str
    prizes: list[PrizeOut]
    entries: list[EntryOut]
    total_tickets: int
    winners: list[WinnerOut]


class MyEntryOut(BaseModel):
    campaign_id: int
    entrant: str
    drawn: bool
    entries: int | None
    prize: str | None


CampaignId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("/campaigns/{campaign_id}/draw", response_model=DrawRecordOut)
def get_draw(campaign_id: CampaignId, session: SessionDep) -> dict[str, Any]:
    """Public: the draw record — commitment, revealed seed, prizes, the sorted entries
    and the winners — enough on its own to re-run the draw with `huzhu verify-draw`.
    404 `draw_not_found` before the draw; until then only the commitment is public, in
    the campaign's public view."""
    return lottery.get_record(session, campaign_id)


@router.get("/campaigns/{campaign_id}/draw/me", response_model=MyEntryOut)
def get_my_entry(
    campaign_id: CampaignId,
    session: SessionDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(require(Permission.INSTANCE_READ_OWN))],
) -> dict[str, Any]:
    """The caller's pseudonym in the public record, their tickets and prize, so they can
    find themselves in the draw and check it with `huzhu verify-draw`. 404
    `campaign_not_found` for a campaign that is not a public lottery of the caller's
    shop."""
    if principal.kind != "participant":
        raise Forbidden("only a participant has an entry")
    return lottery.my_entry(
        session,
        settings,
        shop_id=principal.shop_id,
        campaign_id=campaign_id,
        account_id=principal.subject_id,
    )
