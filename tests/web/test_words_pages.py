"""The words on the real pages, in both languages, over HTTP against the live demo server:
the console's refusals next to their fields, its options, roles and frozen rules, the
review queue's summaries, a standing reason, and the right words for a group buy, a
dismissed case nobody reported, a second start and a lottery's chance."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from huzhu.accounts import service as accounts
from huzhu.assists.models import Instance
from huzhu.db import Database
from huzhu.risk import alerts
from huzhu.risk.inline import CounterSnapshot
from huzhu.risk.scoring import SpikeAlert
from huzhu.seed import (
    DEMO_ANALYST_EMAIL,
    DEMO_ANALYST_PASSWORD,
    DEMO_OWNER_EMAIL,
    DEMO_OWNER_PASSWORD,
)
from tests.conftest import make_settings
from tests.web.conftest import Demo, start_demo

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TAGS = re.compile(r"<[^>]+>")


class Person:
    """One browser's worth of cookies, speaking to the server over HTTP."""

    def __init__(self, demo: Demo) -> None:
        self.http = httpx.Client(base_url=demo.url, timeout=30, follow_redirects=False)

    def csrf(self, path: str) -> str:
        found = CSRF.search(self.http.get(path).text)
        assert found is not None, path
        return found.group(1)

    def post(self, path: str, *, form_path: str = "/", **fields: str) -> httpx.Response:
        data = {"csrf_token": self.csrf(form_path), **fields}
        return self.http.post(path, data=data)

    def page(self, path: str, language: dict[str, str]) -> str:
        answer = self.http.get(path, headers=language)
        assert answer.status_code == 200, (path, answer.status_code)
        return answer.text


@pytest.fixture
def people(demo: Demo) -> Iterator[Any]:
    made: list[Person] = []

    def _person() -> Person:
        made.append(Person(demo))
        return made[-1]

    yield _person
    for person in made:
        person.http.close()


def participant(people: Any, name: str) -> Person:
    person: Person = people()
    signed = person.post("/signin", form_path="/signin", name=name, shop="demo", next="/")
    assert signed.status_code == 303
    return person


def operator(people: Any, email: str, password: str) -> Person:
    person: Person = people()
    answer = person.post(
        "/console/login", form_path="/console/login", email=email, password=password, next=""
    )
    assert answer.status_code == 303, answer.text
    return person


def text_of(fragment: str) -> str:
    return html.unescape(TAGS.sub("", fragment)).strip()


