"""Every word a person or operator reads has a message in both languages: every problem
code the engine can raise, every value of an enum or Literal a page shows, every reason
the inline scorer gives and every reason a campaign config is refused for. The codes
are found in the real sources (the HuzhuError classes of every module, the pages'
redirects, the scorer's source), so a new one without words fails here."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import huzhu
from huzhu.audit.rules import Action as AuditAction
from huzhu.campaigns.rules import validation
from huzhu.errors import HuzhuError
from huzhu.kit import i18n
from huzhu.risk import inline, reach
from huzhu.web import campaign_form, messages, words
from tests.support.arguments import Arguments

WEB = Path(messages.__file__).parent
HAN = re.compile(r"[\u4e00-\u9fff]")


def _catalog(code: str) -> dict[str, str]:
    with (i18n.LOCALE_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id and isinstance(m.id, str)}


ZH = _catalog("zh_CN")
EN = _catalog("en")


def _in_both(msgid: str) -> bool:
    return msgid in EN and bool(HAN.search(ZH.get(msgid) or ""))


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def raised_codes() -> set[str]:
    """The code of every HuzhuError class in the package (every module imported)."""
    for found in pkgutil.walk_packages(huzhu.__path__, "huzhu."):
        if not found.name.startswith("huzhu.migrations"):
            importlib.import_module(found.name)
    return {cls.code for cls in _subclasses(HuzhuError)} | {HuzhuError.code}


def _calls(tree: ast.AST, name: str) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called == name:
                yield node


def page_codes() -> set[str]:
    """Codes the pages send by redirect themselves (`redirect(..., error="…")`)."""
    codes: set[str] = set()
    for path in WEB.glob("*.py"):
        for call in _calls(ast.parse(path.read_text()), "redirect"):
            for keyword in call.keywords:
                if keyword.arg == "error" and isinstance(keyword.value, ast.Constant):
                    codes.add(str(keyword.value.value))
    return codes


def http_codes() -> set[str]:
    """The codes of errors.py's own handlers (routing errors, the unexpected 500)."""
    source = Path(inspect.getfile(HuzhuError)).read_text()
    return {
        *re.findall(r'"code": "(\w+)"', source),
        *re.findall(r'\d{3}: "(\w+)"', source),
        *re.findall(r'\.get\(exc\.status_code, "(\w+)"\)', source),
    }


def test_the_sources_are_really_read() -> None:
    raised = raised_codes()
    assert {"already_assisted", "campaign_config_refused", "link_expired"} <= raised
    assert len(raised) > 100
    assert {"csrf_failed", "sign_in_required"} <= raised  # the pages' own errors too
    assert {"reason_required", "void_reason_required"} <= page_codes()
    assert {"internal", "not_found", "method_not_allowed", "http_error"} <= http_codes()


def test_every_problem_code_has_a_message_in_both_languages() -> None:
    codes = raised_codes() | page_codes() | http_codes()
    missing = sorted(code for code in codes if code not in messages.ERRORS)
    assert missing == [], f"problem codes without a message: {missing}"
    untranslated = sorted(code for code in codes if not _in_both(messages.ERRORS[code]))
    assert untranslated == [], untranslated
    for variants in messages.WITH.values():
        assert all(_in_both(message) for _field, message in variants)


@pytest.mark.parametrize("table", sorted(words.SOURCES))
def test_every_value_a_page_shows_has_words_in_both_languages(table: str) -> None:
    assert set(words.LABELS[table]) == set(words.SOURCES[table]), table
    for value, message in words.LABELS[table].items():
        assert _in_both(message), (table, value)


def test_every_source_that_opens_a_case_has_words_in_both_languages() -> None:
    from huzhu.risk import detect_service

    risk = Path(inline.__file__).parent
    named = {
        str(keyword.value.value)
        for path in risk.rglob("*.py")
        for call in _calls(ast.parse(path.read_text()), "open_case")
        for keyword in call.keywords
        if keyword.arg == "source" and isinstance(keyword.value, ast.Constant)
    }
    found = named | {detect_service.SOURCE}
    assert {"report", "inline.spike", "detect"} <= found
    assert sorted(found - set(words.LABELS["case_source"])) == []
    assert all(_in_both(message) for message in words.LABELS["case_source"].values())


@pytest.fixture(scope="module")
def arguments() -> Arguments:
    return Arguments()


