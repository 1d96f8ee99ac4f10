"""A lottery's public draw record as a page (/campaigns/{id}/draw), and what every page
that shows a drawn lottery reads: the result from the same service data as
GET /api/v1/campaigns/{id}/draw, and a signed-in participant's own line of it from the
same data as GET /api/v1/campaigns/{id}/draw/me.

The page is public like the record: the winners are per-campaign pseudonyms, never a
name. It says in words how anyone can check the draw, and gives the `huzhu verify-draw`
command with the record's real address, as this browser reaches the site.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from huzhu.assists.lottery import service as lottery
from huzhu.campaigns import service as campaigns
from huzhu.campaigns.errors import CampaignNotFound
from huzhu.config import Settings
from huzhu.deps import in_one_unit_of_work
from huzhu.web import auth
from huzhu.web.pages import PageRoute
from huzhu.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def my_line(
    session: Session, settings: Settings, who: tuple[int, int] | None, campaign_id: int
) -> dict[str, Any] | None:
    """The signed-in participant's own line of the draw (GET …/draw/me), or None for a
    visitor or a participant of another shop (who has no line in it)."""
    if who is None:
        return None
    try:
        return lottery.my_entry(
            session, settings, shop_id=who[0], campaign_id=campaign_id, account_id=who[1]
        )
    except CampaignNotFound:
        return None


@router.get("/campaigns/{campaign_id}/draw")
async def draw_record_page(campaign_id: int, request: Request) -> Response:
    settings: Settings = request.app.state.settings
    who = auth.participant(request, settings)

    def _load(session: Session) -> dict[str, Any]:
        campaign = campaigns.public_view(session, campaign_id)
        if campaign.kind != "lottery":
            raise CampaignNotFound(f"campaign {campaign_id} is not a lottery")
        result = lottery.result_of(session, campaign_id)
        mine = my_line(session, settings, who, campaign_id) if result else None
        return {"campaign": campaign, "result": result, "mine": mine}

    found = await in_one_unit_of_work(request, _load)
    return render(
        request,
        "participant/draw.html",
        viewer=await auth.viewer(request, settings),
        record_url=str(request.url_for("get_draw", campaign_id=campaign_id)),
        **found,
    )
