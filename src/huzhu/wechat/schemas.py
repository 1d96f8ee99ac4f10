"""Request and response models of the WeChat adapter."""

from __future__ import annotations

from pydantic import BaseModel, Field


class JssdkConfigOut(BaseModel):
    """Exactly the fields `wx.config` takes, under WeChat's own names."""

    appId: str
    timestamp: int
    nonceStr: str
    signature: str = Field(description="hex SHA-1, WeChat JS-SDK appendix 1")


class WechatNotificationsOut(BaseModel):
    enabled: bool = Field(description="WeChat subscription messages are sent to this person")
