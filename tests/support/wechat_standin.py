"""A local stand-in for WeChat's servers: a real HTTP server on a loopback port, in a
thread, speaking the documented endpoints and error codes the adapter relies on.

  GET  /cgi-bin/token?grant_type=client_credential&appid&secret -> access_token, expires_in
  GET  /cgi-bin/ticket/getticket?access_token&type=jsapi          -> ticket, expires_in
  GET  /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code -> openid
  POST /cgi-bin/message/subscribe/send?access_token               -> errcode 0
  GET  /connect/oauth2/authorize?appid&redirect_uri&response_type=code&scope&state
       (the user's side: a silent snsapi_base consent, redirects back with a code)

Errors as WeChat sends them (HTTP 200, `{"errcode": n, "errmsg": ...}`): 40001 invalid
token or secret, 42001 expired token, 40029 invalid code, 40163 code used, 45009 rate
limit, -1 busy, 43101 the user gave no consent to messages. Tests script failures
(`fail_next`), slow answers (`token_delay`), expire or revoke every token, and read
counters: "the token endpoint was called exactly once".
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

APP_ID = "wx0standin0app0id"
APP_SECRET = "standin-app-secret-0123456789abcdef"

ERRMSG = {
    40001: "invalid credential, access_token is invalid or not latest",
    42001: "access_token expired",
    40029: "invalid code",
    40163: "code been used",
    45009: "reach max api daily quota limit",
    -1: "system error",
    43101: "user refuse to accept the msg",
    40013: "invalid appid",
    40003: "invalid openid",
    40037: "invalid template_id",
}


@dataclass
class WechatStandin:
    url: str = ""
    app_id: str = APP_ID
    app_secret: str = APP_SECRET
    token_ttl: int = 7200
    ticket_ttl: int = 7200
    token_delay: float = 0.0  # seconds the token endpoint takes, to make callers overlap
    user_openid: str = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"  # who is "signed in to WeChat"
    counters: Counter[str] = field(default_factory=Counter)
    fail_next: dict[str, deque[int]] = field(default_factory=dict)  # endpoint -> errcodes
    refuse_openids: set[str] = field(default_factory=set)  # 43101 for these
    sent: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (epoch)
    tickets: list[str] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)  # unused code -> openid
    used_codes: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # -- test controls ------------------------------------------------------------------

    def fail(self, endpoint: str, *errcodes: int) -> None:
        """The next calls of `endpoint` (e.g. "cgi-bin/token") answer these errcodes."""
        with self.lock:
            self.fail_next.setdefault(endpoint, deque()).extend(errcodes)

    def expire_tokens(self) -> None:
        """Every token issued so far is now expired (callers get 42001)."""
        with self.lock:
            for token in self.tokens:
                self.tokens[token] = 0.0

    def revoke_tokens(self) -> None:
        """Every token issued so far is unknown (callers get 40001), as after a refresh
        elsewhere past WeChat's grace period."""
        with self.lock:
            self.tokens.clear()

    def issue_code(self, openid: str | None = None) -> str:
        with self.lock:
            code = f"code{len(self.codes) + len(self.used_codes)}x{time.monotonic_ns()}"
            self.codes[code] = openid or self.user_openid
            return code

    # -- the server's side ----------------------------------------------------------------

    def _scripted(self, endpoint: str) -> int | None:
        queue = self.fail_next.get(endpoint)
        return queue.popleft() if queue else None

    def _token_problem(self, token: str) -> int | None:
        expiry = self.tokens.get(token)
        if expiry is None:
            return 40001
        if expiry <= time.time():
            return 42001
        return None

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> Any:
        endpoint = path.strip("/")
        with self.lock:
            self.counters[endpoint] += 1
            scripted = self._scripted(endpoint)
        if endpoint == "cgi-bin/token" and self.token_delay:
            time.sleep(self.token_delay)
        if scripted is not None:
            return {"errcode": scripted, "errmsg": ERRMSG.get(scripted, "error")}
        with self.lock:
            return self._answer(method, endpoint, query, body)

    def _answer(self, method: str, endpoint: str, query: dict[str, str], body: Any) -> Any:
        err = lambda code: {"errcode": code, "errmsg": ERRMSG.get(code, "error")}  # noqa: E731
        if endpoint == "cgi-bin/token" and method == "GET":
            if query.get("grant_type") != "client_credential":
                return err(40002)
            if query.get("appid") != self.app_id:
                return err(40013)
            if query.get("secret") != self.app_secret:
                return err(40001)
            token = f"AT{len(self.tokens) + 1:04d}_{time.monotonic_ns()}"
            self.tokens[token] = time.time() + self.token_ttl
            self.counters["tokens_issued"] += 1
            return {"access_token": token, "expires_in": self.token_ttl}
        if endpoint == "cgi-bin/ticket/getticket" and method == "GET":
            problem = self._token_problem(query.get("access_token", ""))
            if problem:
                return err(problem)
            if query.get("type") != "jsapi":
                return err(40097)
            ticket = f"TICKET{len(self.tickets) + 1:04d}-{time.monotonic_ns()}"
            self.tickets.append(ticket)
            return {"errcode": 0, "errmsg": "ok", "ticket": ticket, "expires_in": self.ticket_ttl}
        if endpoint == "sns/oauth2/access_token" and method == "GET":
            if query.get("appid") != self.app_id or query.get("secret") != self.app_secret:
                return err(40001)
            code = query.get("code", "")
            if code in self.used_codes:
                return err(40163)
            openid = self.codes.pop(code, None)
            if openid is None:
                return err(40029)
            self.used_codes.add(code)
            return {
                "access_token": f"WEB{time.monotonic_ns()}",
                "expires_in": 7200,
                "refresh_token": f"REFRESH{time.monotonic_ns()}",
                "openid": openid,
                "scope": "snsapi_base",
            }
        if endpoint == "cgi-bin/message/subscribe/send" and method == "POST":
            problem = self._token_problem(query.get("access_token", ""))
            if problem:
                return err(problem)
            if not isinstance(body, dict) or not body.get("touser") or not body.get("template_id"):
                return err(47001)
            if body["touser"] in self.refuse_openids:
                return err(43101)
            self.sent.append(body)
            return {"errcode": 0, "errmsg": "ok", "msgid": len(self.sent)}
        return None


