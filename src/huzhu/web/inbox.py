"""The participant's inbox page: everything the engine told them (friends who helped, a
success, an expiry and its refund, a voided assist, a draw, a decision on their
account), newest first and in the page's language, unread ones marked, with forms to
mark one or all read, and to mute kinds and choose how often the summary comes. Only
ever the signed-in person's own messages: every read goes through the notify service
with their account id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from huzhu.config import Settings
from huzhu.deps import in_one_unit_of_work
from huzhu.notify import service as notify
from huzhu.notify.kinds import UNMUTEABLE, Kind, SummaryFrequency
from huzhu.pagination import PageParams
from huzhu.web import auth, messages
from huzhu.web.pages import PageRoute, form_of, form_step, redirect
from huzhu.web.participant import signed_in
from huzhu.web.templating import language, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PAGE_SIZE = 30
HOME = "/me/inbox"


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _page_params(request: Request) -> PageParams:
    """?cursor= of the "older messages" link; anything else starts from the newest."""
    try:
        return PageParams(limit=PAGE_SIZE, cursor=request.query_params.get("cursor"))
    except ValidationError:
        return PageParams(limit=PAGE_SIZE)


@dataclass(frozen=True, slots=True)
class Shown:
    """One message as the page shows it: in the page's words."""

    id: int
    kind: str
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None


@router.get(HOME)
async def my_inbox(request: Request) -> Response:
    settings = _settings(request)
    who = auth.participant(request, settings)
    if who is None:
        return redirect("/signin", next=HOME)
    account_id = who[1]
    params = _page_params(request)
    code = language(request).code
    zone = settings.web.time_zone

    def _load(session: Session) -> tuple[list[Shown], int | None, notify.InboxPreferences]:
        rows, cursor = notify.list_inbox(session, params, account_id=account_id)
        shown = []
        for row in rows:
            # The page names the zone once, beside the first message's time.
            title, body = notify.render_inbox_message(
                session, settings, row, language=code, time_zone=zone, name_zone=False
            )
            shown.append(Shown(row.id, row.kind, title, body, row.created_at, row.read_at))
        return shown, cursor, notify.inbox_preferences(session, account_id=account_id)

    rows, next_cursor, prefs = await in_one_unit_of_work(request, _load)
    return render(
        request,
        "participant/inbox.html",
        viewer=await auth.viewer(request, settings),
        inbox=rows,
        next_cursor=next_cursor,
        older=params.cursor is not None,
        kinds=list(Kind),
        unmuteable={k.value for k in UNMUTEABLE},
        muted={k.value for k in prefs.muted_kinds},
        summary=prefs.summary.value,
        summaries=list(SummaryFrequency),
        notice=messages.notice(request, request.query_params.get("notice")),
        error=messages.error(request),
    )


@router.post("/me/inbox/preferences")
async def save_preferences(request: Request) -> Response:
    """The mute form: a ticked box per kind the person wants (an unticked one is muted)
    and the summary's frequency, saved by the same service as the API."""
    data = await form_of(request)
    shown = {v for v in (await request.form()).getlist("shown") if isinstance(v, str)}
    muted = [k.value for k in Kind if k not in UNMUTEABLE and k.value not in shown]
    _shop_id, account_id = signed_in(request)
    return await form_step(
        request,
        lambda session: notify.set_inbox_preferences(
            session,
            account_id=account_id,
            muted_kinds=muted,
            summary=data.get("summary", SummaryFrequency.WEEKLY.value),
        ),
        back=HOME,
        notice="inbox_preferences_saved",
    )


@router.post("/me/inbox/read-all")
async def mark_all_read(request: Request) -> Response:
    await form_of(request)
    _shop_id, account_id = signed_in(request)
    return await form_step(
        request,
        lambda session: notify.mark_all_read(session, account_id=account_id),
        back=HOME,
        notice="inbox_read",
    )


@router.post("/me/inbox/{message_id}/read")
async def mark_read(message_id: int, request: Request) -> Response:
    await form_of(request)
    _shop_id, account_id = signed_in(request)
    return await form_step(
        request,
        lambda session: notify.mark_read(session, account_id=account_id, message_id=message_id),
        back=HOME,
        notice="message_read",
    )
