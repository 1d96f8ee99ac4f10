"""The share landing page, /s/{token}: what a friend sees when they open a share link.

A genuine link shows the instance page with a genuine-link badge, and its open is
recorded (time, channel, keyed hashes of the client hints — never the raw IP); an assist
from here carries the share and the open it came from, so scoring can tell an assist
that followed a real open from one that did not. A tampered, expired, revoked or
unknown-key link gets an error page that says which, never a 500. From here the friend
can also mute or block the sender, or report them for spam, in one tap each.
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
from huzhu.web import messages
from huzhu.web.pages import PageRoute, form_of, redirect
from huzhu.web.participant import Arrival, render_instance, signed_in

router = APIRouter(route_class=PageRoute, include_in_schema=False)
RELATIONS = {"mute": "muted", "block": "blocked"}


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
    told who did it (telling a spammer invites retaliation)."""
    data = await form_of(request)
    shop_id, account_id = signed_in(request)
    settings = _settings(request)

    def _act(session: Session) -> int:
        link = invites.live_link(session, settings, token)
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
                text=(data.get("text") or "").strip()[:500] or None,
            )
        return link.instance_id

    if action not in (*RELATIONS, "report"):
        return redirect(f"/s/{token}")
    try:
        instance_id = await in_one_unit_of_work(request, _act)
    except HuzhuError as exc:
        if exc.status in (404, 410):
            raise
        return redirect(f"/s/{token}", **messages.problem_query(request, exc))
    return redirect(f"/i/{instance_id}", notice=RELATIONS.get(action, "reported"))