@pytest.mark.parametrize(
    ("param", "table", "some"),
    [
        (
            "action",
            "audit_action",
            # an Action member, a literal, a wrapper's positional argument, two f-strings
            {"assist.voided", "report.filed", "campaign.launched", "review_case.dismissed",
             "appeal.upheld"},
        ),
        ("subject_type", "audit_subject", {"instance", "review_case", "audit_chain"}),
    ],
)  # fmt: skip
def test_every_audit_action_and_subject_has_words_in_both_languages(
    arguments: Arguments, param: str, table: str, some: set[str]
) -> None:
    """Found where the engine records them: every value `audit.service.record` is given,
    through every function that passes it on (the enforcement ladder's steps, the review
    cases' records, a campaign's events) and every Action member."""
    found = arguments.given("huzhu.audit.service.record", param)
    assert arguments.unread == []
    assert some <= found
    if param == "action":
        assert {a.value for a in AuditAction} <= found
    assert sorted(found ^ set(words.LABELS[table])) == []
    for value, message in words.LABELS[table].items():
        assert _in_both(message), (table, value)


def test_an_audit_actor_is_said_in_words_with_its_id() -> None:
    zh = i18n.translations("zh_CN").gettext
    assert words.actor(zh, "operator:3") == "操作员 #3"
    assert words.actor(str, "account:12") == "Participant #12"
    assert words.actor(zh, "system:campaigns") == "互助（按活动排期）"
    assert words.actor(str, "robot:1") == "robot:1"  # an unknown kind, as stored
    for message in (*words.ACTOR_KINDS.values(), *words.ACTORS.values()):
        assert _in_both(message), message
    from huzhu.audit.service import SYSTEM_RETENTION
    from huzhu.campaigns.service import SYSTEM_ACTOR

    assert {SYSTEM_RETENTION, SYSTEM_ACTOR} <= set(words.ACTORS)


def test_every_table_a_template_names_exists() -> None:
    named = set()
    for path in (WEB / "templates").rglob("*.html"):
        named |= set(re.findall(r'word\("(\w+)"', path.read_text()))
    assert named, "the templates say values through word()"
    assert named <= set(words.LABELS)


def scorer_reasons() -> set[str]:
    """Every reason code the inline scorer can give, read from its source: the names
    `_weigh` and `_weigh_over` are given (an f-string's code is its text before ':'), and
    the reasons it appends itself."""
    tree = ast.parse(Path(inline.__file__).read_text())
    codes: set[str] = set()
    for name, position in (("_weigh", 2), ("_weigh_over", 2)):
        for call in _calls(tree, name):
            argument = call.args[position]
            if isinstance(argument, ast.Constant):
                codes.add(str(argument.value))
            elif isinstance(argument, ast.JoinedStr | ast.BinOp):
                head = argument.values[0] if isinstance(argument, ast.JoinedStr) else argument.left
                # f"{name}:{value}" inside _weigh_over passes its caller's name along.
                if isinstance(head, ast.Constant):
                    codes.add(str(head.value).split(":")[0])
    groups = {inline.GROUP_REASON, inline.FRESH_GROUP_RULE, inline.BURST_GROUP_RULE}
    return codes | {inline.WATCH_REASON, reach.REACHED_REASON} | groups


def test_every_risk_reason_has_words_in_both_languages() -> None:
    found = scorer_reasons()
    assert {"new_account", "busy_network", "instant_after_open", "automation"} <= found
    assert sorted(found - set(words.RISK_REASONS)) == []
    assert all(_in_both(message) for message in words.RISK_REASONS.values())


def test_a_risk_reason_is_said_with_its_detail() -> None:
    zh = i18n.translations("zh_CN").gettext
    assert words.risk_reason(zh, "busy_network:9") == "同一网络发出 9 次助力"
    assert (
        words.risk_reason(str, "instant_after_open:0.4s") == "tapped 0.4s after opening the share"
    )
    assert words.risk_reason(str, "from_the_future") == "from_the_future"  # shown as stored


def test_every_config_refusal_has_a_message_in_both_languages() -> None:
    used = {
        str(call.args[1].value)
        for path in Path(validation.__file__).parents[1].rglob("*.py")
        for call in _calls(ast.parse(path.read_text()), "Refusal")
        if len(call.args) > 1 and isinstance(call.args[1], ast.Constant)
    }
    assert {"floor_not_below_price", "assist_banned_on_channel", "unknown_item"} <= used
    assert sorted(used - set(validation.MESSAGES)) == []
    assert all(_in_both(message) for message in validation.MESSAGES.values())
    assert all(_in_both(message) for message in campaign_form.SCHEMA_CHECKS.values())


