"""Routes of the notify domain: the event outbox and webhook endpoints and deliveries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy.orm import Session

from huzhu.accounts.deps import require
from huzhu.accounts.rules import Permission, Principal
from huzhu.config import Settings
from huzhu.deps import SessionDep, SettingsDep
from huzhu.kit import i18n
from huzhu.notify import service
from huzhu.notify.kinds import UNMUTEABLE
from huzhu.notify.rules import DeliveryStatus
from huzhu.notify.schemas import (
    AttemptOut,
    DeliveryDetail,
    DeliveryOut,
    EndpointCreated,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    EventOut,
    InboxMessageOut,
    InboxPreferencesIn,
    InboxPreferencesOut,
    InboxReadAll,
    InboxUnread,
    MessageIdPath,
)
from huzhu.pagination import Page, PageParams, page_params

router = APIRouter(tags=["notify"])

WebhookManager = Annotated[Principal, Depends(require(Permission.WEBHOOK_MANAGE))]
Paging = Annotated[PageParams, Depends(page_params)]


@router.get("/events", response_model=Page[EventOut])
def list_events(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.EVENT_READ))],
    params: Paging,
    type: Annotated[str | None, Query(max_length=60, description="only this event type")] = None,
) -> Page[EventOut]:
    """The shop's outbox, newest first: every state change, as webhooks receive it."""
    rows, cursor = service.list_events(session, params, shop_id=principal.shop_id, type=type)
    return Page[EventOut](items=[EventOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.post(
    "/webhooks/endpoints", response_model=EndpointCreated, status_code=status.HTTP_201_CREATED
)
def create_endpoint(
    body: EndpointIn, session: SessionDep, settings: SettingsDep, principal: WebhookManager
) -> EndpointCreated:
    """Register a receiver. The signing secret is generated here and shown only now."""
    endpoint = service.create_endpoint(
        session,
        settings,
        shop_id=principal.shop_id,
        url=body.url,
        description=body.description,
        event_types=body.event_types,
        active=body.active,
    )
    return EndpointCreated(
        **EndpointOut.model_validate(endpoint).model_dump(), secret=endpoint.secret
    )


@router.get("/webhooks/endpoints", response_model=Page[EndpointOut])
def list_endpoints(
    session: SessionDep, principal: WebhookManager, params: Paging
) -> Page[EndpointOut]:
    rows, cursor = service.list_endpoints(session, params, shop_id=principal.shop_id)
    return Page[EndpointOut](
        items=[EndpointOut.model_validate(r) for r in rows], next_cursor=cursor
    )


@router.get("/webhooks/endpoints/{endpoint_id}", response_model=EndpointOut)
def get_endpoint(endpoint_id: int, session: SessionDep, principal: WebhookManager) -> EndpointOut:
    endpoint = service.get_endpoint(session, shop_id=principal.shop_id, endpoint_id=endpoint_id)
    return EndpointOut.model_validate(endpoint)


@router.patch("/webhooks/endpoints/{endpoint_id}", response_model=EndpointOut)
def update_endpoint(
    endpoint_id: int,
    body: EndpointPatch,
    session: SessionDep,
    settings: SettingsDep,
    principal: WebhookManager,
) -> EndpointOut:
    endpoint = service.update_endpoint(
        session,
        settings,
        shop_id=principal.shop_id,
        endpoint_id=endpoint_id,
        changes=body.model_dump(exclude_unset=True),
    )
    return EndpointOut.model_validate(endpoint)


@router.delete("/webhooks/endpoints/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_endpoint(endpoint_id: int, session: SessionDep, principal: WebhookManager) -> None:
    """Delete the endpoint and its delivery log (to pause it instead, PATCH active=false)."""
    service.delete_endpoint(session, shop_id=principal.shop_id, endpoint_id=endpoint_id)


@router.get("/webhooks/deliveries", response_model=Page[DeliveryOut])
def list_deliveries(
    session: SessionDep,
    principal: WebhookManager,
    params: Paging,
    endpoint_id: Annotated[int | None, Query(ge=1, description="only this endpoint's")] = None,
    status: Annotated[DeliveryStatus | None, Query(description="only this status")] = None,
) -> Page[DeliveryOut]:
    rows, cursor = service.list_deliveries(
        session,
        params,
        shop_id=principal.shop_id,
        endpoint_id=endpoint_id,
        status=status.value if status else None,
    )
    return Page[DeliveryOut](
        items=[DeliveryOut.model_validate(r) for r in rows], next_cursor=cursor
    )


def _detail(session: SessionDep, *, shop_id: int, delivery_id: int) -> DeliveryDetail:
    delivery, attempts = service.get_delivery(session, shop_id=shop_id, delivery_id=delivery_id)
    return DeliveryDetail(
        **DeliveryOut.model_validate(delivery).model_dump(),
        attempts_log=[AttemptOut.model_validate(a) for a in attempts],
    )


@router.get("/webhooks/deliveries/{delivery_id}", response_model=DeliveryDetail)
def get_delivery(
    delivery_id: int, session: SessionDep, principal: WebhookManager
) -> DeliveryDetail:
    """One delivery with every attempt: status code, error class and duration."""
    return _detail(session, shop_id=principal.shop_id, delivery_id=delivery_id)


@router.post("/webhooks/deliveries/{delivery_id}/redeliver", response_model=DeliveryDetail)
def redeliver(delivery_id: int, session: SessionDep, principal: WebhookManager) -> DeliveryDetail:
    """Send again now with a fresh attempt budget (the log keeps earlier attempts)."""
    service.redeliver(session, shop_id=principal.shop_id, delivery_id=delivery_id)
    return _detail(session, shop_id=principal.shop_id, delivery_id=delivery_id)


# -- the participant's own inbox ---------------------------------------------------------

InboxReader = Annotated[Principal, Depends(require(Permission.INBOX_READ))]


def _reader_language(request: Request) -> i18n.Language:
    """The pages' negotiation: the language cookie, then Accept-Language, then Chinese."""
    return i18n.negotiate(
        cookie=request.cookies.get(i18n.LANG_COOKIE),
        accept_language=request.headers.get("accept-language"),
    )


def _out(
    session: Session, settings: Settings, message: service.InboxMessage, *, language: str
) -> InboxMessageOut:
    title, body = service.render_inbox_message(
        session, settings, message, language=language, time_zone=settings.web.time_zone
    )
    return InboxMessageOut(
        id=message.id,
        kind=message.kind,
        title=title,
        body=body,
        params=service.read_params(session, settings, message),
        created_at=message.created_at,
        read_at=message.read_at,
    )


@router.get("/me/inbox", response_model=Page[InboxMessageOut])
def list_my_inbox(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    principal: InboxReader,
    params: Paging,
) -> Page[InboxMessageOut]:
    """Your own messages, newest first: what the engine told you (friends who helped, a
    success, an expiry and its refund, a removed assist, a draw, a decision on your
    account), in the language of your Accept-Language (Content-Language says which).
    `GET /me/inbox/unread` counts the unread ones."""
    language = _reader_language(request)
    response.headers["Content-Language"] = language.tag
    rows, cursor = service.list_inbox(session, params, account_id=principal.subject_id)
    return Page[InboxMessageOut](
        items=[_out(session, settings, r, language=language.code) for r in rows],
        next_cursor=cursor,
    )


@router.get("/me/inbox/unread", response_model=InboxUnread)
def count_my_unread(session: SessionDep, principal: InboxReader) -> InboxUnread:
    return InboxUnread(unread=service.unread_count(session, account_id=principal.subject_id))


def _preferences_out(prefs: service.InboxPreferences) -> InboxPreferencesOut:
    return InboxPreferencesOut(
        muted_kinds=prefs.muted_kinds,
        summary=prefs.summary,
        unmuteable_kinds=sorted(UNMUTEABLE),
    )


@router.get("/me/inbox/preferences", response_model=InboxPreferencesOut)
def get_my_inbox_preferences(session: SessionDep, principal: InboxReader) -> InboxPreferencesOut:
    """The kinds you muted and how often your reminder summary comes."""
    return _preferences_out(service.inbox_preferences(session, account_id=principal.subject_id))


@router.put(
    "/me/inbox/preferences",
    response_model=InboxPreferencesOut,
    responses={422: {"description": "`enforcement_not_muteable`, `appeal_outcome_not_muteable`"}},
)
def set_my_inbox_preferences(
    body: InboxPreferencesIn, session: SessionDep, principal: InboxReader
) -> InboxPreferencesOut:
    """Mute kinds (a muted kind is not written to your inbox at all) and choose the
    summary's frequency. Decisions on your account and your appeals cannot be muted."""
    prefs = service.set_inbox_preferences(
        session,
        account_id=principal.subject_id,
        muted_kinds=[k.value for k in body.muted_kinds],
        summary=body.summary.value,
    )
    return _preferences_out(prefs)


@router.post("/me/inbox/read-all", response_model=InboxReadAll)
def mark_my_inbox_read(session: SessionDep, principal: InboxReader) -> InboxReadAll:
    """Mark every unread message read (those read earlier keep their time)."""
    marked = service.mark_all_read(session, account_id=principal.subject_id)
    return InboxReadAll(
        marked=marked, unread=service.unread_count(session, account_id=principal.subject_id)
    )


@router.post("/me/inbox/{message_id}/read", response_model=InboxMessageOut)
def mark_my_message_read(
    message_id: MessageIdPath,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    principal: InboxReader,
) -> InboxMessageOut:
    """Mark one of your messages read; again changes nothing. Another person's message
    is `inbox_message_not_found`, as an unknown id is."""
    language = _reader_language(request)
    response.headers["Content-Language"] = language.tag
    message = service.mark_read(session, account_id=principal.subject_id, message_id=message_id)
    return _out(session, settings, message, language=language.code)
