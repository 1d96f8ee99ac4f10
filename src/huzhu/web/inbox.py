"""The participant's inbox page: everything the engine told them (a voided assist, a
draw, a decision on their account), newest first, unread ones marked, with forms to
mark one or all read. Only ever the signed-in person's own messages: every read goes
through the notify service with their account id."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from huzhu.config import Settings
from huzhu.deps import in_one_unit_of_work
from huzhu.notify import service as notify
from huzhu.notify.schemas import InboxMessageOut
from huzhu.pagination import PageParams
from huzhu.web import auth, messages
from huzhu.web.pages import PageRoute, form_of, form_step, redirect
from huzhu.web.participant import signed_in
from huzhu.web.templating import render

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


@router.get(HOME)
async def my_inbox(request: Request) -> Response:
    settings = _settings(request)
    who = auth.participant(request, settings)
    if who is None:
        return redirect("/signin", next=HOME)
    account_id = who[1]
    params = _page_params(request)

    def _load(session: Session) -> tuple[list[InboxMessageOut], int | None]:
        rows, cursor = notify.list_inbox(session, params, account_id=account_id)
        return [InboxMessageOut.model_validate(r) for r in rows], cursor

    rows, next_cursor = await in_one_unit_of_work(request, _load)
    return render(
        request,
        "participant/inbox.html",
        viewer=await auth.viewer(request, settings),
        inbox=rows,
        next_cursor=next_cursor,
        older=params.cursor is not None,
        notice=messages.notice(request, request.query_params.get("notice")),
        error=messages.error(request),
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
