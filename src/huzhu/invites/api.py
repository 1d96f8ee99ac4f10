"""Routes of the invites domain: share links, opens and QR codes; invite preferences;
mute / block / contacts; direct invites to a person or a group; one-tap opt-out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from huzhu.accounts.deps import require, require_without_session
from huzhu.accounts.rules import Permission, Principal
from huzhu.assists.schemas import InstanceIdPath
from huzhu.config import Settings
from huzhu.deps import SessionDep, SettingsDep, in_one_unit_of_work
from huzhu.errors import HuzhuError
from huzhu.invites import direct, service
from huzhu.invites.models import ShareLink
from huzhu.invites.schemas import (
    TOKEN_MAX_LENGTH,
    AccountIdPath,
    GroupInviteIn,
    GroupInviteOut,
    GroupMemberOutcome,
    InviteCapsOut,
    InviteIn,
    InviteOut,
    LinkIdPath,
    OptOutOut,
    OptOutTokenPath,
    PreferencesIn,
    PreferencesOut,
    RelationsOut,
    ShareLinkIn,
    ShareLinkIssued,
    ShareLinkOut,
    ShareOpened,
    TokenPath,
)
from huzhu.kit import metrics
from huzhu.pagination import Page, PageParams, fetch_page, page_params
from huzhu.risk.inline import DEVICE_HEADER

router = APIRouter(tags=["invites"])

Sharer = Annotated[Principal, Depends(require(Permission.SHARE_ISSUE))]
Inviter = Annotated[Principal, Depends(require(Permission.INVITE_SEND))]
Consenter = Annotated[Principal, Depends(require(Permission.INVITE_CONSENT))]
Paging = Annotated[PageParams, Depends(page_params)]

_LINK_REFUSALS = (
    "404 `link_tampered` / `link_unknown_key`; 410 `link_expired`, `link_revoked`, "
    "`link_retired_key`"
)
_GONE: dict[int | str, dict[str, Any]] = {
    410: {"description": "the link expired, was revoked or its key retired"}
}


def _issued(settings: SettingsDep, link: ShareLink, token: str) -> ShareLinkIssued:
    base = f"{settings.base_url.rstrip('/')}/api/v1/shares/{token}"
    return ShareLinkIssued(
        **ShareLinkOut.model_validate(link).model_dump(),
        token=token,
        url=service.share_url(settings, token),
        qr_png_url=f"{base}/qr.png",
        qr_svg_url=f"{base}/qr.svg",
    )


@router.post(
    "/instances/{instance_id}/share-links",
    response_model=ShareLinkIssued,
    status_code=status.HTTP_201_CREATED,
)
def issue_share_link(
    instance_id: InstanceIdPath,
    body: ShareLinkIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: Sharer,
) -> ShareLinkIssued:
    """A signed link to your own active instance, for one channel. 403 `not_your_instance`,
    `invite_restricted`; 409 `instance_not_open`; 422 `group_required`; 429
    `group_link_cap` (links for one group per hour, shrunk by your reputation)."""
    link, token = service.issue_share_link(
        session,
        settings,
        shop_id=principal.shop_id,
        account_id=principal.subject_id,
        instance_id=instance_id,
        channel=body.channel,
        group_ref=body.group_ref,
        ttl_seconds=body.ttl_seconds,
    )
    return _issued(settings, link, token)


@router.get("/me/share-links", response_model=Page[ShareLinkOut])
def list_share_links(session: SessionDep, principal: Sharer, params: Paging) -> Page[ShareLinkOut]:
    """Links you issued, newest first (tokens are not listed: they were shown once)."""
    stmt = service.share_links_query(shop_id=principal.shop_id, account_id=principal.subject_id)
    rows, cursor = fetch_page(session, stmt, ShareLink.id, params)
    return Page[ShareLinkOut](
        items=[ShareLinkOut.model_validate(r) for r in rows], next_cursor=cursor
    )


@router.post("/me/share-links/{link_id}/revoke", response_model=ShareLinkOut)
def revoke_share_link(link_id: LinkIdPath, session: SessionDep, principal: Sharer) -> ShareLinkOut:
    """Withdraw a link: opening it answers 410 `link_revoked` from now on."""
    link = service.revoke_share_link(
        session, shop_id=principal.shop_id, account_id=principal.subject_id, link_id=link_id
    )
    return ShareLinkOut.model_validate(link)


OPEN_PATH = "/shares/{token}/open"


@router.post(
    OPEN_PATH,
    response_model=ShareOpened,
    status_code=status.HTTP_201_CREATED,
    responses=_GONE,
)
async def open_share(token: TokenPath, request: Request) -> ShareOpened:
    """Public: open a share link. Records the open (time, channel, keyed hashes of the
    user agent, of the IP's /24 or /48 and of the `X-Huzhu-Device` install id — never the
    raw values) and returns the instance's public view. Refusals: 404 `link_tampered` /
    `link_unknown_key`; 410 `link_expired`, `link_revoked`, `link_retired_key`; 429
    `too_many_opens` (one network opening too often)."""
    return await _open(request, token)


async def _open(request: Request, token: str) -> ShareOpened:
    settings: Settings = request.app.state.settings
    user_agent = request.headers.get("user-agent")
    client_ip = request.client.host if request.client else None
    # The whole unit of work in one thread call: the most frequent write of a live
    # campaign must not hold SQLite's write lock across thread hops.
    opened = await in_one_unit_of_work(
        request,
        lambda session: service.open_share(
            session,
            settings,
            token=token,
            user_agent=user_agent,
            client_ip=client_ip,
            device=request.headers.get(DEVICE_HEADER),
        ),
    )
    link = opened.link
    return ShareOpened(
        open_id=opened.open_id,
        link_id=link.link_id,
        channel=link.channel,
        issued_at=datetime.fromtimestamp(link.issued_epoch, UTC),
        expires_at=datetime.fromtimestamp(link.expires_epoch, UTC),
        instance=opened.instance,
    )


async def _open_bare(request: Request) -> Response:
    opened = await _open(request, request.path_params["token"])
    return Response(
        opened.model_dump_json(by_alias=True),
        status_code=status.HTTP_201_CREATED,
        media_type="application/json",
    )


class _BareOpenRoute(Route):
    """POST {prefix}/shares/{token}/open as a plain Starlette route, put in front of the
    app's routes (app.py) as the assist hot path is: matched by one pattern before
    FastAPI walks its included routers, and called without dependency solving — on a
    live campaign opens come with every click of a shared link. The token's only
    constraint (at most TOKEN_MAX_LENGTH characters; the pattern needs one) is checked
    by not matching a longer one, which then reaches the documented route above and its
    422 exactly as before; both answer the same body."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is Match.FULL and len(child["path_params"]["token"]) > TOKEN_MAX_LENGTH:
            return Match.NONE, {}
        return match, child


