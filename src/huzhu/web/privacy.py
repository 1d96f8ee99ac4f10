"""A person's own data on the pages: the export as a page to read and as the same JSON
document to download (both from `privacy.service.export_of`)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from huzhu.config import Settings
from huzhu.deps import in_one_unit_of_work
from huzhu.privacy import service as privacy
from huzhu.web import auth
from huzhu.web.pages import PageRoute, redirect
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
