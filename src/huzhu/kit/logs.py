"""Log lines that carry a request id and never a secret.

- A request id per request (a sane `X-Request-ID` from the client or proxy, else a new
  one) lives in a context variable: every log line written while the request runs, by
  uvicorn, by the route, by a thread it hands work to, carries it (`RequestIdFilter`).
- `redact_target` turns a request's path and query into what may be logged: the route's
  token-like path parameters (share links, opt-out links) and token-like query values
  (`token`, `code`, `sig`, `share`, `state`, …) become `[redacted]`; a path that matched
  no route has every long segment redacted, since it may be a mistyped link.
- `JsonFormatter` writes one JSON object a line, for log collectors; text stays the
  demo's default.
"""

from __future__ import annotations

import logging
import re
import secrets
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson

REDACTED = "[redacted]"
REQUEST_ID: ContextVar[str] = ContextVar("huzhu_request_id", default="-")
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# Path parameters and query keys (or their last `_` part: `access_token`) whose values
# are credentials, one-time codes or signed payloads (a page's `problem` message).
SECRET_NAMES = frozenset(
    {"token", "code", "sig", "signature", "state", "share", "secret", "password", "problem"}
)
# In a path no route matched: a segment this long may be a token (ids are shorter).
LONG_SEGMENT = 20
_PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")


def new_request_id(offered: str | None) -> str:
    """The client's (or proxy's) id when it is sane — short, no spaces or control
    characters, nothing a log line could be forged with — else a fresh random one."""
    if offered and _SANE_ID.match(offered):
        return offered
    return secrets.token_hex(16)


def is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_NAMES or lowered.rsplit("_", 1)[-1] in SECRET_NAMES


def redact_path(path: str, template: str | None) -> str:
    """The path as it may be logged. With the matched route's template, each secret
    parameter is redacted and the others (ids) kept; without one, long segments go."""
    if template is not None:
        if not any(is_secret_name(n) for n in _PARAM.findall(template)):
            return path
        return _redact_by_template(path, template)
    return "/".join(REDACTED if len(s) >= LONG_SEGMENT else s for s in path.split("/"))


def _redact_by_template(path: str, template: str) -> str:
    parts = path.split("/")
    shape = template.split("/")
    if len(parts) != len(shape):  # a {name:path} parameter: redact what is long
        return redact_path(path, None)
    out = []
    for part, slot in zip(parts, shape, strict=True):
        match = _PARAM.fullmatch(slot)
        out.append(REDACTED if match and is_secret_name(match.group(1)) else part)
    return "/".join(out)


def redact_query(query: str) -> str:
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, REDACTED if is_secret_name(k) else v) for k, v in pairs], safe="[]")


def redact_target(path: str, query: str, template: str | None) -> str:
    """`path?query` with every secret replaced (see the module docstring)."""
    logged = redact_path(path, template)
    cleaned = redact_query(query)
    return f"{logged}?{cleaned}" if cleaned else logged


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (`-` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


# What LogRecord carries by itself; anything else on a record was passed as `extra`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request_id, the record's
    `extra` fields, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", REQUEST_ID.get()),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_"):
                document[name] = value
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(document, default=str).decode()


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def logging_config(*, json_lines: bool, level: str = "INFO", access: bool = True) -> dict[str, Any]:
    """A logging.config dict for the server: uvicorn's and Huzhu's loggers to stderr, in
    text or JSON, each line with the request id. uvicorn's own access log stays off (it
    would log the raw target); `huzhu.access` logs the redacted one (kit/logs.py)."""
    formatter: dict[str, Any] = {"()": JsonFormatter} if json_lines else {"format": TEXT_FORMAT}
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "main",
        "filters": ["request_id"],
        "stream": "ext://sys.stderr",
    }
    logger = {"handlers": ["main"], "level": level.upper(), "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "loggers": {
            "uvicorn": logger,
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "huzhu": logger,
            "huzhu.access": {
                "handlers": ["main"],
                "level": "INFO" if access else "WARNING",
                "propagate": False,
            },
        },
    }