def field_error(page: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="e-{name}">(.*?)</p>', page, re.S)
    assert found is not None, name
    return text_of(found.group(1))


def notice_of(page: str) -> str:
    found = re.search(r'<p class="notice" role="status">(.*?)</p>', page, re.S)
    assert found is not None
    return text_of(found.group(1))


BARGAIN_FORM = {
    "kind": "bargain",
    "name": "Floor above price",
    "channel": "web",
    "budget_cents": "500",
    "inventory_total": "10",
    "price_cents": "99",
    "floor_cents": "120",
    "max_helpers": "5",
    "split": "double_mean",
}


@pytest.mark.parametrize(
    ("language", "floor", "channel"),
    [
        (ZH, "底价必须低于原价", "砍价属于助力玩法，微信自 2019 年 10 月起禁止在网页链接中使用"),
        (EN, "the floor must be below the price", "Bargain is an assist mechanic"),
    ],
)
def test_a_deceptive_config_is_refused_next_to_its_field_in_the_pages_language(
    people: Any, language: dict[str, str], floor: str, channel: str
) -> None:
    owner = operator(people, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    csrf = owner.csrf("/console/campaigns/new")
    form = {"csrf_token": csrf, **BARGAIN_FORM}
    refused = owner.http.post("/console/campaigns/new", data=form, headers=language)
    assert refused.status_code == 422
    assert field_error(refused.text, "floor_cents") == floor
    # A channel whose rules forbid the kind: the kind is named in words, not as a code.
    form |= {"floor_cents": "50", "channel": "wechat_web"}
    refused = owner.http.post("/console/campaigns/new", data=form, headers=language)
    assert refused.status_code == 422
    assert field_error(refused.text, "channel").startswith(channel)
    # A bound of the schema (at least one helper), said as the page speaks.
    form |= {"channel": "web", "max_helpers": "0"}
    refused = owner.http.post("/console/campaigns/new", data=form, headers=language)
    assert field_error(refused.text, "max_helpers") == (
        "请填写不小于 1 的值。" if language is ZH else "Enter at least 1."
    )


def test_the_console_says_options_roles_and_frozen_rules_in_words(people: Any, demo: Demo) -> None:
    owner = operator(people, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    form = owner.page("/console/campaigns/new?kind=bargain", ZH)
    options = dict(re.findall(r'<option value="(\w+)"[^>]*>([^<]*)</option>', form))
    assert options["wechat_web"] == "微信内的网页链接"
    assert options["double_mean"] == "随机金额，每刀最多为剩余平均值的两倍"
    assert 'data-role="owner">所有者<' in form

    lottery = demo.instance_of("dan", "lottery")
    for language, prizes_word, rules_heading in (
        (ZH, "奖品", "开奖时间"),
        (EN, "Prizes", "Draw time"),
    ):
        page = owner.page(f"/console/campaigns/{lottery['campaign_id']}", language)
        rules = page[page.index('id="rules-h"') :]
        labels = dict(re.findall(r'<dt data-rule="(\w+)">([^<]*)</dt>', rules))
        assert labels["prizes"] == prizes_word
        assert labels["draw_at"] == rules_heading
        # No key and no Python repr of the prize list: each prize is a line of words.
        assert all(raw not in rules for raw in ("value_cents", "{'name'", "[{"))
        assert re.search(r"<li>[^<]+¥[\d,]+\.\d\d × \d+", rules)
        channel = re.search(r'data-channel="(\w+)">([^<]*)<', page)
        assert channel is not None
        assert channel.group(2) != channel.group(1)


def _report_spam(demo: Demo, sender_id: int, reporters: list[str]) -> int:
    case_ids = set()
    for name in reporters:
        report = {"kind": "spam", "account_id": sender_id, "text": "cut my price x5"}
        answer = demo.api(name, "POST", "/api/v1/reports", json=report)
        assert answer.status_code == 201, answer.text
        case_ids.add(answer.json()["case_id"])
    assert len(case_ids) == 1
    return case_ids.pop()


def account_id(demo: Demo, person: Person) -> int:
    """The signed-in participant's account id, read from their cookie."""
    settings = make_settings(demo.db_url)
    claims = accounts.participant_claims(settings, person.http.cookies["huzhu_p"])
    assert claims is not None
    return int(claims.account_id)


def test_a_spam_case_and_the_reason_it_gives_are_read_in_each_readers_language(
    people: Any, demo: Demo
) -> None:
    sender = participant(people, "words-spammer")
    sender_id = account_id(demo, sender)
    case_id = _report_spam(demo, sender_id, ["words-r1", "words-r2", "words-r3"])
    analyst = operator(people, DEMO_ANALYST_EMAIL, DEMO_ANALYST_PASSWORD)
    for language, summary in (
        (ZH, f"账号 {sender_id} 被举报发送骚扰邀请"),
        (EN, f"spam reported against account {sender_id}"),
    ):
        queue = analyst.page("/console/review?status=open", language)
        row = re.search(rf'<tr data-case="{case_id}">(.*?)</tr>', queue, re.S)
        assert row is not None
        assert summary in text_of(row.group(1))
    confirmed = analyst.post(
        f"/console/review/{case_id}/confirm",
        form_path=f"/console/review/{case_id}",
        reason="unwanted invites to strangers",
        enforce="rule",
    )
    assert confirmed.status_code == 303
    for language, kind, reason in (
        (ZH, "警告", "有 3 人举报收到这个账号的骚扰邀请"),
        (EN, "Warning", "3 people reported unwanted invites from this account"),
    ):
        page = sender.page("/me/standing", language)
        assert re.search(rf"<h3 [^>]*>{kind}", page)
        reasons = [text_of(r) for r in re.findall(r"<dd data-reason>(.*?)</dd>", page, re.S)]
        assert reasons == [reason]
    case = analyst.page(f"/console/review/{case_id}", ZH)
    assert re.search(r'data-action-kind="warning">警告 ·', case)


def _open_spike_case(demo: Demo, instance: dict[str, Any]) -> int:
    """A spike as the hot path reports it (risk/alerts.py), on the demo's database."""
    db = Database(make_settings(demo.db_url).db)
    try:
        with db.unit_of_work() as session:
            row = session.get(Instance, int(instance["id"]))
            assert row is not None
            return alerts.open_spike_case(
                session,
                SpikeAlert(
                    shop_id=row.shop_id,
                    campaign_id=int(instance["campaign_id"]),
                    instance_id=int(instance["id"]),
                    at=datetime.now(UTC),
                    seen=CounterSnapshot(instance_assists=9, instance_opens=1),
                    window_seconds=300,
                    watch_seconds=3600,
                    network_hash=None,
                ),
            )
    finally:
        db.dispose()


def test_dismissing_a_case_nobody_reported_tells_no_reporters(people: Any, demo: Demo) -> None:
    instance = demo.instance_of("alice", "bargain")
    case_id = _open_spike_case(demo, instance)
    analyst = operator(people, DEMO_ANALYST_EMAIL, DEMO_ANALYST_PASSWORD)
    page = analyst.page(f"/console/review/{case_id}", ZH)
    heading = re.search(r'<h2 id="case-h">(.*?)</h2>', page, re.S)
    assert heading is not None
    assert text_of(heading.group(1)) == (
        f"发起 {instance['id']} 在 300 秒内有 9 次助力，而分享只被打开 1 次；新的助力将暂扣 60 分钟"
    )
    source = re.search(r'data-case-source="inline.spike">(.*?)</span>', page, re.S)
    assert source is not None
    assert text_of(source.group(1)) == "（来源：单个发起的助力激增）"
    dismissed = analyst.post(
        f"/console/review/{case_id}/dismiss",
        form_path=f"/console/review/{case_id}",
        reason="a class sharing it in their group chat",
    )
    assert dismissed.status_code == 303
    where = dismissed.headers["location"]
    assert notice_of(analyst.page(where, ZH)) == "案件已驳回。没有人举报它，所以不会通知任何人。"
    assert notice_of(analyst.page(where, EN)) == (
        "Case dismissed. No one reported it, so no one is told."
    )


def _join(person: Person, team_id: int) -> str:
    """Join through the form and its confirmation step; the notice's location."""
    path = f"/i/{team_id}/join"
    confirm = person.post(path, form_path=f"/i/{team_id}")
    assert confirm.status_code == 200, confirm.text
    token = re.search(r'name="confirmation" value="([^"]+)"', confirm.text)
    assert token is not None
    joined = person.post(path, form_path=f"/i/{team_id}", confirmation=token.group(1))
    assert joined.status_code == 303, joined.text
    return str(joined.headers["location"])


def test_the_member_who_fills_a_team_is_told_it_is_being_charged(people: Any, demo: Demo) -> None:
    leader = participant(people, "words-leader")
    home = leader.page("/", EN)
    campaign = re.search(
        r'<span class="badge">Group buy</span>.*?action="/c/(\d+)/start"', home, re.S
    )
    assert campaign is not None
    opened = leader.post(f"/c/{campaign.group(1)}/start")
    if opened.status_code == 200:  # the confirmation of opening a team (its price held)
        token = re.search(r'name="confirmation" value="([^"]+)"', opened.text)
        assert token is not None
        opened = leader.post(f"/c/{campaign.group(1)}/start", confirmation=token.group(1))
    assert opened.status_code == 303, opened.text
    made = re.search(r"/i/(\d+)", opened.headers["location"])
    assert made is not None
    team_id = int(made.group(1))
    members = re.search(r'data-members="\d+">\d+ / (\d+)', leader.page(f"/i/{team_id}", EN))
    assert members is not None
    size = int(members.group(1))
    # The leader's own page speaks of members who order, never of assists.
    mine = leader.page(f"/i/{team_id}", ZH)
    action = text_of(mine.split('id="act-h"')[1].split("</section>")[0])
    assert "这是你开的团" in action
    assert "助力" not in action
    for n in range(1, size):
        member = participant(people, f"words-member-{team_id}-{n}")
        where = _join(member, team_id)
        last = n == size - 1
        assert ("notice=joined_full" in where) is last, where
        if last:
            assert notice_of(member.page(where, ZH)) == (
                "你已参团，团已满员：你的订单正在扣款，可在“我的消费”中查看。"
            )
            assert notice_of(member.page(where, EN)).startswith(
                "You joined and the team is now full: your order is being charged."
            )
        else:
            assert notice_of(member.page(where, ZH)) == "你已参团。成团后才会扣款。"


def test_a_second_start_links_to_the_one_running(people: Any, demo: Demo) -> None:
    alice = participant(people, "alice")  # her bargain from the seed still runs
    running = demo.instance_of("alice", "bargain")
    refused = alice.post(f"/c/{running['campaign_id']}/start")
    assert refused.status_code == 303
    where = refused.headers["location"]
    for language, words in ((ZH, "打开你已发起的那个"), (EN, "Open the one you have")):
        page = alice.page(where, language)
        link = re.search(r'<a href="([^"]+)" data-error-link>([^<]+)</a>', page)
        assert link is not None
        assert link.groups() == (f"/i/{running['id']}", words)
    # The link leads to her own bargain's page.
    assert alice.http.get(f"/i/{running['id']}").status_code == 200


def _odds(person: Person, instance_id: int, language: dict[str, str]) -> tuple[int, int, int, str]:
    page = person.page(f"/i/{instance_id}", language)
    found = re.search(
        r'data-odds data-prizes="(\d+)" data-tickets="(\d+)" data-entrants="(\d+)">(.*?)</dd>',
        page,
        re.S,
    )
    assert found is not None
    prizes, tickets, entrants = (int(found.group(i)) for i in (1, 2, 3))
    return prizes, tickets, entrants, text_of(found.group(4))


def test_a_lotterys_chance_is_prizes_over_entries_so_far_and_moves_as_people_enter(
    people: Any, demo: Demo
) -> None:
    lottery = demo.instance_of("dan", "lottery")
    visitor = participant(people, "words-odds")
    public = httpx.get(f"{demo.url}/api/v1/campaigns/{lottery['campaign_id']}/public").json()
    base = int(public["lottery"]["base_entries"])
    prizes, tickets, entrants, said = _odds(visitor, lottery["id"], EN)
    assert prizes == sum(p["quantity"] for p in public["lottery"]["prizes"])
    n = 0
    while entrants <= prizes:
        # Each new starter is one more entrant holding the entries for starting.
        n += 1
        path = f"/api/v1/campaigns/{lottery['campaign_id']}/instances"
        started = demo.api(f"words-entrant-{n}", "POST", path)
        assert started.status_code == 201, started.text
        _, now_tickets, now_entrants, said = _odds(visitor, lottery["id"], EN)
        assert (now_tickets, now_entrants) == (tickets + base, entrants + 1)
        tickets, entrants = now_tickets, now_entrants
        if entrants <= prizes:
            assert said.startswith(f"{prizes} prizes for {entrants} entrants so far:")
    # More entrants than prizes: the chance of one entry, prizes ÷ entries.
    percent = f"{prizes * 100 / tickets:.1f}"
    assert said == (
        f"About {percent}% for each entry: {prizes} prizes ÷ {tickets} entries so far, at "
        "most one prize a person. This changes as more people enter."
    )
    assert _odds(visitor, lottery["id"], ZH)[3] == (
        f"每次抽奖机会约 {percent}% 的中奖概率：{prizes} 份奖品 ÷ 目前共 {tickets} 次抽奖机会，"
        "每人最多中一份。随着更多人参与，这会变化。"
    )


@pytest.fixture(scope="module")
def scored_demo(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo with the inline scorer on, as in production (tests turn it off)."""
    folder = tmp_path_factory.mktemp("scored")
    started = start_demo(sqlite_template, folder, {"HUZHU_RISK__INLINE_ENABLED": "true"})
    try:
        yield started
    finally:
        started.server.stop()


def test_an_assists_risk_reasons_are_said_in_words_on_the_console(
    people: Any, scored_demo: Demo
) -> None:
    demo = scored_demo
    bargain = demo.instance_of("alice", "bargain")
    path = f"/api/v1/campaigns/{bargain['campaign_id']}/instances"
    started = demo.api("words-risk-starter", "POST", path)
    assert started.status_code == 201, started.text
    instance_id = started.json()["id"]
    # An HTTP library's assist, with no share opened: the scorer gives its reasons.
    given = demo.api("words-risk-helper", "POST", f"/api/v1/instances/{instance_id}/assists")
    assert given.status_code in (201, 202), given.text  # counted, or held for a check
    owner = Person(demo)
    signed = owner.post(
        "/console/login",
        form_path="/console/login",
        email=DEMO_OWNER_EMAIL,
        password=DEMO_OWNER_PASSWORD,
        next="",
    )
    assert signed.status_code == 303
    for language, decision, opened in (
        (ZH, {"放行", "暂扣"}, "没有打开分享链接就助力"),
        (EN, {"counted", "held"}, "assisted without opening a share link"),
    ):
        page = owner.page(f"/console/instances/{instance_id}", language)
        said = dict(re.findall(r'<span data-risk-reason="([^"]+)">([^<]+)</span>', page))
        assert said, "the assist carries its reasons"
        assert all(text != code for code, text in said.items())
        assert said["no_share_open"] == opened
        automation = next(text for code, text in said.items() if code.startswith("automation:"))
        assert "python-httpx" in automation
        shown = re.search(r'data-risk-decision="(\w+)">([^ <]+)', page)
        assert shown is not None
        assert shown.group(2) in decision
    owner.http.close()
