"""The participant's mutes and blocks: whom they muted or blocked and since when, each
with its undo. A mute or block made from a share link lands here, so the undo is one tap
away at once, and the page stays reachable from My activities and the invite
preferences. Undoing brings nothing back as new: the other person's invites refused
meanwhile were never stored, and those delivered before were set aside (read) when the
mute or block was made (invites.service.set_relation)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from huzhu.config import Settings
from huzhu.deps import in_one_unit_of_work
from huzhu.errors import NotFound
from huzhu.invites import service as invites
from huzhu.web import auth, messages
from huzhu.web.pages import PageRoute, form_of, form_step, local_path, redirect
from huzhu.web.participant import signed_in
from huzhu.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
HOME = "/me/relations"
UNDONE = {"mute": "unmuted", "block": "unblocked"}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get(HOME)
async def my_relations(request: Request) -> Response:
    settings = _settings(request)
    who = auth.participant(request, settings)
    if who is None:
        return redirect("/signin", next=HOME)
    back = request.query_params.get("back")
    found = await in_one_unit_of_work(
        request, lambda session: invites.silenced_by(session, settings, who[1])
    )
    return render(
        request,
        "participant/relations.html",
        viewer=await auth.viewer(request, settings),
        muted=[r for r in found if r.kind == "mute"],
        blocked=[r for r in found if r.kind == "block"],
        back=local_path(back, "") if back else None,
        notice=messages.notice(request, request.query_params.get("notice")),
        error=messages.error(request),
    )


@router.post(HOME + "/{kind}/{other_id}/undo")
async def undo(kind: str, other_id: int, request: Request) -> Response:
    """Unmute or unblock: the same act as DELETE /api/v1/me/mutes|blocks/{account_id}."""
    await form_of(request)
    shop_id, account_id = signed_in(request)
    if kind not in UNDONE:
        raise NotFound(f"no relation kind {kind!r}: mute or block")
    return await form_step(
        request,
        lambda session: invites.set_relation(
            session,
            shop_id=shop_id,
            account_id=account_id,
            other_id=other_id,
            kind=kind,
            on=False,
        ),
        back=HOME,
        notice=UNDONE[kind],
    )
