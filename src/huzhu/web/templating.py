"""Rendering pages: one Jinja2 environment per language with the gettext catalog
installed (`jinja2.ext.i18n`, new-style: `_()` escapes and formats), autoescaping on.

Every page gets the same context: the language and the switch, the CSRF field, and who
is signed in. A page route passes only what it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache, partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from starlette.responses import HTMLResponse

from huzhu.config import Settings
from huzhu.kit import clock, i18n
from huzhu.kit.money import format_cny
from huzhu.web import security, words

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment(code: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    catalog = i18n.translations(code)
    env.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
    # The engine's values in words (web/words.py), never printed as stored.
    env.globals["word"] = partial(words.word, catalog.gettext)
    env.globals["status_word"] = partial(words.status_word, catalog.gettext)
    env.globals["risk_reason"] = partial(words.risk_reason, catalog.gettext)
    env.globals["actor"] = partial(words.actor, catalog.gettext)
    env.globals["choices"] = partial(words.choices, catalog.gettext)
    env.globals["duration"] = partial(words.duration, catalog.gettext)
    env.globals["case_summary"] = partial(words.case_summary, catalog.gettext)
    env.globals["stored"] = partial(words.stored, catalog.gettext)
    env.filters["cny"] = format_cny
    env.filters["when"] = format_when
    env.filters["iso"] = format_iso
    return env


def format_iso(value: datetime | str | None) -> str:
    """A time as machines read it (a <time datetime=…> attribute): ISO 8601 in UTC."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return clock.as_utc(value).isoformat()


class ZoneOnce:
    """A page names its time zone once: beside the first time it shows (or in a
    sentence that names it), not after every time, which on a phone wraps each one into
    "(Asia/Shangh…". One per rendered page."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.said = False

    def name(self) -> str:
        """The zone's name for a sentence that says it ("times are in …")."""
        self.said = True
        return self.zone.key

    def suffix(self) -> str:
        if self.said:
            return ""
        self.said = True
        return " " + _zone_name(self.zone)


@pass_context
def format_when(context: Context, value: datetime | str | None) -> str:
    """A time as people read it, in the site's zone (stored times are UTC; the zone is
    `HUZHU_WEB__TIME_ZONE`), which the page names once (ZoneOnce)."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    once = context.get("zone_once")
    if isinstance(once, ZoneOnce):
        return _local(value, once.zone) + once.suffix()
    return format_time(value, ZoneInfo(str(context.get("time_zone") or "UTC")))


def format_time(value: datetime, zone: ZoneInfo) -> str:
    """A time with its zone, for a sentence that stands alone (a notice, a message)."""
    return f"{_local(value, zone)} {_zone_name(zone)}"


def _local(value: datetime, zone: ZoneInfo) -> str:
    return clock.as_utc(value).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _zone_name(zone: ZoneInfo) -> str:
    return "UTC" if zone.key == "UTC" else f"({zone.key})"


def _zone_once(settings: Settings, context: dict[str, Any]) -> ZoneOnce:
    """The page's ZoneOnce; already said when the notice or error shown above the page
    names the zone (a refusal's "until …" stands alone, so it names it)."""
    once = ZoneOnce(ZoneInfo(settings.web.time_zone))
    above = (str(context.get(key) or "") for key in ("notice", "error"))
    once.said = any(once.zone.key in text for text in above)
    return once


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking: a signed-in participant and/or operator (a browser may be both
    in the demo), by ids only."""

    participant_id: int | None = None
    participant_shop_id: int | None = None
    operator_role: str | None = None
    inbox_unread: int = 0  # the participant's unread inbox messages, for the header badge


def language(request: Request) -> i18n.Language:
    return i18n.negotiate(
        cookie=request.cookies.get(i18n.LANG_COOKIE),
        accept_language=request.headers.get("accept-language"),
    )


def gettext(request: Request, message: str, **variables: Any) -> str:
    """A translated message outside templates (flash notices, error texts)."""
    text = i18n.translations(language(request).code).gettext(message)
    return text % variables if variables else text


def render_part(request: Request, name: str, **context: Any) -> str:
    """A piece of a page (no forms in it), for a script that replaces that piece in place
    with the same template the page included. The page around it has named the zone."""
    settings: Settings = request.app.state.settings
    once = ZoneOnce(ZoneInfo(settings.web.time_zone))
    once.said = True
    template = environment(language(request).code).get_template(name)
    return template.render(time_zone=settings.web.time_zone, zone_once=once, **context)


def render(
    request: Request,
    name: str,
    *,
    status: int = 200,
    viewer: Viewer | None = None,
    **context: Any,
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    lang = language(request)
    seed, new_seed = security.csrf_seed(request)
    body = (
        environment(lang.code)
        .get_template(name)
        .render(
            lang=lang,
            languages=i18n.LANGUAGES,
            csrf_field=security.CSRF_FIELD,
            csrf_token=security.csrf_token(settings, seed),
            viewer=viewer or Viewer(),
            time_zone=settings.web.time_zone,
            zone_once=_zone_once(settings, context),
            path=request.url.path,
            signed_out_deleted=bool(request.scope.get(security.SIGNED_OUT_DELETED)),
            **context,
        )
    )
    response = HTMLResponse(body, status_code=status)
    # Pages hold personal numbers (spending) and per-user forms: never cache them.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
    )
    if new_seed:
        security.set_cookie(
            response, request, settings, name=security.CSRF_COOKIE, value=seed, max_age=None
        )
    return response
