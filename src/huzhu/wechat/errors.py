"""Errors of the WeChat adapter. None of them carries a token, secret, code or openid."""

from __future__ import annotations

from typing import ClassVar

from huzhu.errors import HuzhuError, InvalidInput, NotFound


class WechatDisabled(NotFound):
    code = "wechat_disabled"
    title = "WeChat is not configured on this server"


class WechatUnavailable(HuzhuError):
    """WeChat did not answer, answered an error we cannot fix here, or asked us to wait."""

    code = "wechat_unavailable"
    status: ClassVar[int] = 502
    title = "WeChat is unavailable"


class WechatCodeInvalid(HuzhuError):
    code = "wechat_code_invalid"
    title = "The WeChat sign-in code is invalid, used or expired; sign in again"


class WechatStateInvalid(HuzhuError):
    code = "wechat_state_invalid"
    title = "This sign-in was not started from this browser, or took too long; start again"


class PageUrlNotAllowed(InvalidInput):
    code = "page_url_not_allowed"
    title = "JS-SDK configs are signed only for this site's pages"


class WechatApiError(Exception):
    """An `errcode` from WeChat, for the service to act on (never shown to clients)."""

    def __init__(self, errcode: int, endpoint: str) -> None:
        self.errcode = errcode
        self.endpoint = endpoint
        super().__init__(f"WeChat {endpoint} errcode {errcode}")


class WechatTransportError(Exception):
    """No usable answer: network error, timeout, non-2xx or not JSON."""

    def __init__(self, endpoint: str, reason: str) -> None:
        self.endpoint = endpoint
        self.reason = reason
        super().__init__(f"WeChat {endpoint}: {reason}")
