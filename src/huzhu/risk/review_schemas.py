"""Request and response models of the review queue."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from huzhu.enforcement.schemas import ActionOut

# A database id: positive and within 64 bits.
Id = Field(ge=1, le=2**63 - 1)


class ReportKind(StrEnum):
    SPAM = "spam"
    FRAUD = "fraud"


class ReportIn(BaseModel):
    kind: ReportKind = Field(
        description="spam: a sender floods you with invites (give account_id); fraud: an "
        "instance's count jumped without real friends (give instance_id)"
    )
    account_id: int | None = Field(default=None, ge=1, le=2**63 - 1, description="the sender")
    instance_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    text: str | None = Field(default=None, max_length=1000, description="what happened")

    @model_validator(mode="after")
    def _names_its_subject(self) -> ReportIn:
        if self.kind is ReportKind.SPAM and self.account_id is None:
            raise ValueError("a spam report needs account_id (the sender)")
        if self.kind is ReportKind.FRAUD and self.instance_id is None:
            raise ValueError("a fraud report needs instance_id")
        return self


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


class ConfirmIn(BaseModel):
    reason: str = Field(min_length=1, max_length=1000, description="told to the people affected")
    enforce: Enforce = Field(
        default="rule",
        description="rule: the spam rule decides (spam cases; nothing for others); none: no "
        "action; next: one rung up for each subject account; or an explicit kind",
    )


class DismissIn(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


class CaseDecision(BaseModel):
    case: CaseOut
    actions: list[ActionOut]
