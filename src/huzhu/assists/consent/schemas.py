"""Request and response models of the name consent."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from huzhu.kit.jsonbody import JsonBody


class NameConsentIn(JsonBody):
    shown: bool = Field(description="true: the starter may see my display name for this assist")


class NameConsentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    assist_id: int
    instance_id: int
    shown: bool


class HelperOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str = Field(description="the display name if the helper agreed, else a pseudonym")
    named: bool = Field(description="whether `name` is the helper's own display name")
    status: str = Field(description="counted | held | voided")
    at: datetime
