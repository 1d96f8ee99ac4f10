"""The participant's own standing: every enforcement action on their account (why, since
and until when), whether they may invite or take part now, and their appeals — with a
form to appeal an action once, in their own words."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from huzhu.config import Settings
from huzhu.deps import in_one_unit_of_work
from huzhu.enforcement import service as enforcement
from huzhu.errors import HuzhuError
from huzhu.web import auth, messages
from huzhu.web.pages import PageRoute, form_of, redirect
from huzhu.web.participant import signed_in
from huzhu.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
APPEAL_MAX = 2000


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get("/me/standing")
async def my_standing(request: Request) -> Response:
    settings = _settings(request)
    who = auth.participant(request, settings)
    if who is None:
        return redirect("/signin", next="/me/standing")
    shop_id, account_id = who

    def _load(session: Session) -> dict[str, Any]:
        standing = enforcement.standing(
            session, shop_id=shop_id, account_id=account_id, settings=settings.enforcement
        )
        appeals = enforcement.appeals_by(session, shop_id=shop_id, account_id=account_id)
        return {
            "standing": standing,
            "actions": list(reversed(enforcement.actions_on(session, account_id))),
            "appealed": {a.action_id: a for a in appeals},
        }

    found = await in_one_unit_of_work(request, _load)
    return render(
        request,
        "participant/standing.html",
        viewer=await auth.viewer(request, settings),
        notice=messages.notice(request, request.query_params.get("notice")),
        error=messages.error(request),
        **found,
    )


@router.post("/me/standing/{action_id}/appeal")
async def appeal(action_id: int, request: Request) -> Response:
    data = await form_of(request)
    shop_id, account_id = signed_in(request)
    text = data.get("text", "").strip()
    if not 1 <= len(text) <= APPEAL_MAX:
        return redirect("/me/standing", error="appeal_text_required")
    try:
        await in_one_unit_of_work(
            request,
            lambda session: enforcement.file_appeal(
                session, shop_id=shop_id, account_id=account_id, action_id=action_id, text=text
            ),
        )
    except HuzhuError as exc:
        return redirect("/me/standing", **messages.problem_query(request, exc))
    return redirect("/me/standing", notice="appeal_filed")
