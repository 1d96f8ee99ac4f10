"""Request and response models of the review queue."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from huzhu.enforcement.schemas import ActionOut
from huzhu.kit.ids import MAX_BODY_ID
from huzhu.kit.jsonbody import JsonBody

BodyId = Annotated[int, Field(ge=1, le=MAX_BODY_ID)]


class SpamReportIn(JsonBody):
    """A sender floods you with invites."""

    kind: Literal["spam"]
    account_id: int = Field(ge=1, le=MAX_BODY_ID, description="the sender")
    text: str | None = Field(default=None, max_length=1000, description="what happened")


class FraudReportIn(JsonBody):
    """An instance's count jumped without real friends behind it."""

    kind: Literal["fraud"]
    instance_id: BodyId
    text: str | None = Field(default=None, max_length=1000, description="what happened")


# The kind decides which subject is required, stated in the schema itself (oneOf with a
# discriminator) rather than checked after parsing.
ReportIn = Annotated[SpamReportIn | FraudReportIn, Field(discriminator="kind")]


class ReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int
    kind: str
    subject_account_id: int
    instance_id: int | None
    text: str | None
    status: str
    created_at: datetime


class CaseStatusFilter(StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


class CaseKindFilter(StrEnum):
    SPAM_REPORT = "spam_report"
    FRAUD_REPORT = "fraud_report"
    FRAUD_RING = "fraud_ring"
    INLINE_HOLD = "inline_hold"
    INLINE_GROUP = "inline_group"
    SPIKE = "spike"


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    status: str
    source: str
    subject_account_id: int | None
    subject_account_ids: list[int]
    instance_id: int | None
    campaign_id: int | None
    summary: str
    report_count: int
    assignee_operator_id: int | None
    decided_by: str | None
    decision_reason: str | None
    created_at: datetime
    updated_at: datetime
    decided_at: datetime | None


class CaseDetail(CaseOut):
    evidence: dict[str, Any]
    reports: list[ReportOut]
    actions: list[ActionOut]


Enforce = Literal[
    "rule",
    "none",
    "next",
    "warning",
    "invite_restriction_1d",
    "invite_restriction_7d",
    "participation_restriction",
    "ban",
]


class ConfirmIn(JsonBody):
    reason: str = Field(min_length=1, max_length=1000, description="told to the people affected")
    enforce: Enforce = Field(
        default="rule",
        description="rule: the rule registered for the case's kind acts (spam reports: the "
        "spam rule; rings, spikes, holds and fraud reports: void the fake assists, recount "
        "and enforce); none: no action; next: one rung up for each subject account; or an "
        "explicit kind",
    )


class DismissIn(JsonBody):
    reason: str = Field(min_length=1, max_length=1000)


class CaseDecision(BaseModel):
    case: CaseOut
    actions: list[ActionOut]
    outcome: dict[str, Any] | None = Field(
        default=None,
        description="what the kind's rule did, where it records it (a fraud report: the "
        "assists voided and why, or a note that the evidence implicated none)",
    )
