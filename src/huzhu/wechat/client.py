"""A small httpx client for the WeChat endpoints the adapter uses.

Why not a client library: wechatpy (the best known) is synchronous on `requests`, and
its token cache has no cross-worker refresh lock — each process refreshes on its own —
which is the part this adapter most needs to get right; the four calls below are small.

WeChat answers errors as HTTP 200 with `{"errcode": n, "errmsg": ...}`; those become
WechatApiError(errcode), transport failures WechatTransportError. Messages never carry
the URL: its query holds the app secret, tokens and OAuth codes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from huzhu.wechat.errors import WechatApiError, WechatTransportError


class _RedactQuery(logging.Filter):
    """httpx logs each request URL at INFO; ours carry secrets in the query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                arg.copy_with(query=None) if isinstance(arg, httpx.URL) else arg
                for arg in record.args
            )
        return True


_REDACT = _RedactQuery()
if _REDACT not in logging.getLogger("httpx").filters:
    logging.getLogger("httpx").addFilter(_REDACT)


@dataclass(frozen=True, slots=True)
class Expiring:
    value: str
    expires_in: int


class WechatClient:
    def __init__(self, *, base_url: str, timeout: float) -> None:
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def _call(
        self, method: str, endpoint: str, *, params: dict[str, str], json: Any = None
    ) -> dict[str, Any]:
        try:
            response = self._http.request(method, "/" + endpoint, params=params, json=json)
        except httpx.HTTPError as exc:
            raise WechatTransportError(endpoint, type(exc).__name__) from None
        if response.status_code != 200:
            raise WechatTransportError(endpoint, f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise WechatTransportError(endpoint, "not JSON") from None
        if not isinstance(body, dict):
            raise WechatTransportError(endpoint, "not a JSON object")
        errcode = body.get("errcode", 0)
        if isinstance(errcode, int) and errcode != 0:
            raise WechatApiError(errcode, endpoint)
        return body

    @staticmethod
    def _expiring(body: dict[str, Any], field: str, endpoint: str) -> Expiring:
        value, expires_in = body.get(field), body.get("expires_in")
        if not isinstance(value, str) or not value or not isinstance(expires_in, int):
            raise WechatTransportError(endpoint, f"no {field} in the answer")
        return Expiring(value=value, expires_in=expires_in)

    def fetch_access_token(self, *, app_id: str, app_secret: str) -> Expiring:
        endpoint = "cgi-bin/token"
        params = {"grant_type": "client_credential", "appid": app_id, "secret": app_secret}
        return self._expiring(self._call("GET", endpoint, params=params), "access_token", endpoint)

    def fetch_jsapi_ticket(self, *, access_token: str) -> Expiring:
        endpoint = "cgi-bin/ticket/getticket"
        params = {"access_token": access_token, "type": "jsapi"}
        return self._expiring(self._call("GET", endpoint, params=params), "ticket", endpoint)

    def exchange_code(self, *, app_id: str, app_secret: str, code: str) -> str:
        """The openid behind a web OAuth code (`snsapi_base` needs nothing more)."""
        endpoint = "sns/oauth2/access_token"
        params = {
            "appid": app_id,
            "secret": app_secret,
            "code": code,
            "grant_type": "authorization_code",
        }
        openid = self._call("GET", endpoint, params=params).get("openid")
        if not isinstance(openid, str) or not openid:
            raise WechatTransportError(endpoint, "no openid in the answer")
        return openid

    def send_subscribe_message(self, *, access_token: str, message: dict[str, object]) -> None:
        endpoint = "cgi-bin/message/subscribe/send"
        self._call("POST", endpoint, params={"access_token": access_token}, json=message)
