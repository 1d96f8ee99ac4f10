"""Participant pages: the instance page a share leads to, starting an activity, my
activities, my spending, and the local demo sign-in.

Honesty on every page (DESIGN: consumer protection): a bargain shows the cents remaining
and the most helpers still needed; a lottery its prizes, entries and the commitment
hash; a team its members k/K, expiry and refund promise; an unlock its assists n/N.
Who helped is shown to the starter alone, by name only where the helper agreed
(name_consent). Sharing is offered, never required to see anything.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from huzhu.accounts import service as accounts
from huzhu.accounts.errors import ShopNotFound
from huzhu.assists import service as assists
from huzhu.assists.groupbuy import service as groupbuy
from huzhu.assists.hotpath.service import HotPath, assist_request
from huzhu.assists.lottery import service as lottery
from huzhu.assists.purchases import service as purchases
from huzhu.assists.schemas import CampaignActivity, CutRecord, InstanceView
from huzhu.assists.spending import service as spending
from huzhu.campaigns import service as campaigns
from huzhu.campaigns.rules.lifecycle import CampaignStatus
from huzhu.campaigns.schemas import PublicCampaignView, ReferenceClaim
from huzhu.config import Settings
from huzhu.deps import in_one_unit_of_work
from huzhu.errors import Forbidden, HuzhuError
from huzhu.guardrails.rules import MONEY_CAPS, Cap, StepKind
from huzhu.invites import service as invites
from huzhu.kit import clock, i18n
from huzhu.pagination import PageParams
from huzhu.payments import service as payments
from huzhu.web import auth, consent, draws, messages, security
from huzhu.web.campaign_form import parse_yuan
from huzhu.web.pages import PageRoute, form_of, form_step, local_path, redirect
from huzhu.web.templating import render
from huzhu.web.wechat_share import share_config

router = APIRouter(route_class=PageRoute, include_in_schema=False)
LIST = PageParams(limit=50)
ENDED_LIST = PageParams(limit=10)  # the most recently created ended campaigns, for results
NAME_MAX = 64


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def signed_in(request: Request) -> tuple[int, int]:
    found = auth.participant(request, _settings(request))
    if found is None:
        raise _NotSignedIn()
    return found


class _NotSignedIn(Forbidden):
    code = "sign_in_required"
    title = "Sign in first"


# -- home, language ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Listing:
    """The shop's campaigns as the home page lists them: those a person may start now,
    and those that took their last starter (drawn, ended, entries closed) with a drawn
    lottery's result and the viewer's own line of it."""

    open: list[PublicCampaignView]
    closed: list[PublicCampaignView]
    results: dict[int, lottery.DrawResult]
    mine: dict[int, dict[str, Any]]


def _listing(session: Session, settings: Settings, who: tuple[int, int]) -> Listing:
    views = [
        campaigns.public_view(session, c.id)
        for status, params in ((CampaignStatus.LIVE, LIST), (CampaignStatus.ENDED, ENDED_LIST))
        for c in campaigns.list_campaigns(session, params, shop_id=who[0], status=status).items
    ]
    closed = [v for v in views if not v.open_to_start]
    results = {
        v.id: found
        for v in closed
        if v.lottery is not None
        and v.lottery.drawn_at is not None
        and (found := lottery.result_of(session, v.id)) is not None
    }
    mine = {
        campaign_id: line
        for campaign_id in results
        if (line := draws.my_line(session, settings, who, campaign_id)) is not None
    }
    return Listing([v for v in views if v.open_to_start], closed, results, mine)


@router.get("/")
async def home(request: Request) -> Response:
    settings = _settings(request)
    who = auth.participant(request, settings)
    listing = None
    if who is not None:
        found = who
        listing = await in_one_unit_of_work(
            request, lambda session: _listing(session, settings, found)
        )
    return render(
        request,
        "participant/home.html",
        viewer=await auth.viewer(request, settings),
        listing=listing,
        notice=messages.notice(request, request.query_params.get("notice")),
        error=messages.error(request),
    )


@router.get("/lang/{tag}")
async def switch_language(tag: str, request: Request) -> Response:
    """The language switch: a preference cookie, nothing else (so a plain link is fine)."""
    lang = i18n.by_tag(tag) or i18n.DEFAULT
    response = redirect(local_path(request.query_params.get("next"), "/"))
    security.set_cookie(
        response,
        request,
        _settings(request),
        name=i18n.LANG_COOKIE,
        value=lang.tag,
        max_age=365 * 24 * 3600,
    )
    return response


# -- local demo sign-in ------------------------------------------------------------------


@router.get("/signin")
async def signin_form(request: Request) -> Response:
    settings = _settings(request)
    return render(
        request,
        "participant/signin.html",
        status=200 if settings.accounts.local_login_open else 403,
        viewer=await auth.viewer(request, settings),
        open=settings.accounts.local_login_open,
        values={"shop": "demo", "name": ""},
        errors={},
        next=local_path(request.query_params.get("next"), "/"),
        notice=messages.notice(request, request.query_params.get("notice")),
    )


@router.post("/signin")
async def signin(request: Request) -> Response:
    settings = _settings(request)
    data = await form_of(request)
    target = local_path(data.get("next"), "/")
    if not settings.accounts.local_login_open:
        raise Forbidden("the open local sign-in is disabled")
    values = {"shop": data.get("shop", "").strip(), "name": data.get("name", "").strip()}
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = "required"
    elif len(values["name"]) > NAME_MAX:
        errors["name"] = "too_long"
    if not values["shop"]:
        errors["shop"] = "required"
    if not errors:
        try:
            token, expires = await in_one_unit_of_work(
                request, lambda session: _participant_login(session, settings, values)
            )
        except ShopNotFound:
            errors["shop"] = "unknown_shop"
    if errors:
        return render(
            request,
            "participant/signin.html",
            status=422,
            viewer=await auth.viewer(request, settings),
            open=True,
            values=values,
            errors=errors,
            next=target,
        )
    response = redirect(target, notice="signed_in")
    max_age = int((expires - clock.utcnow()).total_seconds())
    security.set_cookie(
        response,
        request,
        settings,
        name=security.PARTICIPANT_COOKIE,
        value=token,
        max_age=max_age,
    )
    return response


def _participant_login(
    session: Session, settings: Settings, values: dict[str, str]
) -> tuple[str, datetime]:
    # The name is the local provider's subject (stored only as a keyed hash); it is not
    # shown to anyone else: helpers stay anonymous without their consent.
    token, expires, _ = accounts.participant_login(
        session, settings, shop_slug=values["shop"], subject=values["name"], display_name=None
    )
    return token, expires


@router.post("/signout")
async def signout(request: Request) -> Response:
    await form_of(request)
    response = redirect("/", notice="signed_out")
    security.clear_cookie(response, request, _settings(request), name=security.PARTICIPANT_COOKIE)
    return response


# -- the instance page -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InstancePage:
    view: InstanceView
    campaign: PublicCampaignView
    terms: dict[str, Any]
    description: str  # the instance's version's, not the campaign's current one
    reference: ReferenceClaim | None  # what the terms' reference price rests on
    team: groupbuy.TeamView | None
    activity: CampaignActivity | None
    initiator_id: int  # only to tell "this is yours"; never shown
    result: lottery.DrawResult | None = None  # a drawn lottery's public result
    my_draw: dict[str, Any] | None = None  # the viewer's own line of that draw
    reward: purchases.RewardWon | None = None  # an unlock's reward, for its starter only
    cuts: CutRecord | None = None  # a bargain's commitment, and its seed once it ended
    entries: lottery.EntriesSoFar | None = None  # a lottery's entries so far, for its odds


@dataclass(frozen=True, slots=True)
class Arrival:
    """The visitor came through a genuine share link: its token and the open recorded,
    so an assist from here carries the share it came from."""

    token: str
    open_id: int
    sender_id: int


def _instance_page(
    session: Session, settings: Settings, instance_id: int, who: tuple[int, int] | None
) -> InstancePage:
    instance = assists.get_instance(session, instance_id)
    view = assists.describe(instance)
    campaign = campaigns.public_view(session, instance.campaign_id)
    # The terms this instance started under, not the campaign's current ones.
    version = campaigns.get_version(session, instance.campaign_version_id)
    terms = version.rules
    reference = None
    if terms.get("reference_price_cents") is not None:
        reference = campaigns.reference_claim(
            session, campaign_id=instance.campaign_id, rules=terms
        )
    team = None
    if instance.kind == "groupbuy":
        team = groupbuy.team_view(session, settings, instance.id)
    activity = result = my_draw = reward = entries = None
    if instance.kind == "lottery":
        activity = assists.campaign_activity(
            session, shop_id=instance.shop_id, campaign_id=instance.campaign_id
        )
        entries = lottery.entries_so_far(
            session, settings, campaign_id=instance.campaign_id, rules_snapshot=terms
        )
        result = lottery.result_of(session, instance.campaign_id)
        if result is not None:
            my_draw = draws.my_line(session, settings, who, instance.campaign_id)
    if instance.kind == "unlock" and who is not None and who[1] == instance.initiator_id:
        reward = purchases.rewards_won(session, account_id=who[1], instance_ids=[instance.id]).get(
            instance.id
        )
    cuts = assists.cut_record(session, instance.id) if instance.kind == "bargain" else None
    return InstancePage(
        view=view,
        campaign=campaign,
        terms=terms,
        description=version.description,
        reference=reference,
        team=team,
        activity=activity,
        initiator_id=instance.initiator_id,
        result=result,
        my_draw=my_draw,
        reward=reward,
        cuts=cuts,
        entries=entries,
    )


async def render_instance(
    request: Request, instance_id: int, *, arrival: Arrival | None = None
) -> Response:
    """The instance page, reached directly (/i/{id}) or through a share link (/s/{token})."""
    settings = _settings(request)
    who = auth.participant(request, settings)
    page = await in_one_unit_of_work(
        request, lambda session: _instance_page(session, settings, instance_id, who)
    )
    taken = my_cut = None
    if who is not None and who[1] != page.initiator_id:
        taken, my_cut = await in_one_unit_of_work(
            request, lambda session: _my_part(session, instance_id, who[1])
        )
    link = request.query_params.get("link")
    mine = who is not None and who[1] == page.initiator_id
    share_url = str(request.url_for("instance_page", instance_id=instance_id))
    names = await consent.context_for(request, instance_id=instance_id, who=who, mine=mine)
    wechat = await share_config(
        request,
        instance_id=instance_id,
        shop_id=who[0] if who is not None else None,
        starter_id=who[1] if who is not None and mine else None,
        page_link=share_url,
    )
    return render(
        request,
        "participant/instance.html",
        viewer=await auth.viewer(request, settings),
        page=page,
        view=page.view,
        campaign=page.campaign,
        terms=page.terms,
        team=page.team,
        mine=mine,
        from_sender=who is not None and arrival is not None and who[1] == arrival.sender_id,
        signed_in=who is not None,
        taken=taken,
        my_cut=my_cut if page.view.kind == "bargain" else None,
        arrival=arrival,
        share_url=share_url,
        record_url=(
            str(request.url_for("get_draw", campaign_id=page.view.campaign_id))
            if page.view.kind == "lottery"
            else None
        ),
        cuts_url=(
            str(request.url_for("read_cut_record", instance_id=instance_id)) if page.cuts else None
        ),
        wechat=wechat,
        **names,
        # A share link the starter just made (its token is meant to be passed on).
        made_link=_link_url(request, link),
        made_token=link if _link_url(request, link) else None,
        form_key=secrets.token_urlsafe(12),
        notice=messages.notice(request, request.query_params.get("notice")),
        error=messages.error(request),
    )


def _my_part(session: Session, instance_id: int, account_id: int) -> tuple[str | None, int | None]:
    """What the viewer did here, and what their counted assist cut (a bargain)."""
    return (
        assists.part_taken(session, instance_id=instance_id, account_id=account_id),
        assists.my_cut(session, instance_id=instance_id, account_id=account_id),
    )


def _link_url(request: Request, token: str | None) -> str | None:
    """The share link as this browser reaches the site (behind a proxy, run uvicorn with
    --proxy-headers so the scheme and host are the public ones)."""
    if not token or len(token) > 600:
        return None
    return str(request.url_for("share_landing", token=token))


@router.get("/i/{instance_id}")
async def instance_page(instance_id: int, request: Request) -> Response:
    return await render_instance(request, instance_id)


@router.post("/i/{instance_id}/share-link")
async def make_share_link(instance_id: int, request: Request) -> Response:
    """The starter makes a signed share link (genuine-link badge, expiry, revocable)."""
    await form_of(request)
    shop_id, account_id = signed_in(request)
    settings = _settings(request)
    try:
        token = await in_one_unit_of_work(
            request,
            lambda session: invites.issue_share_link(
                session,
                settings,
                shop_id=shop_id,
                account_id=account_id,
                instance_id=instance_id,
                channel="friend",
            )[1],
        )
    except HuzhuError as exc:
        if exc.status == 404:
            raise
        return redirect(f"/i/{instance_id}", **messages.problem_query(request, exc))
    return redirect(f"/i/{instance_id}", link=token)


@router.post("/i/{instance_id}/assist")
async def assist(instance_id: int, request: Request) -> Response:
    """The same assist as POST /api/v1/instances/{id}/assists: built from the request by
    the same function (the client and the account's age included), given by the same
    hot path."""
    data = await form_of(request)
    signed_in(request)
    hotpath: HotPath = request.app.state.hotpath
    back = f"/i/{instance_id}"
    try:
        ask = await assist_request(
            request,
            token=request.cookies.get(security.PARTICIPANT_COOKIE),
            instance_id=instance_id,
            # A double click sends the same form twice: one assist, the same answer.
            idempotency_key=_form_key(data),
            share=data.get("share") or None,
            share_open_id=_share_open(data),
        )
        outcome = await hotpath.give(ask)
    except HuzhuError as exc:
        if exc.status == 404:
            raise
        return redirect(back, **messages.problem_query(request, exc))
    return redirect(back, notice=outcome.assist_status or "counted")


def _share_open(data: dict[str, str]) -> int | None:
    raw = data.get("share_open", "")
    return int(raw) if raw.isdigit() and len(raw) <= 18 else None


def _form_key(data: dict[str, str]) -> str | None:
    key = data.get("form_key", "").strip()
    return f"web:{key}" if 8 <= len(key) <= 100 else None


# -- money steps: one confirmation with real numbers first ------------------------------


async def _money_step(
    request: Request,
    data: dict[str, str],
    *,
    action: StepKind,
    target_id: int,
    back: str,
    perform: Callable[[Session, str | None], int],
    then: Callable[[int], Response],
) -> Response:
    """Every money step of the pages: without a confirmation in the form, the confirmation
    page (the price now beside the person's real numbers, or why the step would be
    refused); with one, the step itself, which checks the token against its own price.
    A step that needs no confirmation (nothing to pay) goes straight through."""
    shop_id, account_id = signed_in(request)
    settings = _settings(request)
    token = data.get("confirmation") or None
    try:
        if token is None:
            quote = await in_one_unit_of_work(
                request,
                lambda session: spending.quote(
                    session,
                    settings,
                    shop_id=shop_id,
                    account_id=account_id,
                    action=action,
                    target_id=target_id,
                ),
            )
            if quote.token is not None or quote.refused is not None:
                return render(
                    request,
                    "participant/confirm.html",
                    viewer=await auth.viewer(request, settings),
                    quote=quote,
                    action_url=request.url.path,
                    back=back,
                )
        done = await in_one_unit_of_work(request, lambda session: perform(session, token))
    except HuzhuError as exc:
        if exc.status == 404:
            raise
        return redirect(back, **messages.problem_query(request, exc))
    return then(done)


@router.post("/i/{instance_id}/join")
async def join(instance_id: int, request: Request) -> Response:
    """Join a group-buy team by ordering (authorized now, charged when the team fills),
    after one confirmation."""
    data = await form_of(request)
    shop_id, account_id = signed_in(request)
    settings = _settings(request)
    back = f"/i/{instance_id}"

    def _join(session: Session, token: str | None) -> int:
        """1 when this order filled the team (its charge starts now), else 0."""
        team, _order = groupbuy.join_team(
            session,
            settings,
            payments.get_provider(settings),
            shop_id=shop_id,
            team_id=instance_id,
            account_id=account_id,
            confirmation=token,
        )
        return int(team.places_left == 0)

    return await _money_step(
        request,
        data,
        action=StepKind.JOIN_TEAM,
        target_id=instance_id,
        back=back,
        perform=_join,
        then=lambda filled: redirect(back, notice="joined_full" if filled else "joined"),
    )


@router.post("/i/{instance_id}/buy")
async def buy(instance_id: int, request: Request) -> Response:
    """The starter buys a bargain that reached its floor, at the floor, within the
    purchase window (charged once: the payment is keyed by the instance), after one
    confirmation."""
    data = await form_of(request)
    shop_id, account_id = signed_in(request)
    settings = _settings(request)
    back = f"/i/{instance_id}"

    def _buy(session: Session, token: str | None) -> int:
        purchases.purchase_bargain(
            session,
            settings,
            shop_id=shop_id,
            account_id=account_id,
            instance_id=instance_id,
            confirmation=token,
        )
        return instance_id

    return await _money_step(
        request,
        data,
        action=StepKind.BUY_BARGAIN,
        target_id=instance_id,
        back=back,
        perform=_buy,
        then=lambda _: redirect(back, notice="bought"),
    )


@router.post("/c/{campaign_id}/start")
async def start(campaign_id: int, request: Request) -> Response:
    """Start a bargain, lottery or unlock instance, or open a team by ordering (after one
    confirmation: opening a team is a money step)."""
    data = await form_of(request)
    shop_id, account_id = signed_in(request)
    settings = _settings(request)

    def _open_team(session: Session, token: str | None) -> int:
        team, _ = groupbuy.open_team(
            session,
            settings,
            payments.get_provider(settings),
            shop_id=shop_id,
            campaign_id=campaign_id,
            leader_id=account_id,
            confirmation=token,
        )
        return team.id

    def _start(session: Session) -> int | None:
        if campaigns.public_view(session, campaign_id).kind == "groupbuy":
            return None
        return assists.start_instance(
            session, settings, shop_id=shop_id, campaign_id=campaign_id, account_id=account_id
        ).id

    def _started(instance_id: int) -> Response:
        return redirect(f"/i/{instance_id}", notice="started")

    try:
        instance_id = await in_one_unit_of_work(request, _start)
    except HuzhuError as exc:
        if exc.status == 404:
            raise
        return redirect("/", **messages.problem_query(request, exc))
    if instance_id is not None:
        return _started(instance_id)
    return await _money_step(
        request,
        data,
        action=StepKind.OPEN_TEAM,
        target_id=campaign_id,
        back="/",
        perform=_open_team,
        then=_started,
    )


# -- my activities, my spending ----------------------------------------------------------


@router.get("/me")
async def my_activities(request: Request) -> Response:
    settings = _settings(request)
    who = auth.participant(request, settings)
    if who is None:
        return redirect("/signin", next="/me")
    shop_id, account_id = who

    def _mine(session: Session) -> dict[str, Any]:
        rows, _ = assists.list_my_instances(session, LIST, shop_id=shop_id, account_id=account_id)
        started = [assists.describe(i) for i in rows]
        given, _ = assists.list_assists_given(session, LIST, shop_id=shop_id, account_id=account_id)
        names = {
            c.id: c.name
            for c in campaigns.list_campaigns(session, PageParams(limit=200), shop_id=shop_id).items
        }
        # What each activity came to: an unlock's reward, a lottery's draw (my own line).
        rewards = purchases.rewards_won(
            session,
            account_id=account_id,
            instance_ids=[i.id for i in started if i.kind == "unlock"],
        )
        draw_lines = {
            campaign_id: line
            for campaign_id in {i.campaign_id for i in started if i.kind == "lottery"}
            if (line := draws.my_line(session, settings, who, campaign_id)) is not None
        }
        return {
            "started": started,
            "joined": groupbuy.teams_joined(
                session, settings, shop_id=shop_id, account_id=account_id
            ),
            "given": list(given),
            "consents": accounts.consent_history_of(session, account_id=account_id),
            "display_name": accounts.display_name_of(session, account_id),
            "names": names,
            "rewards": rewards,
            "draw_lines": draw_lines,
        }

    found = await in_one_unit_of_work(request, _mine)
    return render(
        request,
        "participant/me.html",
        viewer=await auth.viewer(request, settings),
        notice=messages.notice(request, request.query_params.get("notice")),
        error=messages.error(request),
        **found,
    )


@router.get("/me/spending")
async def my_spending(request: Request) -> Response:
    settings = _settings(request)
    who = auth.participant(request, settings)
    if who is None:
        return redirect("/signin", next="/me/spending")
    shop_id, account_id = who
    span = spending.periods_now(settings)

    def _spending(session: Session) -> tuple[Any, Any, Any]:
        mine = {"shop_id": shop_id, "account_id": account_id}
        return (
            spending.spending_of(session, settings, since=span.week_start, **mine),
            spending.spending_of(session, settings, since=span.month_start, **mine),
            spending.guardrails_of(session, settings, **mine),
        )

    week, month, guard = await in_one_unit_of_work(request, _spending)
    return render(
        request,
        "participant/spending.html",
        viewer=await auth.viewer(request, settings),
        week=week,
        month=month,
        guard=guard,
    )


@router.post("/me/spending/caps")
async def set_caps(request: Request) -> Response:
    """Change one's own caps: a lower one applies at once, a higher one after the wait.
    Money caps are typed in yuan; an empty field leaves that cap as it is."""
    data = await form_of(request)
    shop_id, account_id = signed_in(request)
    settings = _settings(request)
    requested: dict[Cap, int] = {}
    for cap in Cap:
        raw = data.get(cap.value, "").strip()
        if not raw:
            continue
        try:
            value = parse_yuan(raw) if cap in MONEY_CAPS else int(raw)
        except (InvalidOperation, ValueError):
            value = -1
        if not 0 <= value <= 10**12:
            return redirect("/me/spending", error="invalid_cap")
        requested[cap] = value
    if not requested:
        return redirect("/me/spending")
    return await form_step(
        request,
        lambda session: spending.set_guardrails(
            session, settings, shop_id=shop_id, account_id=account_id, requested=requested
        ),
        back="/me/spending",
        notice="caps_saved",
    )
