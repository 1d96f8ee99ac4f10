"""A person's own data on the pages: the export as a page to read and as the same JSON
document to download (both from `privacy.service.export_of`), and deleting the account
after a clear confirmation."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from huzhu.accounts import service as accounts
from huzhu.config import Settings
from huzhu.deps import in_one_unit_of_work
from huzhu.errors import HuzhuError
from huzhu.privacy import service as privacy
from huzhu.web import auth, messages, security
from huzhu.web.pages import PageRoute, form_of, form_step, redirect
from huzhu.web.participant import signed_in
from huzhu.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _export(request: Request, shop_id: int, account_id: int) -> dict[str, Any]:
    settings = _settings(request)

    def _load(session: Session) -> dict[str, Any]:
        return privacy.export_of(session, settings, shop_id=shop_id, account_id=account_id)

    return await in_one_unit_of_work(request, _load)


@router.get("/me/export")
async def my_export(request: Request) -> Response:
    settings = _settings(request)
    who = auth.participant(request, settings)
    if who is None:
        return redirect("/signin", next="/me/export")
    data = await _export(request, *who)
    return render(
        request, "participant/export.html", viewer=await auth.viewer(request, settings), data=data
    )


@router.get("/me/export.json")
async def my_export_json(request: Request) -> Response:
    who = auth.participant(request, _settings(request))
    if who is None:
        return redirect("/signin", next="/me/export")
    data = await _export(request, *who)
    body = json.dumps(data, ensure_ascii=False, indent=2).encode()
    return Response(
        body,
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="huzhu-my-data.json"',
            "Cache-Control": "no-store",
        },
    )


# -- one's display name ---------------------------------------------------------------------


@router.post("/me/display-name")
async def set_display_name(request: Request) -> Response:
    """The name form on /me: saved as typed (trimmed), or cleared by the clear button or
    an empty field, by the same service as `PUT /api/v1/me/display-name`."""
    data = await form_of(request)
    _shop_id, account_id = signed_in(request)
    name = None if data.get("clear") == "yes" else data.get("display_name", "")
    return await form_step(
        request,
        lambda session: accounts.set_display_name(
            session, account_id=account_id, display_name=name
        ),
        back="/me",
        notice="display_name_saved" if name and name.strip() else "display_name_cleared",
    )


# -- deleting one's account ----------------------------------------------------------------


@router.get("/me/delete")
async def delete_form(request: Request) -> Response:
    settings = _settings(request)
    who = auth.participant(request, settings)
    if who is None:
        return redirect("/signin", next="/me/delete")
    account_id = who[1]
    running = await in_one_unit_of_work(
        request, lambda session: privacy.blocking_deletion(session, account_id=account_id)
    )
    return render(
        request,
        "participant/delete.html",
        viewer=await auth.viewer(request, settings),
        running=running,
        error=messages.error(request),
    )


@router.post("/me/delete")
async def delete_account(request: Request) -> Response:
    """Deleting takes a ticked box and the button: a slip of the thumb on the button
    alone deletes nothing."""
    data = await form_of(request)
    shop_id, account_id = signed_in(request)
    settings = _settings(request)
    if data.get("confirm") != "yes":
        return redirect("/me/delete", error="delete_not_confirmed")
    try:
        await in_one_unit_of_work(
            request,
            lambda session: privacy.delete_account(
                session, settings, shop_id=shop_id, account_id=account_id
            ),
        )
    except HuzhuError as exc:
        return redirect("/me/delete", **messages.problem_query(request, exc))
    response = redirect("/", notice="account_deleted")
    security.clear_cookie(response, request, settings, name=security.PARTICIPANT_COOKIE)
    return response