@pytest.mark.parametrize(
    ("code", "title", "still"),
    [
        ("zh_CN", "过去一小时有 2 人参加了你的团", "团里还剩名额：1 个。"),
        ("en", "2 people joined your team in the last hour", "Places still open in the team: 1."),
    ],
)
def test_a_team_leader_hears_of_members_who_ordered_not_of_helpers(
    code: str, title: str, still: str
) -> None:
    """A group buy is an order, not an assist: its inbox messages never say 助力."""
    from zoneinfo import ZoneInfo

    from huzhu.notify import kinds

    reader = kinds.Reader(i18n.translations(code).gettext, ZoneInfo("Asia/Shanghai"))
    joined = kinds.render(
        "assist_received", {"instance_kind": "groupbuy", "campaign": "Tea", "count": 2}, reader
    )
    assert joined is not None
    assert joined[0] == title
    assert "助力" not in "".join(joined)
    assert "helped" not in "".join(joined)
    voided = kinds.render(
        "assist_voided",
        {"instance_kind": "groupbuy", "campaign": "Tea", "count": 1, "free_slots": 1,
         "reason": "spam"},
        reader,
    )  # fmt: skip
    assert voided is not None
    assert still in voided[1]


@pytest.mark.parametrize(
    ("code", "farm", "friends"),
    [
        (
            "zh_CN",
            "刷量团伙：账号受同一方操控，并非朋友"
            "（多个账号共用少数手机、打开后几秒内即点击）：4 个账号",
            None,
        ),
        ("en", "Farm: accounts run together, not friends (many accounts on few phones, "
         "tapped seconds after opening): 4 accounts", "Likely a mutual-help group: no farm "
         "evidence: 3 accounts"),
    ],
)  # fmt: skip
def test_a_ring_case_is_summed_up_from_its_evidence_in_the_readers_words(
    code: str, farm: str, friends: str | None
) -> None:
    from huzhu.risk.review.models import ReviewCase

    gettext = i18n.translations(code).gettext
    ring = ReviewCase(
        kind="fraud_ring",
        summary="farm (shared_devices, instant_taps): louvain, 4 accounts on 2 devices",
        subject_account_ids=[1, 2, 3, 4],
        evidence={
            "accounts": [1, 2, 3, 4],
            "group": {"verdict": "farm", "signs": ["shared_devices", "instant_taps"]},
        },
    )
    said = words.case_summary(gettext, ring)
    assert "shared_devices" not in said
    assert said == farm
    if code == "en":
        helpers = ReviewCase(
            kind="fraud_ring",
            summary="likely mutual-help group",
            subject_account_ids=[5, 6, 7],
            evidence={"group": {"verdict": "likely_mutual_help", "signs": []}},
        )
        assert words.case_summary(gettext, helpers) == friends
    # Any other case is said from its stored words, or as stored when it has none.
    old = ReviewCase(kind="spike", summary="an old English line", evidence={})
    assert words.case_summary(gettext, old) == "an old English line"


def test_a_stored_text_is_read_from_its_words_else_as_stored() -> None:
    zh = i18n.translations("zh_CN").gettext
    text, evidence = i18n.stored_words(
        i18n.N_("%(reporters)s people reported unwanted invites from this account"), reporters=4
    )
    assert text == "4 people reported unwanted invites from this account"  # for the API
    assert words.stored(zh, text, evidence) == "有 4 人举报收到这个账号的骚扰邀请"
    assert words.stored(str, text, evidence) == text
    # Words whose parameters went missing, or a row from before: the stored text.
    broken = {"words": {"text": evidence["words"]["text"], "params": {}}}
    assert words.stored(zh, text, broken) == text
    assert words.stored(zh, "3 people reported unwanted invites from this account", {}) == (
        "3 people reported unwanted invites from this account"
    )
    # A stored N_ msgid with no parameters (a void reason) is translated as it stands.
    late = "checked and genuine, but the activity had already ended"
    assert HAN.search(words.stored(zh, late, None))


@pytest.mark.parametrize(
    ("seconds", "en", "zh"),
    [
        (86400, "1 day", "1 天"),
        (7 * 86400, "7 days", "7 天"),
        (3600, "1 hour", "1 小时"),
        (5400, "90 minutes", "90 分钟"),
        (61, "61 seconds", "61 秒"),
        (0, "0 seconds", "0 秒"),
    ],
)
def test_a_length_of_time_is_said_in_its_largest_whole_unit(seconds: int, en: str, zh: str) -> None:
    assert words.duration(i18n.translations("en").gettext, seconds) == en
    assert words.duration(i18n.translations("zh_CN").gettext, seconds) == zh
