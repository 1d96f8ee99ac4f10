"""The operator console: sign-in, the shop's campaigns, a campaign's live dashboard, and
creating, launching, pausing, resuming and ending campaigns.

Sign-in is `accounts.login` (argon2), and the session token it returns lives in an
HttpOnly, SameSite=Lax cookie; the same role table as the API decides what each operator
may see and do. Writes are forms with a CSRF token, answered with 303 redirects.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, Response

from huzhu.accounts import service as accounts
from huzhu.accounts.errors import InvalidCredentials
from huzhu.accounts.rules import Permission, Principal
from huzhu.assists import service as assists
from huzhu.campaigns import flows
from huzhu.campaigns import service as campaigns
from huzhu.campaigns.errors import CampaignConfigRefused
from huzhu.config import Settings
from huzhu.dashboard import service as dashboard
from huzhu.dashboard.schemas import LiveFigures
from huzhu.deps import in_one_unit_of_work
from huzhu.errors import Forbidden, HuzhuError
from huzhu.items import service as items
from huzhu.pagination import PageParams
from huzhu.web import auth, campaign_form, messages, security, vendor
from huzhu.web.pages import PageRoute, form_of, form_step, local_path, redirect
from huzhu.web.templating import gettext, render, render_part

router = APIRouter(prefix="/console", route_class=PageRoute, include_in_schema=False)
ACTIONS = {
    "launch": flows.launch,
    "pause": flows.pause,
    "resume": flows.resume,
    "end": flows.end,
}
LATEST = "console/_latest.html"
DONE = {"launch": "launched", "pause": "paused", "resume": "resumed", "end": "ended"}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _operator(request: Request) -> Principal | None:
    settings = _settings(request)
    return await in_one_unit_of_work(request, lambda s: auth.operator(request, s, settings))


def _must(principal: Principal, permission: Permission) -> None:
    if not auth.may(principal, permission):
        raise Forbidden(f"role {principal.role.value} lacks {permission.value}")


# -- sign-in -----------------------------------------------------------------------------


@router.get("/login")
async def login_form(request: Request) -> Response:
    return render(
        request,
        "console/login.html",
        viewer=await auth.viewer(request, _settings(request)),
        values={"email": ""},
        errors={},
        next=local_path(request.query_params.get("next"), "/console"),
    )


@router.post("/login")
async def login(request: Request) -> Response:
    settings = _settings(request)
    data = await form_of(request)
    email, password = data.get("email", "").strip(), data.get("password", "")
    target = local_path(data.get("next"), "/console")
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = "required"
    if not password:
        errors["password"] = "required"
    token = None
    if not errors:
        try:
            token, expires_in = await in_one_unit_of_work(
                request, lambda s: _login(s, settings, email, password)
            )
        except InvalidCredentials:
            # One message for both fields: which one was wrong is not told.
            errors["password"] = "invalid"
    if errors or token is None:
        return render(
            request,
            "console/login.html",
            status=422 if errors.get("password") != "invalid" else 401,
            viewer=await auth.viewer(request, settings),
            values={"email": email},
            errors=errors,
            next=target,
        )
    response = redirect(target)
    security.set_cookie(
        response, request, settings, name=security.OPERATOR_COOKIE, value=token, max_age=expires_in
    )
    return response


def _login(session: Session, settings: Settings, email: str, password: str) -> tuple[str, int]:
    secret, _token = accounts.login(session, settings, email=email, password=password)
    # The cookie lives as long as the server-side session token.
    return secret, settings.security.operator_session_ttl_seconds


@router.post("/logout")
async def logout(request: Request) -> Response:
    await form_of(request)
    settings = _settings(request)

    def _out(session: Session) -> None:
        principal = auth.operator(request, session, settings)
        if principal is not None:
            accounts.logout(session, principal)  # the token dies server-side too

    await in_one_unit_of_work(request, _out)
    response = redirect("/console/login")
    security.clear_cookie(response, request, settings, name=security.OPERATOR_COOKIE)
    return response


# -- campaigns ---------------------------------------------------------------------------


@router.get("")
async def campaigns_list(request: Request) -> Response:
    principal = await _operator(request)
    if principal is None:
        return redirect("/console/login", next="/console")
    _must(principal, Permission.CAMPAIGN_READ)
    page = await in_one_unit_of_work(
        request,
        lambda s: campaigns.list_campaigns(s, PageParams(limit=200), shop_id=principal.shop_id),
    )
    return render(
        request,
        "console/campaigns.html",
        viewer=await auth.viewer(request, _settings(request), principal=principal),
        campaigns=page.items,
        may_write=auth.may(principal, Permission.CAMPAIGN_WRITE),
        kinds=campaign_form.KINDS,
    )


async def _form_page(
    request: Request,
    principal: Principal,
    *,
    kind: str,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    shop_items = await in_one_unit_of_work(
        request,
        lambda s: items.list_items(s, PageParams(limit=200), shop_id=principal.shop_id).items,
    )
    return render(
        request,
        "console/campaign_new.html",
        status=status,
        viewer=await auth.viewer(request, _settings(request), principal=principal),
        kind=kind,
        kinds=campaign_form.KINDS,
        fields=campaign_form.fields_of(kind),
        prize_rows=range(campaign_form.PRIZE_ROWS),
        items=shop_items,
        values=values,
        errors=errors,
        # Errors about fields the form does not show (say a deceptive flag sent by hand).
        other_errors={
            k: v for k, v in errors.items() if k not in _shown_fields(kind) and k != "prizes"
        },
    )


def _shown_fields(kind: str) -> set[str]:
    names = {f.name for f in campaign_form.fields_of(kind)}
    if kind == "lottery":
        for i in range(campaign_form.PRIZE_ROWS):
            names |= {f"prize_name_{i}", f"prize_value_{i}", f"prize_quantity_{i}"}
    return names


@router.get("/campaigns/new")
async def new_campaign(request: Request) -> Response:
    principal = await _operator(request)
    if principal is None:
        return redirect("/console/login", next=str(request.url.path))
    _must(principal, Permission.CAMPAIGN_WRITE)
    kind = request.query_params.get("kind", "bargain")
    if kind not in campaign_form.KINDS:
        kind = "bargain"
    return await _form_page(request, principal, kind=kind, values={"channel": "web"}, errors={})


@router.post("/campaigns/new")
async def create_campaign(request: Request) -> Response:
    data = await form_of(request)
    principal = await _operator(request)
    if principal is None:
        return redirect("/console/login")
    _must(principal, Permission.CAMPAIGN_WRITE)
    settings = _settings(request)
    kind = data.get("kind", "")
    if kind not in campaign_form.KINDS:
        kind = "bargain"
    body, errors = campaign_form.parse(kind, data)
    typed = None
    if not errors:
        typed, found = campaign_form.validate(body)
        errors = campaign_form.by_field(found, lambda message: gettext(request, message))
    if typed is not None:
        launch_now = data.get("launch_now") == "on"
        try:
            campaign_id = await in_one_unit_of_work(
                request, lambda s: _create(s, settings, principal, typed, launch_now=launch_now)
            )
        except CampaignConfigRefused as exc:
            errors = campaign_form.by_field(
                exc.extra.get("errors", []), lambda message: gettext(request, message)
            )
        except HuzhuError as exc:
            # Said in the page's language by the problem's code, next to the field it
            # names (a refused reference price carries the recorded figure and its time).
            errors = {
                _problem_field(exc): messages.problem_text(
                    request, code=exc.code, detail=exc.detail, extra=exc.extra
                )
            }
        else:
            notice = "launched" if launch_now else "created"
            return redirect(f"/console/campaigns/{campaign_id}", notice=notice)
    return await _form_page(
        request,
        principal,
        kind=kind,
        values=campaign_form.values_for_form(data),
        errors=errors,
        status=422,
    )


def _problem_field(exc: HuzhuError) -> str:
    named = exc.extra.get("field") or next(
        (e.get("field") for e in exc.extra.get("errors") or [] if e.get("field")), None
    )
    return campaign_form.form_field(str(named)) if named else "form"


def _create(
    session: Session, settings: Settings, principal: Principal, body: Any, *, launch_now: bool
) -> int:
    actor = campaigns.actor_of(session, principal)
    created = campaigns.create_campaign(
        session, settings, shop_id=principal.shop_id, body=body, actor=actor
    )
    if launch_now:
        flows.launch(session, shop_id=principal.shop_id, campaign_id=created.id, actor=actor)
    return created.id


def _dashboard(
    session: Session, settings: Settings, principal: Principal, campaign_id: int
) -> LiveFigures:
    return dashboard.live_figures(
        session,
        shop_id=principal.shop_id,
        campaign_id=campaign_id,
        zone=ZoneInfo(settings.web.time_zone),
    )


@router.get("/campaigns/{campaign_id}")
async def campaign_detail(campaign_id: int, request: Request) -> Response:
    principal = await _operator(request)
    if principal is None:
        return redirect("/console/login", next=str(request.url.path))
    _must(principal, Permission.CAMPAIGN_READ)

    settings = _settings(request)

    def _load(session: Session) -> tuple[Any, LiveFigures]:
        campaign = campaigns.describe_campaign(
            session, shop_id=principal.shop_id, campaign_id=campaign_id
        )
        return campaign, _dashboard(session, settings, principal, campaign_id)

    campaign, live = await in_one_unit_of_work(request, _load)
    return render(
        request,
        "console/campaign.html",
        viewer=await auth.viewer(request, settings, principal=principal),
        campaign=campaign,
        live=live,
        live_json=live.model_dump(mode="json"),
        chart_js=vendor.CHART_JS.url if vendor.CHART_JS.present() else None,
        may_write=auth.may(principal, Permission.CAMPAIGN_WRITE),
        refresh_seconds=settings.web.dashboard_refresh_seconds,
        notice=messages.notice(request, request.query_params.get("notice")),
        error=messages.error(request),
    )


@router.get("/campaigns/{campaign_id}/live.json")
async def campaign_live(campaign_id: int, request: Request) -> Response:
    """The dashboard's numbers, polled by the page (same cookie, same permission)."""
    principal = await _operator(request)
    if principal is None or not auth.may(principal, Permission.CAMPAIGN_READ):
        return JSONResponse({"code": "unauthenticated"}, status_code=401)
    settings = _settings(request)
    live = await in_one_unit_of_work(
        request, lambda s: _dashboard(s, settings, principal, campaign_id)
    )
    # The latest instances as the page shows them, from the same read as the numbers.
    latest_html = render_part(request, LATEST, latest=live.latest, kind=live.kind)
    return JSONResponse(
        {**live.model_dump(mode="json"), "latest_html": latest_html},
        headers={"Cache-Control": "no-store"},
    )


