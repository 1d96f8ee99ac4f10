"""What a person's own pages say an activity came to: the teams they joined (not only
those they opened) on /me, and a lottery prize won on /me/spending — the same figures as
the API's, over a real server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.support.results_world import PRIZES, ResultsWorld, results_world


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[ResultsWorld]:
    with results_world(db_url, tmp_path) as found:
        yield found


def test_a_member_sees_the_team_they_joined_with_their_order(world: ResultsWorld) -> None:
    page = world.get("/me", token=world.team_member).text
    rows = re.findall(r'<tr data-team="(\d+)">(.*?)</tr>', page, flags=re.S)
    assert [int(team) for team, _ in rows] == [world.team_id]
    row = rows[0][1]
    assert "2 of 3 members" in row
    assert 'data-order-status="authorized"' in row
    assert "¥59.00 on hold until the team fills" in row
    # The leader opened it: on their page it is theirs, not a team they joined.
    leader = world.get("/me", token=world.team_leader).text
    assert "data-team=" not in leader
    assert "You have not joined anyone" in leader


def test_a_lottery_prize_is_on_the_winners_spending_page_and_in_the_api(
    world: ResultsWorld,
) -> None:
    record = world.api(f"/api/v1/campaigns/{world.lottery_id}/draw").json()
    values = [p["value_cents"] for p in PRIZES for _ in range(p["quantity"])]
    drawn_at = datetime.fromisoformat(record["drawn_at"])
    for account_id, token in world.entrants:
        spending = world.api("/api/v1/me/spending", token=token).json()
        page = world.get("/me/spending", token=token).text
        mine = [
            values[int(w["slot"])]
            for w in record["winners"]
            if w["entrant"]
            == world.api(f"/api/v1/campaigns/{world.lottery_id}/draw/me", token=token).json()[
                "entrant"
            ]
        ]
        assert (account_id in world.winner_ids) == bool(mine)
        for period in ("week", "month"):
            counted = drawn_at >= datetime.fromisoformat(spending[period]["since"])
            expected = sum(mine) if counted else 0
            assert spending[period]["prizes_won_cents"] == expected
            assert f'data-prizes-{period}="{expected}"' in page
        shown = [int(v) for v in re.findall(r'data-prize="(\d+)"', page)]
        month_counted = drawn_at >= datetime.fromisoformat(spending["month"]["since"])
        assert shown == (mine if month_counted else [])
        assert [p["value_cents"] for p in spending["month"]["prizes"]] == shown