def bare_open_route(prefix: str) -> Route:
    return _BareOpenRoute(prefix + OPEN_PATH, _open_bare, methods=["POST"], include_in_schema=False)


def _qr(kind: str, media_type: str):  # type: ignore[no-untyped-def]
    def qr(token: TokenPath, session: SessionDep, settings: SettingsDep) -> Response:
        return Response(
            service.qr_code(session, settings, token=token, kind=kind), media_type=media_type
        )

    qr.__doc__ = (
        f"Public: the link's URL as a QR code ({kind.upper()}). Refusals: {_LINK_REFUSALS}."
    )
    return qr


router.get(
    "/shares/{token}/qr.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "QR code"}, **_GONE},
    name="share_qr_png",
)(_qr("png", "image/png"))
router.get(
    "/shares/{token}/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "QR code"}, **_GONE},
    name="share_qr_svg",
)(_qr("svg", "image/svg+xml"))


# -- preferences and relations -----------------------------------------------------------


def _prefs_out(prefs: service.Preferences) -> PreferencesOut:
    return PreferencesOut(
        accept_from=prefs.accept_from,
        kinds=prefs.kinds,
        quiet_start=prefs.quiet_start,
        quiet_end=prefs.quiet_end,
        time_zone=prefs.time_zone,
        daily_max=prefs.daily_max,
        is_default=prefs.is_default,
    )


@router.get("/me/invite-preferences", response_model=PreferencesOut)
def read_preferences(
    session: SessionDep, settings: SettingsDep, principal: Consenter
) -> PreferencesOut:
    """Who may invite you, to what, when and how often (the defaults until you set yours)."""
    return _prefs_out(service.preferences_of(session, settings, principal.subject_id))


@router.put("/me/invite-preferences", response_model=PreferencesOut)
def write_preferences(
    body: PreferencesIn, session: SessionDep, principal: Consenter
) -> PreferencesOut:
    """Set your invite preferences. 422 names an unknown time zone."""
    prefs = service.set_preferences(session, account_id=principal.subject_id, **body.model_dump())
    return _prefs_out(prefs)


@router.get("/me/relations", response_model=RelationsOut)
def read_relations(session: SessionDep, principal: Consenter) -> RelationsOut:
    """Whom you muted, blocked or added as a contact."""
    found = service.relations(session, principal.subject_id)
    return RelationsOut(muted=found["mute"], blocked=found["block"], contacts=found["contact"])


def _relation_route(kind: str, on: bool):  # type: ignore[no-untyped-def]
    def route(account_id: AccountIdPath, session: SessionDep, principal: Consenter) -> RelationsOut:
        service.set_relation(
            session,
            shop_id=principal.shop_id,
            account_id=principal.subject_id,
            other_id=account_id,
            kind=kind,
            on=on,
        )
        return read_relations(session, principal)

    return route


