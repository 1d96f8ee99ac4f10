"""Request and response models of the campaigns domain.

A campaign is created with one body, discriminated on `kind`: the common fields plus the
kind's config, flat. Pydantic checks shapes and bounds; the honesty rules that need the
platform's settings or several fields at once (an unreachable bargain, a price above its
reference price, a banned channel) live in rules/validation.py, so one place answers
"why was my campaign refused".

Some fields exist only to be refused (`countdown_resets`, `extend_on_assist`,
`virtual_members`, `auto_fill`, `share_reward_cents`, `publish_commitment`): an operator
who asks for a deceptive pattern gets a clear answer naming it, instead of the field
being silently ignored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from huzhu.campaigns.rules.lifecycle import StartClosed
from huzhu.kit.ids import MAX_BODY_ID
from huzhu.kit.jsonbody import JsonBody

Channel = Literal["own_app", "wechat_miniprogram", "wechat_web", "qr_offline", "web"]
Split = Literal["double_mean", "front_loaded"]
Kind = Literal["bargain", "groupbuy", "lottery", "unlock"]
# The values of rules.lifecycle.CampaignStatus (a test keeps them equal), as a Literal:
# the API's schema and its validation messages name the values, not an enum type.
Status = Literal["draft", "scheduled", "live", "paused", "ended"]

MAX_CENTS = 10**12  # ¥10 billion: beyond any real campaign, inside a BIGINT
MAX_TTL_SECONDS = 30 * 24 * 3600
Cents = Annotated[int, Field(ge=0, le=MAX_CENTS)]
PositiveCents = Annotated[int, Field(ge=1, le=MAX_CENTS)]


class _Common(JsonBody):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    channel: Channel = Field(description="where the campaign is shared; its rules apply")
    budget_cents: Cents = Field(description="subsidy budget; never exceeded")
    inventory_total: int = Field(ge=1, le=10**9, description="units of stock; never exceeded")
    starts_at: datetime | None = Field(default=None, description="UTC; schedule starts here")
    ends_at: datetime | None = Field(default=None, description="UTC; the campaign ends here")
    instance_ttl_seconds: int | None = Field(
        default=None, ge=60, le=MAX_TTL_SECONDS, description="default from settings"
    )
    daily_assists_per_helper: int | None = Field(
        default=None, ge=1, le=1000, description="default from settings"
    )
    reference_price_cents: PositiveCents | None = Field(
        default=None,
        description="the honest reference price a price cut starts from (bargain and "
        "group buy default to the price itself)",
    )
    share_reward_cents: Cents = Field(
        default=0, description="refused when > 0: the act of sharing is never rewarded"
    )
    countdown_resets: bool = Field(
        default=False, description="refused when true: a countdown never restarts"
    )
    extend_on_assist: bool = Field(
        default=False, description="refused when true: a countdown is never extended"
    )


ItemId = Annotated[
    int | None,
    Field(
        ge=1,
        le=MAX_BODY_ID,
        description="the shop's item this campaign sells (see /items): its reference price "
        "must then be at most the item's lowest price recorded in the days before launch, "
        "and the campaign's price joins the item's price history",
    ),
]


class BargainCreate(_Common):
    kind: Literal["bargain"]
    item_id: ItemId = None
    price_cents: PositiveCents
    floor_cents: Cents
    max_helpers: int = Field(ge=1, le=100_000, description="the most helpers ever needed")
    split: Split = "double_mean"
    purchase_window_seconds: int | None = Field(default=None, ge=60, le=MAX_TTL_SECONDS)


class GroupbuyCreate(_Common):
    kind: Literal["groupbuy"]
    item_id: ItemId = None
    team_size: int = Field(ge=2, le=100_000)
    price_cents: PositiveCents
    group_price_cents: Cents
    virtual_members: int = Field(
        default=0, ge=0, le=100_000, description="refused when > 0: no robot members"
    )
    auto_fill: bool = Field(default=False, description="refused when true: no robot members")


class Prize(JsonBody):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    value_cents: PositiveCents = Field(description="the prize's value, discounts included")
    quantity: int = Field(ge=1, le=10**6)


class LotteryCreate(_Common):
    kind: Literal["lottery"]
    draw_at: datetime = Field(description="UTC; when the seed is revealed and winners drawn")
    entry_cap: int = Field(ge=1, le=100_000, description="most entries per participant")
    base_entries: int = Field(default=1, ge=0, le=100_000, description="entries for starting")
    prizes: list[Prize] = Field(max_length=100, description="top prize first")
    publish_commitment: bool = Field(
        default=True, description="refused when false: the seed's commitment is always public"
    )


class UnlockCreate(_Common):
    kind: Literal["unlock"]
    helpers_needed: int = Field(ge=1, le=100_000)
    reward_cents: PositiveCents
    reward_name: str = Field(default="", max_length=200)


CampaignCreate = Annotated[
    BargainCreate | GroupbuyCreate | LotteryCreate | UnlockCreate, Field(discriminator="kind")
]


class CampaignUpdate(JsonBody):
    """A partial edit. A draft is edited in place; a scheduled, live or paused campaign's
    rule change makes a new version (instances keep the one they started under)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    channel: Channel | None = None
    budget_cents: Cents | None = Field(default=None, description="never below reserved + spent")
    inventory_total: int | None = Field(default=None, ge=1, le=10**9)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    instance_ttl_seconds: int | None = Field(default=None, ge=60, le=MAX_TTL_SECONDS)
    daily_assists_per_helper: int | None = Field(default=None, ge=1, le=1000)
    reference_price_cents: PositiveCents | None = None
    item_id: int | None = Field(default=None, ge=1, le=MAX_BODY_ID, description="bargain, groupbuy")
    share_reward_cents: Cents | None = None
    countdown_resets: bool | None = None
    extend_on_assist: bool | None = None
    # bargain
    price_cents: PositiveCents | None = None
    floor_cents: Cents | None = None
    max_helpers: int | None = Field(default=None, ge=1, le=100_000)
    split: Split | None = None
    purchase_window_seconds: int | None = Field(default=None, ge=60, le=MAX_TTL_SECONDS)
    # groupbuy
    team_size: int | None = Field(default=None, ge=2, le=100_000)
    group_price_cents: Cents | None = None
    virtual_members: int | None = Field(default=None, ge=0, le=100_000)
    auto_fill: bool | None = None
    # lottery
    draw_at: datetime | None = None
    entry_cap: int | None = Field(default=None, ge=1, le=100_000)
    base_entries: int | None = Field(default=None, ge=0, le=100_000)
    prizes: list[Prize] | None = Field(default=None, max_length=100)
    publish_commitment: bool | None = None
    # unlock
    helpers_needed: int | None = Field(default=None, ge=1, le=100_000)
    reward_cents: PositiveCents | None = None
    reward_name: str | None = Field(default=None, max_length=200)


