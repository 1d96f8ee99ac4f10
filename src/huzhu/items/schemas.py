"""Request and response models of the items domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from huzhu.items.rules import PriceSource
from huzhu.kit.jsonbody import JsonBody

MAX_CENTS = 10**12
MAX_ID = 2**63 - 1
PriceCents = Annotated[int, Field(ge=1, le=MAX_CENTS)]
ItemIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="item id")]


class ItemCreate(JsonBody):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64, pattern=r"^\S(.*\S)?$")
    name: str = Field(min_length=1, max_length=200)
    regular_price_cents: PriceCents = Field(
        description="the shop's regular price; recorded in the item's price history"
    )


class ItemUpdate(JsonBody):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    regular_price_cents: PriceCents | None = Field(
        default=None, description="a new regular price is recorded in the price history"
    )


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sku: str
    name: str
    regular_price_cents: int
    created_at: datetime
    updated_at: datetime


class PriceIn(JsonBody):
    model_config = ConfigDict(extra="forbid")

    price_cents: PriceCents = Field(description="the price now; recorded at the server's time")


class PriceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    item_id: int
    price_cents: int
    source: PriceSource
    campaign_id: int | None = Field(description="the campaign whose price this was")
    observed_at: datetime
