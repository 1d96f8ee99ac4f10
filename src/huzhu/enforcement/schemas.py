"""Request and response models of the enforcement domain."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from huzhu.enforcement.rules import AppealStatus
from huzhu.kit.ids import MAX_BODY_ID
from huzhu.kit.jsonbody import JsonBody

BodyId = Annotated[int, Field(ge=1, le=MAX_BODY_ID)]


class KindOrNext(StrEnum):
    NEXT = "next"
    WARNING = "warning"
    INVITE_RESTRICTION_1D = "invite_restriction_1d"
    INVITE_RESTRICTION_7D = "invite_restriction_7d"
    PARTICIPATION_RESTRICTION = "participation_restriction"
    BAN = "ban"


class ActionIn(JsonBody):
    account_id: BodyId
    kind: KindOrNext = Field(
        default=KindOrNext.NEXT, description="next: one rung above the account's position"
    )
    reason: str = Field(min_length=1, max_length=1000, description="told to the person")
    evidence: dict[str, Any] = Field(default_factory=dict)
    case_id: BodyId | None = Field(default=None, description="the review case")


class ActionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    kind: str
    rung: int
    reason: str
    evidence: dict[str, Any]
    starts_at: datetime
    expires_at: datetime | None
    actor: str
    case_id: int | None
    created_at: datetime
    lifted_at: datetime | None
    lifted_by: str | None
    lift_reason: str | None


class OwnActionOut(BaseModel):
    """What the person sees of an action on them: no evidence (it may name reporters)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    rung: int
    reason: str
    starts_at: datetime
    expires_at: datetime | None
    lifted_at: datetime | None


class LiftIn(JsonBody):
    reason: str = Field(min_length=1, max_length=1000)


class AppealIn(JsonBody):
    text: str = Field(min_length=1, max_length=2000, description="why the action is wrong")


class AppealOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    action_id: int
    account_id: int
    text: str
    status: AppealStatus
    decided_by: str | None
    decision_reason: str | None
    created_at: datetime
    decided_at: datetime | None


class Decision(StrEnum):
    UPHOLD = "uphold"
    LIFT = "lift"


class AppealDecisionIn(JsonBody):
    decision: Decision
    reason: str = Field(min_length=1, max_length=1000, description="told to the person")


class Standing(BaseModel):
    """An account's place on the ladder and what binds it now."""

    account_id: int
    rung: int = Field(description="0 = nothing on record … 5 = banned")
    status: str = Field(description="active | restricted | banned (account mirror)")
    restricted_until: datetime | None
    invites_blocked: bool
    invites_blocked_until: datetime | None = Field(description="null with a ban: until lifted")
    active_actions: list[OwnActionOut]
    reports_against: int


class MyEnforcement(BaseModel):
    standing: Standing
    actions: list[OwnActionOut]
    appeals: list[AppealOut]
