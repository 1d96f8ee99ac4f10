"""Engine errors on the participant pages, in the page's language (web/messages.py): a
refused assist, start, join, share link, mute/block/report or appeal comes back as the
message of its stable problem code, with its variable parts (until when, how many)
filled in — in Simplified Chinese and in English — and a code without a message shows
the problem's English detail. In process over ASGI, on the demo seed, through the
pages' own forms (CSRF and all)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from huzhu.accounts import service as accounts
from huzhu.db import Database
from huzhu.enforcement import service as enforcement
from huzhu.kit import clock
from huzhu.web import messages
from tests.web.test_pages_http import _client as seeded_client

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    yield from seeded_client(sqlite_url, enforcement={"reports_per_day": 1})


def _csrf(client: TestClient, path: str = "/signin") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def sign_in(client: TestClient, name: str) -> int:
    """Through the sign-in form; the account id, read from the participant cookie."""
    client.post(
        "/signin", data={"csrf_token": _csrf(client), "name": name, "shop": "demo", "next": "/"}
    )
    claims = accounts.participant_claims(client.app.state.settings, client.cookies["huzhu_p"])  # type: ignore[attr-defined]
    assert claims is not None
    return int(claims.account_id)


def submit(client: TestClient, path: str, **fields: str) -> str:
    """Post a page's form; where the refusal sends the browser (a 303)."""
    answer = client.post(
        path, data={"csrf_token": _csrf(client, "/"), **fields}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def shown(client: TestClient, location: str, language: dict[str, str]) -> str:
    """The error box of the page the refusal redirected to, in that language."""
    page = client.get(location, headers=language).text
    found = re.search(r'<p class="error-box" role="alert">(.*?)</p>', page, re.S)
    assert found is not None, page
    return html.unescape(found.group(1))


def code_of(location: str) -> str:
    return parse_qs(urlsplit(location).query)["error"][0]


def both(client: TestClient, location: str) -> tuple[str, str]:
    return shown(client, location, ZH), shown(client, location, EN)


def _restrict(client: TestClient, account_id: int, kind: str) -> datetime | None:
    db: Database = client.app.state.db  # type: ignore[attr-defined]
    with db.unit_of_work() as session:
        action = enforcement.enforce(
            session,
            account_id=account_id,
            rung_or_kind=kind,
            reason="spam invites",
            evidence={},
            actor="rule:test",
            case_id=None,
        )
        return clock.as_utc(action.expires_at) if action.expires_at else None


def _local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") + " (Asia/Shanghai)"


def _instance_of(client: TestClient, name: str, kind: str) -> int:
    token = client.post("/api/v1/auth/participant", json={"shop": "demo", "subject": name})
    mine = client.get(
        "/api/v1/me/instances", headers={"Authorization": f"Bearer {token.json()['token']}"}
    )
    return int(next(i["id"] for i in mine.json()["items"] if i["kind"] == kind))


def _campaign_id(client: TestClient, label: str) -> str:
    home = client.get("/", headers=EN).text
    found = re.search(rf'<span class="badge">{label}</span>.*?action="/c/(\d+)/start"', home, re.S)
    assert found is not None
    return found.group(1)


def start_bargain(client: TestClient, name: str) -> tuple[int, int]:
    """(account id, instance id) of a new participant who started the demo bargain."""
    account_id = sign_in(client, name)
    where = submit(client, f"/c/{_campaign_id(client, 'Bargain')}/start")
    found = re.search(r"/i/(\d+)", where)
    assert found is not None
    return account_id, int(found.group(1))


def test_an_assist_refusal_is_told_in_the_pages_language(client: TestClient) -> None:
    bargain = _instance_of(client, "alice", "bargain")
    sign_in(client, "bo")  # assisted alice's bargain in the seed
    where = submit(client, f"/i/{bargain}/assist", form_key="again-bo-0001")
    assert code_of(where) == "already_assisted"
    assert both(client, where) == (
        "你已经助力过了：每人只能助力一次。",
        "You already assisted this one: one assist per person.",
    )


def test_a_restriction_says_until_when_in_the_site_zone(client: TestClient) -> None:
    bargain = _instance_of(client, "alice", "bargain")
    helper = sign_in(client, "restricted-helper")
    until = _restrict(client, helper, "participation_restriction")
    assert until is not None
    where = submit(client, f"/i/{bargain}/assist", form_key="restricted-0001")
    assert code_of(where) == "account_restricted"
    assert both(client, where) == (
        f"你的账号在 {_local(until)} 之前不能参与。",
        f"Your account may not take part until {_local(until)}.",
    )
    # Starting one of one's own is refused the same way, from the home page.
    where = submit(client, f"/c/{_campaign_id(client, 'Assist unlock')}/start")
    assert both(client, where)[0] == f"你的账号在 {_local(until)} 之前不能参与。"


def test_an_invite_restriction_on_making_a_share_link_says_until_when(
    client: TestClient,
) -> None:
    starter, instance_id = start_bargain(client, "restricted-starter")
    _restrict(client, starter, "warning")
    until = _restrict(client, starter, "invite_restriction_7d")
    assert until is not None
    where = submit(client, f"/i/{instance_id}/share-link")
    assert code_of(where) == "invite_restricted"
    assert both(client, where) == (
        f"你的账号在 {_local(until)} 之前不能分享或邀请。",
        f"Your account may not share or invite until {_local(until)}.",
    )


def test_start_and_join_refusals_are_translated(client: TestClient) -> None:
    sign_in(client, "alice")  # alice's bargain from the seed is still running
    where = submit(client, f"/c/{_campaign_id(client, 'Bargain')}/start")
    assert code_of(where) == "instance_already_active"
    # The refusal leads to the one that runs: a link to alice's own bargain.
    link = f'<a href="/i/{_instance_of(client, "alice", "bargain")}" data-error-link>'
    assert both(client, where) == (
        f"你在这个活动中已经发起了一个，它还在进行中。 {link}打开你已发起的那个</a>",
        f"You already have one running in this campaign. {link}Open the one you have</a>",
    )
    team = _instance_of(client, "bo", "groupbuy")
    sign_in(client, "bo")  # bo leads that team
    where = submit(client, f"/i/{team}/join")
    assert code_of(where) == "already_in_team"
    assert both(client, where)[1] == "You are already in this team."


def test_mute_block_and_report_refusals_are_translated_with_the_daily_limit(
    client: TestClient,
) -> None:
    _, instance_id = start_bargain(client, "link-sender")
    made = submit(client, f"/i/{instance_id}/share-link")
    token = parse_qs(urlsplit(made).query)["link"][0]
    where = submit(client, f"/s/{token}/mute")
    assert code_of(where) == "cannot_act_on_self"
    assert both(client, where) == ("不能对自己这样做。", "You cannot do that to yourself.")
    sign_in(client, "link-reporter")
    assert "notice=reported" in submit(client, f"/s/{token}/report", confirmed="yes")
    other = _instance_of(client, "chen", "lottery")
    sign_in(client, "chen")
    chen_link = parse_qs(urlsplit(submit(client, f"/i/{other}/share-link")).query)["link"][0]
    sign_in(client, "link-reporter")  # one report a day in this test's settings
    where = submit(client, f"/s/{chen_link}/report", confirmed="yes")
    assert code_of(where) == "report_limit"
    assert both(client, where) == (
        "你每天最多可以举报 1 次，请明天再试。",
        "You may file 1 reports a day; try again tomorrow.",
    )


def test_appeal_refusals_are_translated(client: TestClient) -> None:
    person = sign_in(client, "appealing-person")
    _restrict(client, person, "warning")
    page = client.get("/me/standing", headers=EN).text
    action = re.search(r'data-own-action="(\d+)"', page).group(1)  # type: ignore[union-attr]
    assert "notice=appeal_filed" in submit(client, f"/me/standing/{action}/appeal", text="why")
    where = submit(client, f"/me/standing/{action}/appeal", text="again")
    assert code_of(where) == "already_appealed"
    assert both(client, where) == (
        "你已经对这项处罚申诉过了。",
        "You appealed this action already.",
    )
    where = submit(client, "/me/standing/999999/appeal", text="none")
    assert code_of(where) == "enforcement_action_not_found"
    assert both(client, where) == (
        "你的账号没有这项处理。",
        "There is no such action on your account.",
    )


def test_invalid_input_says_its_detail_inside_our_words_and_forgeries_show_nothing_of_theirs(
    client: TestClient,
) -> None:
    bargain = _instance_of(client, "alice", "bargain")
    sign_in(client, "detail-helper")
    # An open named without the share it came from: invalid_input's detail says what was
    # wrong, in the engine's words, inside a sentence of the page's language.
    where = submit(client, f"/i/{bargain}/assist", form_key="detail-0001", share_open="7")
    assert code_of(where) == "invalid_input"
    assert both(client, where) == (
        "请求中有内容无效：share_open needs the share it came from",
        "Something in the request is not valid: share_open needs the share it came from",
    )
    # The detail travels signed: a link made up by someone else shows only our words.
    forged = f"/i/{bargain}?error=invalid_input&problem=eyJjIjoiaW52YWxpZF9pbnB1dCJ9.AAAA"
    assert both(client, forged) == ("请求中有内容无效。", "Something in the request is not valid.")
    # A code the pages do not know shows our generic words, never a made-up detail.
    unknown = f"/i/{bargain}?error=no_such_code"
    assert both(client, unknown) == ("操作未成功。", "That did not work.")
    # A genuine problem signed for another code is not shown under this one.
    problem = parse_qs(urlsplit(where).query)["problem"][0]
    swapped = f"/i/{bargain}?error=account_restricted&problem={problem}"
    assert both(client, swapped)[1] == "Your account may not take part right now."


def test_refused_preferences_are_told_next_to_their_field_in_the_pages_language(
    client: TestClient,
) -> None:
    sign_in(client, "prefs-language")
    form = {
        "accept_from": "contacts",
        "kinds": "bargain",
        "quiet_start": "22:00",
        "quiet_end": "08:00",
        "time_zone": "Asia/Shanghai",
    }

    def refused(language: dict[str, str], **changes: str) -> dict[str, str]:
        data = {"csrf_token": _csrf(client, "/me/preferences"), **form, **changes}
        answer = client.post("/me/preferences", data=data, headers=language)
        assert answer.status_code == 422
        found = re.findall(r'<p class="field-error" id="e-(\w+)">(.*?)</p>', answer.text)
        return {field: html.unescape(text) for field, text in found}

    # The model refuses 500; the service refuses a zone it does not know.
    assert refused(ZH, daily_max="500") == {"daily_max": "请填写 0 到 100 之间的整数。"}
    assert refused(EN, daily_max="500") == {"daily_max": "Enter a whole number from 0 to 100."}
    assert refused(ZH, daily_max="2", time_zone="Mars/Olympus") == {
        "time_zone": "请填写有效的时区，例如 Asia/Shanghai。"
    }
    assert refused(EN, daily_max="2", time_zone="Mars/Olympus") == {
        "time_zone": "Enter a time zone we know, such as Asia/Shanghai."
    }


PARTICIPANT_CODES = [
    # assist (the hot path)
    "already_assisted", "self_assist", "instance_full", "instance_closed",
    "daily_assist_limit", "assist_refused", "account_restricted", "blocked",
    "unsupported_kind", "busy", "link_mismatch", "link_revoked", "link_expired",
    "link_tampered", "link_unknown_key", "link_retired_key",
    # start, join, buy
    "campaign_not_open", "budget_exhausted", "out_of_stock", "instance_already_active",
    "team_full", "team_closed", "already_in_team", "not_a_groupbuy", "purchase_not_open",
    "not_initiator",
    # share links (invite)
    "not_your_instance", "instance_not_open", "invite_restricted",
    # mute, block, report
    "cannot_act_on_self", "already_reported", "cannot_report_self", "report_limit",
    "too_many_opens",
    # appeal
    "appeal_text_required", "already_appealed", "action_already_lifted",
    "enforcement_action_not_found",
]  # fmt: skip


def test_every_code_a_participant_can_meet_has_a_message() -> None:
    assert [c for c in PARTICIPANT_CODES if c not in messages.ERRORS] == []
    for code, variants in messages.WITH.items():
        assert code in messages.ERRORS, code  # the plain message when a part is missing
        for field, message in variants:
            assert f"%({field})s" in message
