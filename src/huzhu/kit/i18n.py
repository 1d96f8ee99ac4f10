"""Languages of what people read (the pages and the inbox): Simplified Chinese and English,
from gettext catalogs.

The catalogs are the `.po` files under `locale/`, read with Babel at start-up and
compiled in memory, so there is no compile step at install and the `.po` text is the
one source. English is the source language (msgids are English), Simplified Chinese
the default for a visitor who states no preference (the product's home market).

The language is chosen, in order, by the `huzhu_lang` cookie (the switch in the page
header), then the browser's `Accept-Language`, then the default.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

# The catalogs sit with the pages that use most of them; the inbox (notify) renders its
# messages from the same ones, so the negotiation and the loading live here, below both.
LOCALE_DIR = Path(__file__).parent.parent / "web" / "locale"
LANG_COOKIE = "huzhu_lang"


@dataclass(frozen=True, slots=True)
class Language:
    code: str  # the gettext catalog's folder: zh_CN, en
    tag: str  # BCP 47, for <html lang> and the cookie: zh-CN, en
    label: str  # the language's own name, for the switch


LANGUAGES: tuple[Language, ...] = (
    Language("zh_CN", "zh-CN", "简体中文"),
    Language("en", "en", "English"),
)
DEFAULT = LANGUAGES[0]
_BY_TAG = {lang.tag.lower(): lang for lang in LANGUAGES}


def by_tag(tag: str | None) -> Language | None:
    return _BY_TAG.get((tag or "").strip().lower())


def _accepted(header: str) -> list[str]:
    """Language ranges of an Accept-Language header, best first (RFC 9110 q-values)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        name, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        if name and quality > 0:
            ranked.append((-quality, position, name.strip().lower()))
    return [name for _, _, name in sorted(ranked)]


def negotiate(*, cookie: str | None, accept_language: str | None) -> Language:
    chosen = by_tag(cookie)
    if chosen is not None:
        return chosen
    for wanted in _accepted(accept_language or ""):
        # zh, zh-CN, zh-Hans → Simplified Chinese; en, en-GB → English.
        primary = wanted.split("-")[0]
        if wanted in _BY_TAG:
            return _BY_TAG[wanted]
        if primary == "zh" and wanted not in ("zh-tw", "zh-hk", "zh-hant"):
            return DEFAULT
        if primary == "en":
            return _BY_TAG["en"]
    return DEFAULT


def N_(message: str) -> str:
    """Mark a string for the catalogs without translating it here: a reason stored in
    English and translated when it is read (`huzhu.web.catalogs` extracts `N_`)."""
    return message


def stored_words(message: str, **params: Any) -> tuple[str, dict[str, Any]]:
    """A text to store in English (for the API and the log) and the evidence entry
    that lets a page say it in its reader's language: the msgid and its parameters,
    rendered when read (`huzhu.web.words.stored`). Mark `message` with `N_`."""
    return message % params, {"words": {"text": message, "params": params}}


def read_words(gettext: Callable[[str], str], text: str | None, words: Any) -> str:
    """A stored text in the reader's language: from the msgid and parameters it was made
    from (`stored_words`) when they are at hand, else the text translated as it stands (a
    stored `N_` msgid), else as stored (an older row, or words an operator typed)."""
    if isinstance(words, Mapping) and isinstance(words.get("text"), str):
        params = words.get("params")
        try:
            return gettext(words["text"]) % dict(params if isinstance(params, Mapping) else {})
        except (KeyError, TypeError, ValueError):
            pass
    return gettext(text) if text else ""


@cache
def translations(code: str) -> Translations:
    """The catalog of one language, read from its .po file and compiled in memory."""
    po_path = LOCALE_DIR / code / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=code)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain="messages")
