"""One call from a scenario and a seed to its figures: the plan, the run, the count."""

from __future__ import annotations

import tempfile
from pathlib import Path

from huzhu.simulate.engine import Progress, Simulation
from huzhu.simulate.figures import Figures, compute
from huzhu.simulate.population import Plan, make_plan
from huzhu.simulate.scenario import Scenario


def play(
    scenario: Scenario,
    *,
    seed: int,
    database_url: str | None = None,
    progress: Progress | None = None,
) -> Figures:
    """Run `scenario` with `seed` on a fresh database: `database_url` (an empty one, which
    the migrations build), or by default a SQLite file in a temporary directory that is
    removed afterwards."""
    plan = make_plan(scenario, seed=seed)
    if database_url is not None:
        return _run(scenario, plan, seed=seed, url=database_url, progress=progress)
    with tempfile.TemporaryDirectory(prefix="huzhu-simulate-") as folder:
        url = f"sqlite:///{Path(folder) / 'wargame.db'}"
        return _run(scenario, plan, seed=seed, url=url, progress=progress)


def _run(
    scenario: Scenario, plan: Plan, *, seed: int, url: str, progress: Progress | None
) -> Figures:
    simulation = Simulation(scenario, plan, database_url=url)
    simulation.run(progress)
    return compute(simulation, seed=seed)
