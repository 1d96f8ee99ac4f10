"""What the spending routes answer: caps with their use, and a confirmation quote."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from huzhu.guardrails.rules import Cap, StepKind
from huzhu.kit.credentials import credential
from huzhu.kit.ids import MAX_BODY_ID
from huzhu.kit.jsonbody import JsonBody


class CapUse(BaseModel):
    cap: Cap
    limit: int = Field(description="in force now (cents for money caps, a count otherwise)")
    used: int = Field(description="used in the current period, from the ledger")
    remaining: int
    resets_at: datetime = Field(description="when the current period ends (UTC)")
    default: int = Field(description="the shop's default")
    ceiling: int = Field(description="the most this cap may be raised to")
    chosen: bool = Field(description="true when the person chose it (else the default)")
    waiting_value: int | None = Field(default=None, description="a raise not yet in force")
    waiting_from: datetime | None = Field(default=None, description="when that raise applies")


class CoolingOffOut(BaseModel):
    steps: int = Field(description="money steps in an hour after which the next one waits")
    minutes: int = Field(description="how long it waits")
    steps_in_last_hour: int
    until: datetime | None = Field(description="set while the next money step must wait")


class GuardrailsOut(BaseModel):
    caps: list[CapUse]
    cooling_off: CoolingOffOut
    raise_wait_seconds: int = Field(description="how long a raised cap waits before it applies")
    confirm_above_cents: int = Field(description="money steps above this need a confirmation")


class GuardrailsIn(JsonBody):
    """The caps to change; a lower one applies at once, a higher one after the wait."""

    model_config = ConfigDict(extra="forbid")

    daily_spend_cents: int | None = Field(default=None, ge=0, le=10**12)
    monthly_spend_cents: int | None = Field(default=None, ge=0, le=10**12)
    daily_starts: int | None = Field(default=None, ge=0, le=10**6)
    daily_joins: int | None = Field(default=None, ge=0, le=10**6)

    def requested(self) -> dict[Cap, int]:
        return {Cap(k): v for k, v in self.model_dump(exclude_none=True).items()}


class ConfirmIn(JsonBody):
    model_config = ConfigDict(extra="forbid")

    action: Literal["open_team", "join_team", "buy_bargain"] = Field(
        description="open_team: target is the campaign; join_team: the team; "
        "buy_bargain: the bargain instance"
    )
    target_id: int = Field(ge=1, le=MAX_BODY_ID)


class QuoteOut(BaseModel):
    """One confirmation: the price now beside the person's real numbers. Show it, then
    send `token` in the step's Huzhu-Confirmation header (null when none is needed, or
    when the step would not be admitted now — `refused` says why)."""

    action: StepKind
    target_id: int
    campaign_id: int
    amount_cents: int = Field(description="what this step commits now")
    regular_price_cents: int | None = Field(
        description="the shop's own price of the item: buying it there needs no one's help"
    )
    committed_today_cents: int
    committed_week_cents: int
    committed_month_cents: int
    on_hold_cents: int = Field(description="orders authorized, charged only if a team fills")
    in_progress: int = Field(description="activities started or joined that are still running")
    caps: list[CapUse]
    cooling_off_until: datetime | None
    refused: str | None = Field(description="cap_reached or cooling_off when it would be refused")
    refused_cap: Cap | None = None
    token: str | None = credential("send it in the step's Huzhu-Confirmation header.")
    expires_at: datetime | None


# The calendar period a summary covers (the shop's day or week, from Monday).
SummaryLength = Literal["day", "week"]


class ActivitySummary(BaseModel):
    """A person's activity in [since, until), every number read from the ledger: what a
    reminder tells them and GET /me/summary answers."""

    since: datetime
    until: datetime
    started: int = Field(description="activities started, teams opened included")
    assists_given: int = Field(description="assists given that count")
    assists_received: int = Field(description="assists to my activities that count")
    charged_cents: int = Field(description="charged (captures and one-step charges)")
    refunded_cents: int = Field(description="refunds made to me in the period")
    received_cents: int = Field(description="rewards paid to me")
    expired: int = Field(description="activities I started or joined that ended unfinished")

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.started,
                self.assists_given,
                self.assists_received,
                self.charged_cents,
                self.refunded_cents,
                self.received_cents,
                self.expired,
            )
        )
