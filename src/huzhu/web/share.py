"""The share landing page, /s/{token}: what a friend sees when they open a share link.

A genuine link shows the instance page with a genuine-link badge, and its open is
recorded (time, channel, keyed hashes of the client hints — never the raw IP); an assist
from here carries the share and the open it came from, so scoring can tell an assist
that followed a real open from one that did not. A tampered, expired, revoked or
unknown-key link gets an error page that says which, never a 500. From here the friend
can also mute the sender in one tap (undone on /me/relations), or block or report them
after a confirmation that says what happens next.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from huzhu.config import Settings
from huzhu.deps import in_one_unit_of_work
from huzhu.errors import HuzhuError
from huzhu.invites import service as invites
from huzhu.risk.inline import DEVICE_HEADER
from huzhu.risk.review import service as reviews
from huzhu.web import auth, messages
from huzhu.web.pages import PageRoute, form_of, redirect
from huzhu.web.participant import Arrival, render_instance, signed_in
from huzhu.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
RELATIONS = {"mute": "muted", "block": "blocked"}
REPORT_TEXT_MAX = 500


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get("/s/{token}")
async def share_landing(token: str, request: Request) -> Response:
    settings = _settings(request)
    opened = await in_one_unit_of_work(
        request,
        lambda session: invites.open_share(
            session,
            settings,
            token=token,
            user_agent=request.headers.get("user-agent"),
            client_ip=request.client.host if request.client else None,
            device=request.headers.get(DEVICE_HEADER),
        ),
    )
    arrival = Arrival(token=token, open_id=opened.open_id, sender_id=opened.link.sender_id)
    return await render_instance(request, opened.link.instance_id, arrival=arrival)


@router.post("/s/{token}/{action}")
async def act_on_sender(token: str, action: str, request: Request) -> Response:
    """Mute or block the link's sender, or report them for spam. The sender is never
    told who did it (telling a spammer invites retaliation). A mute is one tap and lands
    on the mutes-and-blocks page, its undo in reach; a block and a report first ask,
    saying what happens next (a report cannot be taken back)."""
    data = await form_of(request)
    shop_id, account_id = signed_in(request)
    settings = _settings(request)
    if action not in (*RELATIONS, "report"):
        return redirect(f"/s/{token}")
    asked = action == "mute" or data.get("confirmed") == "yes"

    def _act(session: Session) -> int:
        link = invites.live_link(session, settings, token)
        if not asked:
            return link.instance_id
        if action in RELATIONS:
            invites.set_relation(
                session,
                shop_id=shop_id,
                account_id=account_id,
                other_id=link.sender_id,
                kind=action,
                on=True,
            )
        elif action == "report":
            reviews.file_report(
                session,
                settings,
                shop_id=shop_id,
                reporter_id=account_id,
                kind="spam",
                account_id=link.sender_id,
                instance_id=None,
                text=(data.get("text") or "").strip()[:REPORT_TEXT_MAX] or None,
            )
        return link.instance_id

    try:
        instance_id = await in_one_unit_of_work(request, _act)
    except HuzhuError as exc:
        if exc.status in (404, 410):
            raise
        return redirect(f"/s/{token}", **messages.problem_query(request, exc))
    if not asked:
        return render(
            request,
            "participant/confirm_act.html",
            viewer=await auth.viewer(request, settings),
            action=action,
            action_url=request.url.path,
            back=f"/s/{token}",
            text_max=REPORT_TEXT_MAX,
        )
    if action in RELATIONS:
        return redirect("/me/relations", notice=RELATIONS[action], back=f"/i/{instance_id}")
    return redirect(f"/i/{instance_id}", notice="reported")
