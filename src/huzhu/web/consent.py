"""The name consent on the instance page: the helper's checkbox ("let the starter see my
name") and the starter's list of who helped, names only where a helper agreed. Both
through assists.consent.service, the same functions as the API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from huzhu.assists.consent import service as name_consent
from huzhu.config import Settings
from huzhu.deps import in_one_unit_of_work
from huzhu.errors import Forbidden
from huzhu.web import auth
from huzhu.web.pages import PageRoute, form_of, form_step

router = APIRouter(route_class=PageRoute, include_in_schema=False)


class _NotSignedIn(Forbidden):
    code = "sign_in_required"
    title = "Sign in first"


async def context_for(
    request: Request, *, instance_id: int, who: tuple[int, int] | None, mine: bool
) -> dict[str, Any]:
    """What the instance page shows of names: for its starter, who helped; for a
    helper, their assist and whether the starter may see their name."""
    if who is None:
        return {"helpers": None, "my_consent": None}
    settings: Settings = request.app.state.settings
    shop_id, account_id = who

    def _load(session: Session) -> dict[str, Any]:
        if mine:
            helpers = name_consent.helpers_seen_by_starter(
                session, settings, shop_id=shop_id, account_id=account_id, instance_id=instance_id
            )
            return {"helpers": helpers, "my_consent": None}
        mine_given = name_consent.my_consent_on(
            session, instance_id=instance_id, account_id=account_id
        )
        return {"helpers": None, "my_consent": mine_given}

    return await in_one_unit_of_work(request, _load)


@router.post("/i/{instance_id}/name-consent")
async def set_name_consent(instance_id: int, request: Request) -> Response:
    """The checkbox's form: ticked lets the starter see my name for my assist here."""
    data = await form_of(request)
    settings: Settings = request.app.state.settings
    who = auth.participant(request, settings)
    if who is None:
        raise _NotSignedIn()
    shop_id, account_id = who
    shown = data.get("shown") == "yes"
    assist_id = int(data["assist_id"]) if data.get("assist_id", "").isdigit() else 0

    def _set(session: Session) -> object:
        return name_consent.set_name_consent(
            session, shop_id=shop_id, account_id=account_id, assist_id=assist_id, shown=shown
        )

    return await form_step(
        request,
        _set,
        back=f"/i/{instance_id}",
        notice="name_shown" if shown else "name_hidden",
    )
