"""The WeChat adapter: `HUZHU_WECHAT__*`."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class WechatTemplate(BaseModel):
    """How one inbox message kind is sent as a WeChat subscription message."""

    template_id: str = Field(min_length=1, max_length=128)
    page: str = Field(default="", max_length=200, description="page the message opens")
    # WeChat templates name their fields by type and position (thing1, time2, ...); the
    # inbox title and body go into these two (each cut to WeChat's 20-character `thing`).
    title_field: str = Field(default="thing1", max_length=32)
    body_field: str = Field(default="thing2", max_length=32)


class WechatSettings(BaseModel):
    """The WeChat adapter; off unless app_id and app_secret are set."""

    app_id: str | None = Field(default=None, description="the official account's AppID")
    app_secret: SecretStr | None = Field(default=None, description="its AppSecret")
    api_base_url: str = Field(default="https://api.weixin.qq.com")
    open_base_url: str = Field(
        default="https://open.weixin.qq.com", description="where the OAuth authorize page is"
    )
    allowed_page_domains: list[str] = Field(
        default=[], description="hosts (besides base_url's) whose pages may get a JS-SDK config"
    )
    templates: dict[str, WechatTemplate] = Field(
        default={}, description="inbox message kind -> subscription message template"
    )
    miniprogram_state: str = Field(
        default="formal", description="formal | trial | developer (subscribe/send)"
    )
    timeout_seconds: float = Field(default=5.0, gt=0)
    refresh_ahead_seconds: int = Field(
        default=600, ge=0, description="refresh access_token/jsapi_ticket this long before expiry"
    )
    max_attempts: int = Field(default=6, ge=1, description="subscription message send attempts")

    @property
    def enabled(self) -> bool:
        return bool(self.app_id and self.app_secret and self.app_secret.get_secret_value())
