"""The catalogs: every message the pages use has a Chinese translation with the same
placeholders, and the language is chosen as the pages promise."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from huzhu.web import catalogs, i18n

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _used_msgids() -> set[str]:
    return set(catalogs.used_messages())


def _catalog(code: str) -> dict[str, str]:
    with (i18n.LOCALE_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id}


def test_every_page_message_has_a_chinese_translation_with_the_same_placeholders() -> None:
    used = _used_msgids()
    assert len(used) > 150  # the extraction really ran over the templates
    zh = _catalog("zh_CN")
    missing = sorted(m for m in used if not zh.get(m))
    assert missing == [], f"untranslated in zh_CN: {missing}"
    for msgid in used:
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(zh[msgid])), msgid
    assert set(_catalog("en")) >= used  # English falls back to the msgid, but is complete


@pytest.mark.parametrize(
    ("cookie", "header", "expected"),
    [
        (None, None, "zh-CN"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        (None, "fr-FR, en;q=0.5, zh;q=0.4", "en"),
        (None, "en;q=0.2, zh-Hans;q=0.8", "zh-CN"),
        ("en", "zh-CN", "en"),
        ("zh-CN", "en", "zh-CN"),
        ("xx", "en", "en"),
    ],
)
def test_language_is_the_switch_then_accept_language_then_chinese(
    cookie: str | None, header: str | None, expected: str
) -> None:
    assert i18n.negotiate(cookie=cookie, accept_language=header).tag == expected


@pytest.mark.parametrize("code", ["en", "zh_CN"])
def test_every_review_case_kind_is_named_in_words(code: str) -> None:
    """The console names a case's kind in the reader's language, never by its code."""
    from huzhu.risk.review.rules import CaseKind
    from huzhu.web.templating import environment

    macros = environment(code).get_template("_macros.html").module
    names = {kind: str(macros.case_kind_label(kind)).strip() for kind in CaseKind}  # type: ignore[attr-defined]
    for kind, name in names.items():
        assert name
        assert name != kind.value, kind
    assert len(set(names.values())) == len(names)
    if code == "zh_CN":
        assert all(re.search(r"[\u4e00-\u9fff]", name) for name in names.values())
