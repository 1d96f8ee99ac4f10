"""A drawn, ended or closed campaign can no longer be started, over real HTTP on both
databases: the API (instances and teams) and the page's start form refuse with 409
`campaign_not_open` and its `reason`, the page says why in the reader's language, and
the public view and the home page say the same thing before anyone tries. (A team's
opening runs the same check: assists.service.open_instance.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from tests.factories import auth
from tests.support.results_world import ResultsWorld, results_world


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[ResultsWorld]:
    with results_world(db_url, tmp_path) as found:
        yield found


def _start(world: ResultsWorld, campaign_id: int, token: str) -> httpx.Response:
    return httpx.post(
        f"{world.url}/api/v1/campaigns/{campaign_id}/instances", headers=auth(token), timeout=30
    )


def test_a_drawn_ended_or_closed_campaign_refuses_a_start_with_its_reason(
    world: ResultsWorld,
) -> None:
    token = world.entrants[3][1]
    record = world.api(f"/api/v1/campaigns/{world.lottery_id}/draw").json()
    expected = {
        world.lottery_id: ("drawn", "drawn_at"),
        world.closing_lottery_id: ("entries_closed", "draw_at"),
        world.ended_id: ("ended", None),
    }
    for campaign_id, (reason, time_field) in expected.items():
        refused = _start(world, campaign_id, token)
        assert refused.status_code == 409, refused.text
        problem = refused.json()
        assert (problem["code"], problem["reason"]) == ("campaign_not_open", reason)
        if time_field is not None:
            assert datetime.fromisoformat(problem[time_field])
        public = world.api(f"/api/v1/campaigns/{campaign_id}/public").json()
        assert (public["open_to_start"], public["closed_reason"]) == (False, reason)
    drawn = _start(world, world.lottery_id, token).json()
    assert datetime.fromisoformat(drawn["drawn_at"]) == datetime.fromisoformat(record["drawn_at"])
    # The open campaign beside them takes the same person at once.
    assert world.api(f"/api/v1/campaigns/{world.open_id}/public").json()["open_to_start"] is True
    assert _start(world, world.open_id, token).status_code == 201


def _csrf(client: httpx.Client, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def test_the_home_page_offers_only_what_can_be_started_and_the_form_refuses_the_rest(
    world: ResultsWorld,
) -> None:
    token = world.entrants[0][1]
    with world.server.client(cookies={"huzhu_p": token}) as client:
        home = client.get("/", headers={"Accept-Language": "en"}).text
        offered = {int(i) for i in re.findall(r'data-campaign="(\d+)" data-open="yes"', home)}
        closed = dict(re.findall(r'data-campaign="(\d+)" data-open="no" data-closed="(\w+)"', home))
        forms = {int(i) for i in re.findall(r'action="/c/(\d+)/start"', home)}
        assert offered == {world.open_id, world.unlock_id, world.team_campaign_id}
        assert forms == offered  # a start button only where a start can succeed
        assert closed == {
            str(world.lottery_id): "drawn",
            str(world.closing_lottery_id): "entries_closed",
            str(world.ended_id): "ended",
        }
        for campaign_id in offered:
            public = client.get(f"/api/v1/campaigns/{campaign_id}/public").json()
            assert public["open_to_start"] is True

        # A stale page's form (or a crafted one) is refused, and the page says why.
        refused = client.post(
            f"/c/{world.lottery_id}/start",
            data={"csrf_token": _csrf(client, "/")},
            follow_redirects=False,
        )
        assert refused.status_code == 303
        assert "error=campaign_not_open" in refused.headers["location"]
        en = client.get(refused.headers["location"], headers={"Accept-Language": "en"}).text
        assert "This lottery was drawn at" in en
        zh = client.get(refused.headers["location"], headers={"Accept-Language": "zh-CN"}).text
        assert "本抽奖已于" in zh
        assert "开奖" in zh
        ended = client.post(
            f"/c/{world.ended_id}/start",
            data={"csrf_token": _csrf(client, "/")},
            follow_redirects=False,
        )
        page = client.get(ended.headers["location"], headers={"Accept-Language": "en"}).text
        assert "This campaign has ended: nothing new can be started in it." in page