_RELATION_DOCS = {
    ("mutes", True): "Mute a sender: no more invites from them. Idempotent.",
    ("mutes", False): "Unmute a sender.",
    ("blocks", True): "Block someone: no invites and no assists between you, either way.",
    ("blocks", False): "Unblock someone.",
    ("contacts", True): "Add a contact: their invites pass a contacts-only preference.",
    ("contacts", False): "Remove a contact you added.",
}
for _path, _kind in (("mutes", "mute"), ("blocks", "block"), ("contacts", "contact")):
    for _method, _on in (("PUT", True), ("DELETE", False)):
        _route = _relation_route(_kind, _on)
        _route.__doc__ = (
            _RELATION_DOCS[(_path, _on)] + " 404 `recipient_not_found`; 403 `cannot_act_on_self`."
        )
        router.add_api_route(
            f"/me/{_path}/{{account_id}}",
            _route,
            methods=[_method],
            response_model=RelationsOut,
            name=f"{'set' if _on else 'unset'}_{_kind}",
        )


# -- direct invites ------------------------------------------------------------------------


@router.post(
    "/instances/{instance_id}/invites",
    response_model=InviteOut,
    status_code=status.HTTP_201_CREATED,
)
async def send_invite(
    instance_id: InstanceIdPath,
    body: InviteIn,
    request: Request,
    principal: Annotated[Principal, Depends(require_without_session(Permission.INVITE_SEND))],
) -> InviteOut:
    """Invite one person to help with your instance; delivered to their inbox with a
    one-tap mute and unsubscribe. Refused naming the reason: 403 `invites_not_accepted`,
    `kind_not_wanted`, `quiet_hours` (with `until`), `muted`, `blocked`, `invite_self`,
    `invite_restricted`, `not_your_instance`; 429 `sender_cap`, `recipient_daily_max`."""
    settings: Settings = request.app.state.settings
    try:
        # The whole unit of work in one thread call (see open_share).
        invite = await in_one_unit_of_work(
            request,
            lambda session: direct.send_invite(
                session,
                settings,
                shop_id=principal.shop_id,
                sender_id=principal.subject_id,
                instance_id=instance_id,
                recipient_id=body.recipient_id,
            ),
        )
    except HuzhuError as refused:
        metrics.count(metrics.INVITES_REFUSED, refused.code)
        raise
    return InviteOut.model_validate(invite)


@router.post("/instances/{instance_id}/group-invites", response_model=GroupInviteOut)
def send_group_invite(
    instance_id: InstanceIdPath,
    body: GroupInviteIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: Inviter,
) -> GroupInviteOut:
    """Invite a group's members: each one's own preferences and the caps decide; the
    answer lists who got it and, for the others, the refusal's code."""
    outcomes = direct.send_group_invite(
        session,
        settings,
        shop_id=principal.shop_id,
        sender_id=principal.subject_id,
        instance_id=instance_id,
        group_ref=body.group_ref,
        member_ids=body.member_ids,
    )
    for refused in (o.error for o in outcomes if o.error is not None):
        metrics.count(metrics.INVITES_REFUSED, refused.code)
    members = [
        GroupMemberOutcome(
            recipient_id=o.recipient_id,
            delivered=o.invite is not None,
            invite_id=o.invite.id if o.invite is not None else None,
            code=o.error.code if o.error is not None else None,
            detail=o.error.detail if o.error is not None else None,
        )
        for o in outcomes
    ]
    delivered = sum(m.delivered for m in members)
    return GroupInviteOut(delivered=delivered, refused=len(members) - delivered, members=members)


@router.get("/me/invite-caps", response_model=InviteCapsOut)
def read_invite_caps(
    session: SessionDep, settings: SettingsDep, principal: Inviter
) -> InviteCapsOut:
    """Your invite caps after reputation (see the README's formula), and its inputs."""
    caps = service.sender_caps(session, settings, sender_id=principal.subject_id)
    return InviteCapsOut(
        invites_per_day=caps.invites_per_day,
        group_links_per_hour=caps.group_links_per_hour,
        bad_outcomes=caps.bad,
        invites_counted=caps.sent,
        smoothed_bad_rate=round(caps.rate, 6),
    )


@router.post("/opt-outs/{token}", response_model=OptOutOut)
def opt_out(token: OptOutTokenPath, session: SessionDep, settings: SettingsDep) -> OptOutOut:
    """Public, one tap from an invite: mute its sender, or stop all invites. 404
    `invalid_opt_out` for a link that is not genuine."""
    action, detail = direct.opt_out(session, settings, token=token)
    return OptOutOut(action=action, detail=detail)
