"""No false urgency on the participant pages, over real HTTP on both databases, in both
languages, on the pages of every kind (a bargain, a group-buy team, a drawn lottery, a
won unlock; the campaign list, my activities, the draw record):

- every time a page shows is in a <time> element whose `datetime` is the engine's own
  (an instance's expiry or purchase deadline, a team's closing, a draw's time, when
  something ended) and whose text is that time in the site's zone: a page cannot show a
  countdown or a deadline the server does not hold;
- money "still to cut" is shown only with its real amount and, beside it, the most
  helpers still needed;
- none of the pressure words shops use for made-up urgency appears.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from huzhu.accounts.models import ConsentEvent
from huzhu.assists.models import Assist, Purchase
from huzhu.kit.money import format_cny
from tests.support.results_world import ResultsWorld, results_world

SHOWN_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
PRESSURE = re.compile(
    r"(?i)\bhurry\b|last chance|ending soon|don'?t miss|\bonly\b[^.。]*\bleft\b|act now|"
    r"仅剩|只剩|最后机会|即将结束|赶快|抓紧|倒计时|手慢无|马上|错过"
)
STILL_TO_CUT = re.compile(r"(?i)still to cut|还差")
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[ResultsWorld]:
    with results_world(db_url, tmp_path) as found:
        yield found


class _Page(HTMLParser):
    """The <time data-time> elements with their text, and the visible text outside them."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[tuple[str, str, str]] = []  # (ref, datetime, text)
        self.outside: list[str] = []
        self.metas: list[str] = []
        self._time: list[str] | None = None
        self._attrs: dict[str, str | None] = {}
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "time":
            self._time, self._attrs = [], found
        elif tag in ("script", "style"):
            self._skip += 1
        elif tag == "meta" and found.get("content"):
            self.metas.append(str(found["content"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "time" and self._time is not None:
            self.times.append(
                (
                    str(self._attrs.get("data-time")),
                    str(self._attrs.get("datetime")),
                    "".join(self._time).strip(),
                )
            )
            self._time = None
        elif tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if self._time is not None:
            self._time.append(data)
        elif not self._skip:
            self.outside.append(data)


def _real_time(world: ResultsWorld, ref: str) -> datetime | None:
    """What the engine holds for a page's time reference."""
    kind, key, field = ref.split(":")
    if kind == "instance":
        value = world.api(f"/api/v1/instances/{key}").json()[field]
    elif kind == "team":
        value = world.api(f"/api/v1/teams/{key}").json()[field]
    elif kind == "campaign":
        public = world.api(f"/api/v1/campaigns/{key}/public").json()
        value = public["lottery"][field] if field == "draw_at" else public[field]
    elif kind == "draw":
        value = world.api(f"/api/v1/campaigns/{key}/draw").json()[field]
    elif kind == "assist":
        with world.db.unit_of_work() as s:
            assist = s.get(Assist, int(key))
            assert assist is not None
            return assist.created_at if field == "created_at" else None
    elif kind == "consent":
        with world.db.unit_of_work() as s:
            event = s.get(ConsentEvent, int(key))
            assert event is not None
            return event.created_at if field == "created_at" else None
    elif kind == "reward":
        with world.db.unit_of_work() as s:
            paid = s.scalars(
                select(Purchase.created_at).where(
                    Purchase.instance_id == int(key), Purchase.kind == "reward"
                )
            ).one_or_none()
            return paid if field == "paid_at" else None
    else:
        raise AssertionError(f"a time with no known source: {ref}")
    return datetime.fromisoformat(value) if value else None


def _check(world: ResultsWorld, path: str, page: str) -> int:
    parsed = _Page()
    parsed.feed(page)
    outside = html.unescape(" ".join(parsed.outside))
    assert not SHOWN_TIME.search(outside), f"{path}: a time outside <time>: {outside!r}"
    for ref, stamp, text in parsed.times:
        real = _real_time(world, ref)
        assert real is not None, f"{path}: {ref} shows a time the engine does not hold"
        shown = datetime.fromisoformat(stamp)
        assert shown == real.replace(tzinfo=shown.tzinfo) if real.tzinfo is None else shown == real
        local = f"{shown.astimezone(ZONE):%Y-%m-%d %H:%M}"
        assert text in (local, f"{local} (Asia/Shanghai)"), (path, ref)
    # The page names its zone once, not after every time (ZoneOnce).
    zoned = [text for _, _, text in parsed.times if text.endswith("(Asia/Shanghai)")]
    assert len(zoned) <= 1, (path, zoned)
    if parsed.times:
        assert "Asia/Shanghai" in html.unescape(page), path
    words = outside + " " + " ".join(parsed.metas)
    assert not PRESSURE.search(words), f"{path}: {PRESSURE.search(words)}"
    return len(parsed.times)


def _bargain_money(world: ResultsWorld, page: str) -> None:
    view: dict[str, Any] = world.api(f"/api/v1/instances/{world.bargain_instance_id}").json()
    remaining = re.findall(r'data-cents-remaining="(\d+)"', page)
    needed = re.findall(r'data-helpers-needed="(\d+)"', page)
    assert remaining == [str(view["cents_remaining"])]
    assert needed == [str(view["helpers_still_needed"])]  # beside it, always
    preview = re.search(r'<meta property="og:description" content="([^"]*)"', page)
    assert preview is not None
    text = html.unescape(preview.group(1))
    assert format_cny(view["cents_remaining"]) in text
    assert str(view["helpers_still_needed"]) in text


def test_every_time_shown_is_real_and_money_left_comes_with_helpers_needed(
    world: ResultsWorld,
) -> None:
    lottery_entry = world.api("/api/v1/me/instances", token=world.entrants[1][1]).json()["items"]
    pages = [
        (f"/i/{world.bargain_instance_id}", world.bargain_starter),
        (f"/i/{world.bargain_instance_id}", None),
        (f"/i/{world.team_id}", world.team_leader),
        (f"/i/{lottery_entry[0]['id']}", world.entrants[1][1]),
        (f"/i/{world.unlock_instance_id}", world.unlock_starter),
        ("/", world.entrants[1][1]),
        ("/me", world.entrants[1][1]),
        ("/me", world.bargain_starter),
        ("/me", world.team_leader),
        ("/me", world.unlock_starter),
        (f"/campaigns/{world.lottery_id}/draw", None),
        (f"/campaigns/{world.closing_lottery_id}/draw", None),
    ]
    times = 0
    for lang in ("en", "zh-CN"):
        for path, token in pages:
            answer = world.get(path, token=token, lang=lang)
            assert answer.status_code == 200, (path, answer.text[:300])
            times += _check(world, path, answer.text)
            if STILL_TO_CUT.search(html.unescape(answer.text)):
                _bargain_money(world, answer.text)
    assert times > 20  # the pages really show times, and each was held against the engine
    # Once the reward is paid, the time it says it was paid is the ledger's.
    assert world.pay_rewards() >= 1
    for lang in ("en", "zh-CN"):
        path = f"/i/{world.unlock_instance_id}"
        paid = world.get(path, token=world.unlock_starter, lang=lang).text
        assert 'data-time="reward:' in paid
        _check(world, path, paid)
    # The bargain's page says what is left with the helpers needed, in both languages.
    for lang in ("en", "zh-CN"):
        page = world.get(f"/i/{world.bargain_instance_id}", lang=lang).text
        assert STILL_TO_CUT.search(html.unescape(page))
        _bargain_money(world, page)
