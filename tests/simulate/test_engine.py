"""The engine keeps one simulated clock: what the app counts in windows of time (here a
recipient's daily invite cap) renews with the simulated days, not with the seconds a
run takes."""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise
from pathlib import Path

from huzhu.simulate.engine import Simulation
from huzhu.simulate.population import DAY, make_plan
from huzhu.simulate.scenario import parse_scenario

# One circle whose friends invite each other several times a day for three days, to
# recipients who accept one invite a day.
DAILY_CAPS = {
    "name": "daily caps",
    "days": 3,
    "settle_hours": 1,
    "settings": {"invites": {"recipient_daily_invites": 1}},
    "population": {
        "friend_circles": 1,
        "circle_size": 4,
        "starts_per_person_day": 3,
        "mutual_help_groups": 0,
        "viral_sharers": 0,
        "spenders": 0,
    },
}


def test_a_recipients_daily_cap_renews_each_simulated_day(tmp_path: Path) -> None:
    scenario = parse_scenario(DAILY_CAPS)
    url = f"sqlite:///{tmp_path / 'wargame.db'}"
    simulation = Simulation(scenario, make_plan(scenario, seed=3), database_url=url)
    simulation.run()
    delivered: dict[int, list[int]] = defaultdict(list)
    for invite in simulation.ledger.invites:
        if invite.delivered:
            delivered[invite.recipient].append(invite.at)
    refused = [i.code for i in simulation.ledger.invites if not i.delivered]
    assert "recipient_daily_max" in refused  # the cap was reached
    # ... and came back a simulated day later (a window of real time would last the run)
    assert any(len(times) >= 2 for times in delivered.values())
    for times in delivered.values():
        times.sort()
        assert all(later - earlier >= DAY for earlier, later in pairwise(times))
