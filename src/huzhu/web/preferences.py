"""The participant's invite preferences: who may invite them (everyone, contacts,
nobody), to which campaign kinds, their quiet hours and how many invites a day. The
defaults are the considerate choice; the form shows them until the person sets their own.

Validated by the same model as the API (`invites.schemas.PreferencesIn`), saved by the
same service; a bad value is shown next to its field.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from huzhu.config import Settings
from huzhu.deps import in_one_unit_of_work
from huzhu.errors import HuzhuError, validation_errors
from huzhu.invites import service as invites
from huzhu.invites.rules import AcceptFrom
from huzhu.invites.schemas import PreferencesIn
from huzhu.web import auth, messages
from huzhu.web.pages import PageRoute, form_of, redirect
from huzhu.web.participant import signed_in
from huzhu.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
KINDS = ("bargain", "groupbuy", "lottery", "unlock")
ACCEPT = tuple(AcceptFrom)
# A refused value is told by its field in the page's language (_macros.error_text): the
# model's and the service's English messages are written for API clients.
FIELD_ERRORS = {
    "accept_from": "bad_choice",
    "kinds": "bad_choice",
    "quiet_start": "bad_time",
    "quiet_end": "bad_time",
    "time_zone": "bad_zone",
    "daily_max": "bad_count",
}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _page(
    request: Request, values: dict[str, Any], errors: dict[str, str], *, status: int = 200
) -> Response:
    return render(
        request,
        "participant/preferences.html",
        status=status,
        viewer=await auth.viewer(request, _settings(request)),
        values=values,
        errors=errors,
        kinds=KINDS,
        accept=ACCEPT,
        notice=messages.notice(request, request.query_params.get("notice")),
    )


@router.get("/me/preferences")
async def preferences_form(request: Request) -> Response:
    settings = _settings(request)
    who = auth.participant(request, settings)
    if who is None:
        return redirect("/signin", next="/me/preferences")
    found = await in_one_unit_of_work(
        request, lambda session: invites.preferences_of(session, settings, who[1])
    )
    values = {
        "accept_from": found.accept_from,
        "kinds": list(found.kinds) if found.kinds is not None else list(KINDS),
        "quiet_start": found.quiet_start,
        "quiet_end": found.quiet_end,
        "time_zone": found.time_zone,
        "daily_max": str(found.daily_max),
        "is_default": found.is_default,
    }
    return await _page(request, values, {})


def _whole_number(text: str) -> int | str:
    """A form's digits as the number the API model takes (a form sends only text); any
    other text is left for the model to refuse next to its field."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else text


@router.post("/me/preferences")
async def save_preferences(request: Request) -> Response:
    form = await request.form()
    data = await form_of(request)
    _shop_id, account_id = signed_in(request)
    chosen = [k for k in form.getlist("kinds") if isinstance(k, str) and k in KINDS]
    values: dict[str, Any] = {
        "accept_from": data.get("accept_from", ""),
        "kinds": chosen,
        "quiet_start": data.get("quiet_start", "").strip(),
        "quiet_end": data.get("quiet_end", "").strip(),
        "time_zone": data.get("time_zone", "").strip(),
        "daily_max": _whole_number(data.get("daily_max", "")),
        "is_default": False,
    }
    try:
        body = PreferencesIn.model_validate(
            {
                **{k: v for k, v in values.items() if k != "is_default"},
                # All kinds ticked means "all", also those added later.
                "kinds": None if set(chosen) == set(KINDS) else chosen,
            }
        )
    except ValidationError as exc:
        fields = [e["field"].split(".")[0] for e in validation_errors(exc.errors())]
        errors = {field: FIELD_ERRORS.get(field, "bad_value") for field in fields}
        return await _page(request, values, errors, status=422)
    try:
        await in_one_unit_of_work(
            request,
            lambda session: invites.set_preferences(
                session, account_id=account_id, **body.model_dump()
            ),
        )
    except HuzhuError as exc:
        field = str(exc.extra.get("errors", [{}])[0].get("field") or "form")
        told = FIELD_ERRORS.get(field) or messages.problem_text(
            request, code=exc.code, detail=exc.detail, extra=exc.extra
        )
        return await _page(request, values, {field: told}, status=exc.status)
    return redirect("/me/preferences", notice="preferences_saved")