@contextmanager
def wechat_standin() -> Iterator[WechatStandin]:
    standin = WechatStandin()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _reply(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode() if payload is not None else b""
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json; encoding=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if parts.path == "/connect/oauth2/authorize":
                self._authorize(query)
                return
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                self._reply(200, {"errcode": 47001, "errmsg": "data format error"})
                return
            answer = standin.handle(method, parts.path, query, body)
            if answer is None:
                self._reply(404, {"errcode": 404, "errmsg": "no such endpoint"})
            else:
                self._reply(200, answer)

        def _authorize(self, query: dict[str, str]) -> None:
            # The person's side: WeChat shows nothing for snsapi_base and sends the
            # browser straight back with a one-time code and the untouched state.
            standin.counters["connect/oauth2/authorize"] += 1
            if query.get("appid") != standin.app_id or query.get("scope") != "snsapi_base":
                self._reply(400, {"errcode": 10003, "errmsg": "redirect_uri or appid wrong"})
                return
            code = standin.issue_code()
            target = (
                query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})
            )
            self._reply(302, None, {"Location": target})

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def settings_for(standin: WechatStandin, **extra: Any) -> dict[str, Any]:
    """The `wechat` settings that point the adapter at this stand-in."""
    return {
        "app_id": standin.app_id,
        "app_secret": standin.app_secret,
        "api_base_url": standin.url,
        "open_base_url": standin.url,
        **extra,
    }


def env_for(standin: WechatStandin) -> dict[str, str]:
    """The same as HUZHU_WECHAT__* variables, for a `huzhu serve` process."""
    return {
        "HUZHU_WECHAT__APP_ID": standin.app_id,
        "HUZHU_WECHAT__APP_SECRET": standin.app_secret,
        "HUZHU_WECHAT__API_BASE_URL": standin.url,
        "HUZHU_WECHAT__OPEN_BASE_URL": standin.url,
    }