class ScheduleRequest(JsonBody):
    model_config = ConfigDict(extra="forbid")

    starts_at: datetime | None = Field(
        default=None, description="UTC, in the future; defaults to the campaign's starts_at"
    )


# -- responses ---------------------------------------------------------------------------


class CampaignOut(BaseModel):
    id: int
    kind: Kind
    name: str
    description: str
    channel: Channel
    status: Status
    version: int
    version_id: int
    rules: dict[str, Any] = Field(description="the current version's frozen rules snapshot")
    budget_cents: int
    budget_reserved_cents: int
    budget_spent_cents: int
    inventory_total: int
    inventory_reserved: int
    inventory_used: int
    starts_at: datetime | None
    ends_at: datetime | None
    launched_at: datetime | None
    created_at: datetime
    updated_at: datetime


class VersionOut(BaseModel):
    id: int
    campaign_id: int
    version: int
    rules: dict[str, Any]
    description: str = Field(description="the description participants of this version read")
    created_at: datetime


class ReferenceClaim(BaseModel):
    """What the reference price rests on: the lowest price the engine recorded for the
    campaign's item in the window before launch, or only the shop's own word."""

    basis: Literal["recorded_lowest", "shop_claim"] = Field(
        description="recorded_lowest: checked against the item's price history; "
        "shop_claim: no item, or no price recorded in the window"
    )
    item_id: int | None
    window_days: int | None
    lowest_price_cents: int | None = Field(description="the lowest price recorded")
    recorded_at: datetime | None = Field(description="when that lowest price was recorded")


class BargainDisclosure(BaseModel):
    price_cents: int
    floor_cents: int
    reference_price_cents: int | None
    reference: ReferenceClaim
    max_helpers: int = Field(description="the most helpers ever needed to reach the floor")
    split: Split
    expires_after_seconds: int
    purchase_window_seconds: int


class PrizeDisclosure(BaseModel):
    name: str
    value_cents: int
    quantity: int


class LotteryDisclosure(BaseModel):
    prizes: list[PrizeDisclosure]
    prize_count: int
    draw_at: datetime
    base_entries: int
    entry_cap: int = Field(description="most entries one participant can hold")
    commitment_hex: str | None = Field(
        description="SHA-256 of the secret seed, published before the draw"
    )
    verify_with: str
    drawn_at: datetime | None = Field(
        default=None, description="when the draw was made; its record is at …/draw"
    )


class GroupbuyDisclosure(BaseModel):
    team_size: int
    price_cents: int
    group_price_cents: int
    reference_price_cents: int | None
    reference: ReferenceClaim
    expires_after_seconds: int
    refund_rule: str


class UnlockDisclosure(BaseModel):
    helpers_needed: int
    reward_cents: int
    reward_name: str
    expires_after_seconds: int


class PublicCampaignView(BaseModel):
    """What anyone may see before taking part: the rules that bind, never a secret."""

    id: int
    kind: Kind
    name: str
    description: str
    channel: Channel
    status: Status
    version: int
    starts_at: datetime | None
    ends_at: datetime | None
    daily_assists_per_helper: int
    inventory_remaining: int = Field(description="units of stock not yet reserved or used")
    places_remaining: int | None = Field(
        description="instances (or orders) the free budget and stock still cover; "
        "null for a lottery, whose prizes were reserved at launch"
    )
    open_to_start: bool = Field(
        description="whether a participant may start one (or open a team) now"
    )
    closed_reason: StartClosed | None = Field(
        description="why not: the `reason` a start is refused with (409 campaign_not_open)"
    )
    bargain: BargainDisclosure | None = None
    lottery: LotteryDisclosure | None = None
    groupbuy: GroupbuyDisclosure | None = None
    unlock: UnlockDisclosure | None = None
