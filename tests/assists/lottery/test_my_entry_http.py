"""GET /api/v1/campaigns/{id}/draw/me over real HTTP on both databases: a participant
finds their own line only in a public lottery of their own shop; another shop's
participant, a campaign that does not exist and a campaign that is not a lottery get
404 `campaign_not_found`, never an invented empty entry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.results_world import ResultsWorld, results_world


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[ResultsWorld]:
    with results_world(db_url, tmp_path) as found:
        yield found


def test_my_entry_is_answered_only_for_a_lottery_of_my_own_shop(world: ResultsWorld) -> None:
    path = f"/api/v1/campaigns/{world.lottery_id}/draw/me"
    record = world.api(f"/api/v1/campaigns/{world.lottery_id}/draw").json()
    tickets = {e["entrant"]: e["entries"] for e in record["entries"]}
    for account_id, token in world.entrants:
        mine = world.api(path, token=token)
        assert mine.status_code == 200, mine.text
        line = mine.json()
        assert line["drawn"] is True
        assert line["entries"] == tickets[line["entrant"]]
        assert (line["prize"] is not None) == (account_id in world.winner_ids)

    for refused in (
        world.api(path, token=world.stranger),  # another shop's participant
        world.api("/api/v1/campaigns/987654321/draw/me", token=world.entrants[0][1]),
        world.api(f"/api/v1/campaigns/{world.open_id}/draw/me", token=world.entrants[0][1]),
    ):
        assert refused.status_code == 404, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "campaign_not_found"
    # Before its draw a lottery of the shop answers, with nothing drawn yet.
    before = world.api(
        f"/api/v1/campaigns/{world.closing_lottery_id}/draw/me", token=world.entrants[0][1]
    ).json()
    assert (before["drawn"], before["entries"], before["prize"]) == (False, None, None)
