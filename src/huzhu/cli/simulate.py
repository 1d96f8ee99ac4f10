"""`huzhu simulate`: the wargame of a shop's community.

`huzhu simulate run SCENARIO --seed N --report out.html` plays a scenario (TOML) through
the real engine on a simulated clock and writes a self-contained HTML report with its
figures as JSON beside it (`out.json`). `huzhu simulate compare A.toml B.toml` plays
both with the same seed and shows their figures side by side: what a setting costs.

Each run builds its own database (by default a temporary SQLite file); `--database-url`
runs it on an empty one of yours, PostgreSQL included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from huzhu.simulate.figures import Figures
from huzhu.simulate.report import figures_json, write_report
from huzhu.simulate.scenario import Scenario, ScenarioError, load_scenario
from huzhu.simulate.wargame import play

app = typer.Typer(
    help="The wargame: a seeded community run through the engine.", no_args_is_help=True
)

EXIT_BAD_INPUT = 2
EXIT_MISSED = 1


def _load(console: Console, path: Path) -> Scenario:
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_BAD_INPUT) from exc


def _play(console: Console, scenario: Scenario, *, seed: int, database_url: str | None) -> Figures:
    with Progress(
        TextColumn(f"[bold]{scenario.name}[/bold]"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} simulated hours"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task("play", total=1)

        def advanced(done: int, total: int) -> None:
            bar.update(task, completed=done / 3600, total=total / 3600)

        return play(scenario, seed=seed, database_url=database_url, progress=advanced)


@app.command("run")
def run(
    scenario_path: Path = typer.Argument(..., help="scenario TOML (see scenarios/)"),
    seed: int = typer.Option(1, help="the seed: the same seed gives the same report"),
    report: Path = typer.Option(Path("wargame.html"), help="HTML report; its JSON goes beside it"),
    database_url: str | None = typer.Option(
        None, help="an empty database to run on (default: a temporary SQLite file)"
    ),
) -> None:
    """Play a scenario and write its report; exit 1 when a bar of the report is missed."""
    console = Console()
    scenario = _load(console, scenario_path)
    figures = _play(console, scenario, seed=seed, database_url=database_url)
    json_path = write_report(figures, report, description=scenario.description)
    table = Table(title=f"{scenario.name} (seed {seed})")
    for column in ("bar", "value", "limit", "", "let through by"):
        table.add_column(column)
    for check in figures.checks:
        mark = "[green]met[/green]" if check.passed else "[red]missed[/red]"
        table.add_row(
            check.name, str(check.value), str(check.limit), mark, check.let_through_by or ""
        )
    console.print(table)
    console.print(f"report: {report}  figures: {json_path}")
    if not all(check.passed for check in figures.checks):
        raise typer.Exit(EXIT_MISSED)


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted keys to leaves: `fake.all.counted` → 3. Lists by index."""
    items: list[tuple[str, Any]]
    if isinstance(value, dict):
        items = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, list) and value:
        items = [(str(i), v) for i, v in enumerate(value)]
    else:
        return {prefix: value}
    found: dict[str, Any] = {}
    for key, inner in items:
        found.update(flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
    return found


@app.command("compare")
def compare(
    first: Path = typer.Argument(..., help="scenario A"),
    second: Path = typer.Argument(..., help="scenario B"),
    seed: int = typer.Option(1, help="the same seed for both"),
    out: Path | None = typer.Option(None, help="also write both figures as one JSON file"),
) -> None:
    """Play two scenarios with the same seed and show their figures side by side."""
    console = Console()
    scenarios = [_load(console, first), _load(console, second)]
    figures = [_play(console, s, seed=seed, database_url=None) for s in scenarios]
    flat = [flatten(f.to_json()) for f in figures]
    table = Table(title=f"{scenarios[0].name}  vs  {scenarios[1].name} (seed {seed})")
    table.add_column("figure")
    table.add_column(first.name, justify="right")
    table.add_column(second.name, justify="right")
    keys = list(dict.fromkeys([*flat[0], *flat[1]]))
    for key in keys:
        if key in ("scenario", "seed"):
            continue
        a, b = flat[0].get(key, "—"), flat[1].get(key, "—")
        style = "bold" if a != b else None
        table.add_row(key, str(a), str(b), style=style)
    console.print(table)
    if out is not None:
        out.write_text(
            "[\n" + ",\n".join(figures_json(f).rstrip() for f in figures) + "\n]\n",
            encoding="utf-8",
        )
