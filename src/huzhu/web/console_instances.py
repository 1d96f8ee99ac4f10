"""The console's view of one instance: its honest numbers and every assist on it — the
helper as a pseudonymous account id, the inline risk decision with its reasons — and, for
those allowed to void (owner, analyst), voiding a fake assist with a reason the
initiator is told. Voiding goes through `assists.voiding.service.void_assist`: the assist is
kept, its slot freed and progress recomputed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from huzhu.accounts.rules import Permission, Principal
from huzhu.assists import service as assists
from huzhu.assists.voiding import service as voiding
from huzhu.config import Settings
from huzhu.deps import in_one_unit_of_work
from huzhu.errors import Forbidden
from huzhu.pagination import PageParams
from huzhu.web import auth, messages
from huzhu.web.pages import PageRoute, form_of, form_step, redirect
from huzhu.web.templating import render

router = APIRouter(prefix="/console", route_class=PageRoute, include_in_schema=False)
LIST = PageParams(limit=200)
REASON_MIN, REASON_MAX = 3, 200


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _operator(request: Request, permission: Permission) -> Principal | None:
    settings = _settings(request)
    principal = await in_one_unit_of_work(request, lambda s: auth.operator(request, s, settings))
    if principal is not None and not auth.may(principal, permission):
        raise Forbidden(f"role {principal.role.value} lacks {permission.value}")
    return principal


def _load(session: Session, principal: Principal, instance_id: int) -> dict[str, Any]:
    rows, _ = assists.read_assists(session, LIST, principal=principal, instance_id=instance_id)
    instance = assists.get_instance(session, instance_id, shop_id=principal.shop_id)
    return {"view": assists.describe(instance), "assists": rows}


@router.get("/instances/{instance_id}")
async def instance_detail(instance_id: int, request: Request) -> Response:
    principal = await _operator(request, Permission.INSTANCE_READ_ANY)
    if principal is None:
        return redirect("/console/login", next=f"/console/instances/{instance_id}")
    found = await in_one_unit_of_work(request, lambda s: _load(s, principal, instance_id))
    return render(
        request,
        "console/instance.html",
        viewer=await auth.viewer(request, _settings(request), principal=principal),
        may_void=auth.may(principal, Permission.ASSIST_VOID),
        notice=messages.notice(request, request.query_params.get("notice")),
        error=messages.error(request),
        **found,
    )


@router.post("/instances/{instance_id}/assists/{assist_id}/void")
async def void(instance_id: int, assist_id: int, request: Request) -> Response:
    data = await form_of(request)
    principal = await _operator(request, Permission.ASSIST_VOID)
    if principal is None:
        return redirect("/console/login")
    back = f"/console/instances/{instance_id}"
    reason = data.get("reason", "").strip()
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        return redirect(back, error="void_reason_required")
    return await form_step(
        request,
        lambda s: voiding.void_assist(
            s,
            shop_id=principal.shop_id,
            assist_id=assist_id,
            reason=reason,
            actor=assists.actor_of(s, principal),
        ),
        back=back,
        notice="voided",
    )
