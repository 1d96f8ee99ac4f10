"""Request and response models of the assists domain.

The public instance view carries counts only: who helped is never shown to the
initiator or to a stranger opening a share (DESIGN: privacy by design).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from huzhu.kit.jsonbody import JsonBody

# Ids are 64-bit on PostgreSQL; a larger number is refused as input, never a 500.
MAX_ID = 2**63 - 1
InstanceIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="instance id")]
AssistIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="assist id")]
CampaignIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="campaign id")]

InstanceStatus = Literal["active", "succeeded", "purchased", "completed", "expired", "cancelled"]


class InstanceView(BaseModel):
    """What anyone holding the instance id sees before assisting, and what the
    participant sees: honest numbers, no identities."""

    id: int
    campaign_id: int
    kind: str
    status: str
    progress_value: int = Field(description="cents cut (bargain), entries (lottery), assists")
    target_value: int
    cents_remaining: int | None = Field(
        description="bargain: cents still between the current price and the floor"
    )
    helpers_still_needed: int = Field(
        description="the most counted assists still needed (= free slots)"
    )
    counted_count: int
    held_count: int = Field(description="assists being checked, not counted yet")
    voided_count: int = Field(description="assists that were removed")
    expires_at: datetime
    purchase_deadline_at: datetime | None
    closed_at: datetime | None = Field(
        default=None, description="when it ended (bought, paid, expired, drawn); null while running"
    )
    created_at: datetime


class InstanceDetail(InstanceView):
    """One instance with the terms it started under: its campaign version and that
    version's description (an edit of the campaign later never changes these)."""

    campaign_version: int = Field(description="the campaign version this instance holds")
    description: str = Field(description="the campaign's description in that version")


class AssistGiven(BaseModel):
    """The answer to an assist: counted (201) or held for a check (202)."""

    assist_id: int
    instance_id: int
    status: Literal["counted", "held"]
    slot: int | None = Field(description="the slot claimed; null while held")
    value: int = Field(description="cents cut (bargain) or 1 (entry, unlock assist)")


class AssistOut(BaseModel):
    """An assist as an operator sees it: the helper is a pseudonymous account id."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    instance_id: int
    helper_id: int
    status: str
    slot: int | None
    value: int
    risk_decision: str
    risk_score: float
    risk_reasons: list[str]
    created_at: datetime
    voided_at: datetime | None
    void_reason: str | None


class VoidIn(JsonBody):
    reason: str = Field(
        min_length=3, max_length=200, description="told to the initiator, so say it plainly"
    )


class PurchaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    instance_id: int
    kind: str
    amount_cents: int
    subsidy_cents: int
    status: str
    payment_ref: str | None
    created_at: datetime


class ClaimedCut(BaseModel):
    slot: int = Field(description="the cut's place in the sequence, from 0")
    value_cents: int


class CutRecord(BaseModel):
    """A bargain's public cut record (algorithm `huzhu-cut-v1`, campaigns/rules/bargain.py):
    the commitment from the start, the seed and the whole sequence once it no longer
    runs — then `huzhu verify-cuts` re-derives every cut."""

    algorithm: str
    instance_id: int
    campaign_id: int
    status: str
    split: str
    price_cents: int
    floor_cents: int
    target_cents: int
    max_helpers: int
    commitment_hex: str = Field(description="SHA-256 of the seed's bytes, public from the start")
    seed_hex: str | None = Field(description="null while the bargain runs")
    claimed: list[ClaimedCut] = Field(description="the cuts counted assists hold now")
    cuts: list[int] | None = Field(description="every cut in order; null while it runs")


class CampaignActivity(BaseModel):
    """A campaign's live numbers for its operators' dashboard: counts only."""

    instances: dict[str, int] = Field(description="instances by status")
    assists: dict[str, int] = Field(description="assists by status: counted, held, voided")


class SpendingLine(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    campaign_id: int
    instance_id: int
    kind: str
    amount_cents: int
    status: str
    created_at: datetime


class PrizeLine(BaseModel):
    """A lottery prize the participant won: a thing of this value, not money paid."""

    campaign_id: int
    prize: str
    value_cents: int
    drawn_at: datetime


class SpendingSummary(BaseModel):
    """What one participant bought through campaigns since a time — the real numbers
    behind "this week you spent ¥X on campaign items"."""

    since: datetime
    spent_cents: int = Field(description="charged and kept (captured)")
    on_hold_cents: int = Field(description="authorized, charged only if the team fills")
    refunded_cents: int = Field(description="authorized or charged, then given back")
    received_cents: int = Field(description="rewards paid to the participant")
    prizes_won_cents: int = Field(description="the value of lottery prizes won (drawn since)")
    lines: list[SpendingLine]
    prizes: list[PrizeLine] = Field(description="lottery prizes won, drawn since")
