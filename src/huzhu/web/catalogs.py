"""Keep the pages' gettext catalogs in step with the templates and code:

    python -m huzhu.web.catalogs          # add new msgids, drop unused ones, list gaps

Extracts every `_()` message from `web/templates/**.html`, `web/**.py` and the inbox's
words (`notify/kinds.py`), and every `N_()` (a reason stored in English, translated when
read) from the whole package, merges them
into each language's `.po` (translations kept, new ones empty, unused ones dropped) and
prints the msgids still untranslated in Simplified Chinese; exit 1 while any is. English
is the source language, so its catalog only lists the msgids. Not needed at run time.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

import huzhu
from huzhu.kit import i18n

WEB = Path(__file__).parent
PACKAGE = WEB.parent
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
CATALOG_DATE = datetime(2026, 11, 25, tzinfo=UTC)
HEADER = """# Huzhu web pages, {code}.
# Source language: English (the msgids). Update with: python -m huzhu.web.catalogs
# No compile step: the app reads these .po files at start-up."""


def used_messages() -> list[str]:
    found = [
        *extract_from_dir(str(WEB), METHODS, keywords={"_": None}),
        *extract_from_dir(str(PACKAGE / "notify"), [("kinds.py", "python")], keywords={"_": None}),
        *extract_from_dir(str(PACKAGE), [("**.py", "python")], keywords={"N_": None}),
    ]
    seen: dict[str, None] = {}
    for _file, _line, message, _comments, _context in found:
        if isinstance(message, str) and message:
            seen.setdefault(message, None)
    return list(seen)


def update(code: str, messages: list[str]) -> list[str]:
    """Rewrite one language's catalog; the msgids it lacks a translation for."""
    path = i18n.LOCALE_DIR / code / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        old = {m.id: m.string for m in read_po(handle, locale=code) if m.id}
    catalog = Catalog(
        locale=code,
        project="huzhu",
        version=huzhu.__version__,
        msgid_bugs_address="the huzhu issue tracker",
        last_translator="Huzhu team",
        language_team="Huzhu",
        charset="utf-8",
        header_comment=HEADER.format(code=code),
        # Fixed dates: a rerun with nothing new leaves the files byte for byte alone.
        creation_date=CATALOG_DATE,
        revision_date=CATALOG_DATE,
        fuzzy=False,
    )
    for message in sorted(messages):
        catalog.add(message, old.get(message, ""))
    with path.open("wb") as handle:
        write_po(handle, catalog, no_location=True, width=100, omit_header=False)
    return [m for m in messages if not old.get(m)]


def main() -> int:
    messages = used_messages()
    missing = []
    for lang in i18n.LANGUAGES:
        gaps = update(lang.code, messages)
        if lang.code != "en":
            missing += [f"{lang.code}: {m}" for m in gaps]
    for line in missing:
        print(line)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
