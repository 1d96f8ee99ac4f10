"""Request and response models of the invites domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from annotated_types import Ge, Le
from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from huzhu.assists.schemas import InstanceView
from huzhu.kit.credentials import credential
from huzhu.kit.ids import MAX_BODY_ID
from huzhu.kit.jsonbody import JsonBody

MAX_ID = 2**63 - 1


BodyId = Annotated[int, Ge(1), Le(MAX_BODY_ID)]
AccountIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="the other person's account id")]
LinkIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="share link id")]
TOKEN_MAX_LENGTH = 600
TokenPath = Annotated[
    str, Path(min_length=1, max_length=TOKEN_MAX_LENGTH, description="share-link token")
]
OptOutTokenPath = Annotated[str, Path(min_length=1, max_length=400, description="opt-out token")]

Channel = Literal["friend", "group", "timeline", "qr"]
# The values of rules.AcceptFrom (a test keeps them equal), as a Literal: the API's
# schema and its validation messages name the values, not an enum type.
AcceptFrom = Literal["everyone", "contacts", "nobody"]
HHMM = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["22:00"])]


class ShareLinkIn(JsonBody):
    channel: Channel
    group_ref: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="the group's id in the chat app (channel group only); stored as a keyed hash",
    )
    ttl_seconds: Annotated[int, Ge(60), Le(30 * 24 * 3600)] | None = None


class ShareLinkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    instance_id: int
    channel: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class ShareLinkIssued(ShareLinkOut):
    token: str | None = credential("the signed token; share `url`, which carries it.")
    url: str | None = credential("the link to share (carries the token).")
    qr_png_url: str | None = credential("the link as a QR code, PNG (carries the token).")
    qr_svg_url: str | None = credential("the link as a QR code, SVG (carries the token).")


class ShareOpened(BaseModel):
    """What anyone opening a genuine link sees: the link's facts and the instance's
    public view (counts only, never who helped)."""

    open_id: int = Field(description="pass it with the assist (`share_open`) to link the two")
    link_id: int
    channel: str
    issued_at: datetime
    expires_at: datetime
    instance: InstanceView


class PreferencesIn(JsonBody):
    accept_from: AcceptFrom = "contacts"
    kinds: list[Literal["bargain", "groupbuy", "lottery", "unlock"]] | None = Field(
        default=None, description="campaign kinds you accept invites to; null = all"
    )
    quiet_start: HHMM = "22:00"
    quiet_end: HHMM = "08:00"
    time_zone: str = Field(default="Asia/Shanghai", max_length=64, description="IANA zone")
    daily_max: int = Field(default=3, ge=0, le=100, description="invites you accept a day")


class PreferencesOut(PreferencesIn):
    is_default: bool = Field(description="true while you have not set your own")


class InviteIn(JsonBody):
    recipient_id: int = Field(ge=1, le=MAX_BODY_ID)


class GroupInviteIn(JsonBody):
    group_ref: str = Field(min_length=1, max_length=200, description="stored as a keyed hash")
    member_ids: list[BodyId] = Field(min_length=1, max_length=50)


class InviteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    instance_id: int
    recipient_id: int
    created_at: datetime


class GroupMemberOutcome(BaseModel):
    recipient_id: int
    delivered: bool
    invite_id: int | None = None
    code: str | None = Field(default=None, description="why not: the refusal's problem code")
    detail: str | None = None


class GroupInviteOut(BaseModel):
    delivered: int
    refused: int
    members: list[GroupMemberOutcome]


class RelationsOut(BaseModel):
    muted: list[int]
    blocked: list[int]
    contacts: list[int]


class OptOutOut(BaseModel):
    action: Literal["mute", "unsubscribe"]
    detail: str


class InviteCapsOut(BaseModel):
    """Your caps now, and why: they shrink as people mute, block or report you."""

    invites_per_day: int
    group_links_per_hour: int
    bad_outcomes: int = Field(description="mutes and blocks of you lately, plus reports")
    invites_counted: int = Field(description="invites you delivered lately")
    smoothed_bad_rate: float = Field(description="(bad + a) / (min(sent, V) + a + b)")
