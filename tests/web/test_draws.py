"""Results where people look, over real HTTP on both databases: a drawn lottery's
public draw record page, its result on every entrant's activity page and in the
campaign list (winners' pseudonyms and prizes, the revealed seed, the commitment
published at launch, the number of entries, a link to the record), each signed-in
participant told whether they won from their own line of the draw — and an unlock's
starter told the reward they won, then that it was paid."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.support.results_world import ResultsWorld, results_world


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[ResultsWorld]:
    with results_world(db_url, tmp_path) as found:
        yield found


def _attr(page: str, name: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(rf'{name}="([^"]*)"', page)]


class _Texts(HTMLParser):
    """The text of every element carrying one attribute (nested tags' text included)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name, self.found, self._open = name, [], []  # type: ignore[var-annotated]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._open:
            self._open[-1][1] += 1
        if any(key == self.name for key, _ in attrs):
            self._open.append([[], 0])

    def handle_endtag(self, tag: str) -> None:
        if not self._open:
            return
        if self._open[-1][1]:
            self._open[-1][1] -= 1
            return
        parts, _ = self._open.pop()
        self.found.append("".join(parts).strip())

    def handle_data(self, data: str) -> None:
        for parts, _ in self._open:
            parts.append(data)


def _text(page: str, name: str) -> list[str]:
    parser = _Texts(name)
    parser.feed(page)
    return list(parser.found)


def _my_instance(world: ResultsWorld, token: str, campaign_id: int) -> dict[str, Any]:
    mine = world.api("/api/v1/me/instances", token=token).json()["items"]
    return next(i for i in mine if i["campaign_id"] == campaign_id)


def _assert_summary(page: str, record: dict[str, Any], published: str) -> None:
    """The brief result: winners (pseudonym, prize), seed, launch commitment, entries."""
    shown = _attr(page, "data-winner")
    assert shown == [w["entrant"] for w in sorted(record["winners"], key=lambda w: w["slot"])]
    for winner in record["winners"]:
        assert winner["prize"] in page
    assert _text(page, "data-seed")[0] == record["seed_hex"]
    assert _text(page, "data-published-commitment")[0] == published
    assert _attr(page, "data-entries-total") == [str(record["total_tickets"])]
    if "data-verify-command" not in page:  # elsewhere than the record page itself
        assert f"/campaigns/{record['campaign_id']}/draw" in _attr(page, "href")


def test_the_draw_record_page_shows_the_record_and_how_anyone_checks_it(
    world: ResultsWorld,
) -> None:
    record = world.api(f"/api/v1/campaigns/{world.lottery_id}/draw").json()
    public = world.api(f"/api/v1/campaigns/{world.lottery_id}/public").json()
    published = public["lottery"]["commitment_hex"]
    assert record["commitment_hex"] == published
    page = world.get(f"/campaigns/{world.lottery_id}/draw")
    assert page.status_code == 200
    _assert_summary(page.text, record, published)
    assert f"{record['total_tickets']} entries from {len(record['entries'])} participants" in (
        page.text
    )
    # How to check it: in words, and the command with this server's real address.
    command = _text(page.text, "data-verify-command")[0]
    assert command == (
        f"huzhu verify-draw --url {world.url}/api/v1/campaigns/{world.lottery_id}/draw"
        f" --commitment {published}"
    )
    assert "SHA-256" in page.text
    assert _attr(page.text, "data-ok") == ["yes"] * 5  # re-checked, launch commitment included
    # A visitor is told nobody's result; names never appear, only pseudonyms.
    assert "data-my-result" not in page.text
    for name in ("e0", "e1", "e2", "e3"):
        assert f">{name}<" not in page.text
    zh = world.get(f"/campaigns/{world.lottery_id}/draw", lang="zh-CN").text
    for words in ("开奖记录", "中奖者", "上线时公布的承诺值", "任何人都可以这样核对本次开奖"):
        assert words in zh
    # Not a lottery, or no such campaign: the error page, not an empty record.
    assert world.get(f"/campaigns/{world.open_id}/draw").status_code == 404
    assert world.get("/campaigns/987654321/draw").status_code == 404
    # Before its draw the page says when, and shows the commitment already public.
    before = world.get(f"/campaigns/{world.closing_lottery_id}/draw").text
    assert "data-not-drawn" in before
    assert "0" * 64 in before


def test_each_entrant_sees_whether_they_won_where_they_look(world: ResultsWorld) -> None:
    record = world.api(f"/api/v1/campaigns/{world.lottery_id}/draw").json()
    published = world.api(f"/api/v1/campaigns/{world.lottery_id}/public").json()["lottery"][
        "commitment_hex"
    ]
    for account_id, token in world.entrants:
        mine = world.api(f"/api/v1/campaigns/{world.lottery_id}/draw/me", token=token).json()
        expected = "won" if account_id in world.winner_ids else "not_won"
        assert (mine["prize"] is not None) == (expected == "won")
        instance = _my_instance(world, token, world.lottery_id)
        pages = {
            "instance": world.get(f"/i/{instance['id']}", token=token).text,
            "record": world.get(f"/campaigns/{world.lottery_id}/draw", token=token).text,
            "list": world.get("/", token=token).text,
        }
        for where, page in pages.items():
            assert _attr(page, "data-my-result") == [expected], where
            assert _text(page, "data-my-entrant") == [mine["entrant"]], where
            _assert_summary(page, record, published)
            if expected == "won":
                assert f"You won: {mine['prize']}" in html.unescape(page), where
            else:
                assert f"Your entries: {mine['entries']}. You did not win" in page, where
        me = world.get("/me", token=token).text
        assert _attr(me, "data-my-result") == [expected]
        zh = world.get(f"/i/{instance['id']}", token=token, lang="zh-CN").text
        assert ("你中奖了" in zh) == (expected == "won")
        assert ("这次没有中奖" in zh) == (expected == "not_won")
    # Someone with no entry is told so; another shop's participant is told nothing.
    bystander = world.get(f"/campaigns/{world.lottery_id}/draw", token=world.unlock_starter).text
    assert _attr(bystander, "data-my-result") == ["no_entry"]
    stranger = world.get(f"/campaigns/{world.lottery_id}/draw", token=world.stranger).text
    assert "data-my-result" not in stranger


def test_an_unlock_starter_sees_the_reward_won_then_paid(world: ResultsWorld) -> None:
    path = f"/i/{world.unlock_instance_id}"
    won = world.get(path, token=world.unlock_starter).text
    assert _attr(won, "data-reward") == ["won"]
    assert _attr(won, "data-reward-cents") == ["500"]
    assert "free coffee" in won
    assert "¥5.00" in won
    assert "It is being paid to you now." in won
    me = world.get("/me", token=world.unlock_starter).text
    assert _attr(me, "data-reward") == ["won"]
    # Nobody else is told about it.
    assert "data-reward" not in world.get(path).text
    assert "data-reward" not in world.get(path, token=world.entrants[0][1]).text

    assert world.pay_rewards() >= 1
    paid = world.get(path, token=world.unlock_starter, lang="zh-CN").text
    assert _attr(paid, "data-reward") == ["paid"]
    assert "发放给你" in paid
    # The page's figure is the ledger's.
    spending = world.api("/api/v1/me/spending", token=world.unlock_starter).json()
    assert spending["month"]["received_cents"] == 500
    me = world.get("/me", token=world.unlock_starter).text
    assert _attr(me, "data-reward") == ["paid"]
    assert "Reward won: free coffee, ¥5.00, paid." in me
