"""Request and response models of the notify domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from huzhu.kit.credentials import credential
from huzhu.kit.jsonbody import JsonBody
from huzhu.notify.kinds import Kind, SummaryFrequency
from huzhu.notify.rules import DeliveryStatus

EVENT_TYPE_PATTERN = r"^[a-z_]+(\.[a-z_]+)*(\.\*)?$"
# http(s), a host, an optional port and a printable-ASCII path (percent-encode the rest);
# no credentials: the signature authenticates us to the receiver.
URL_PATTERN = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[!-~]*)?$"
# Ids are 64-bit on PostgreSQL; a larger number is refused as input, never a 500.
MAX_ID = 2**63 - 1
MessageIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="inbox message id")]
EventType = Annotated[str, Field(min_length=1, max_length=60, pattern=EVENT_TYPE_PATTERN)]


class EndpointIn(JsonBody):
    url: str = Field(
        min_length=8,
        max_length=500,
        pattern=URL_PATTERN,
        description="http(s) URL that receives POSTs",
    )
    description: str = Field(default="", max_length=200)
    event_types: list[EventType] = Field(
        default_factory=list,
        max_length=50,
        description="event types to send (`campaign.*` for a family); empty = all",
    )
    active: StrictBool = True


class EndpointPatch(JsonBody):
    url: str | None = Field(default=None, min_length=8, max_length=500, pattern=URL_PATTERN)
    description: str | None = Field(default=None, max_length=200)
    event_types: list[EventType] | None = Field(default=None, max_length=50)
    active: StrictBool | None = None


class EndpointOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    description: str
    event_types: list[str]
    active: bool
    created_at: datetime


class EndpointCreated(EndpointOut):
    secret: str | None = credential("the signing secret; shown once, store it now.")


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    endpoint_id: int
    event_id: int
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryDetail(DeliveryOut):
    attempts_log: list[AttemptOut]


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    type: str
    subject_type: str
    subject_id: int
    payload: dict[str, Any]
    dispatched: bool
    created_at: datetime


class InboxMessageOut(BaseModel):
    id: int
    kind: str = Field(description="a stable kind code (see the README's inbox section)")
    title: str = Field(description="in the language negotiated from Accept-Language")
    body: str
    params: dict[str, Any] | None = Field(
        description="the facts the words are made of; null for messages from before kinds"
    )
    created_at: datetime
    read_at: datetime | None = Field(description="when it was first marked read; null: unread")


class InboxPreferencesIn(JsonBody):
    muted_kinds: list[Kind] = Field(
        max_length=len(Kind), description="kinds not to be written to your inbox at all"
    )
    summary: SummaryFrequency = Field(description="how often the reminder summary comes")


class InboxPreferencesOut(BaseModel):
    muted_kinds: list[Kind]
    summary: SummaryFrequency
    unmuteable_kinds: list[Kind] = Field(description="kinds that always reach you")


class InboxUnread(BaseModel):
    unread: int = Field(ge=0, description="how many of your messages are unread")


class InboxReadAll(BaseModel):
    marked: int = Field(ge=0, description="how many unread messages this marked read")
    unread: int = Field(ge=0, description="how many are unread now")