@router.post("/campaigns/{campaign_id}/{action}")
async def campaign_action(campaign_id: int, action: str, request: Request) -> Response:
    """Launch, pause, resume or end. Ending is for good, so it first asks, saying what
    happens to the activities still running."""
    data = await form_of(request)
    principal = await _operator(request)
    if principal is None:
        return redirect("/console/login")
    _must(principal, Permission.CAMPAIGN_WRITE)
    move = ACTIONS.get(action)
    back = f"/console/campaigns/{campaign_id}"
    if move is None:
        return redirect(back, error="invalid_transition")
    if action == "end" and data.get("confirmed") != "yes":
        campaign, activity = await in_one_unit_of_work(
            request,
            lambda s: (
                campaigns.describe_campaign(s, shop_id=principal.shop_id, campaign_id=campaign_id),
                assists.campaign_activity(s, shop_id=principal.shop_id, campaign_id=campaign_id),
            ),
        )
        return render(
            request,
            "console/confirm_end.html",
            viewer=await auth.viewer(request, _settings(request), principal=principal),
            campaign=campaign,
            running=activity.instances.get("active", 0),
            action_url=request.url.path,
            back=back,
        )
    return await form_step(
        request,
        lambda s: move(
            s,
            shop_id=principal.shop_id,
            campaign_id=campaign_id,
            actor=campaigns.actor_of(s, principal),
        ),
        back=back,
        notice=DONE[action],
    )
