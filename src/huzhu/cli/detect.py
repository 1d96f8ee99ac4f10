"""`huzhu detect`: batch ring detection.

`huzhu detect score --edges FILE --out FILE` is the offline mode for analysts and for
evaluation: it scores every account of an exported account x target file with the
searches of `huzhu.risk.graph` and writes `user_id,score,reason`, most suspicious first.
It touches no database.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from huzhu.risk.graph.edgefile import EdgeFileError, read_edges, write_scores
from huzhu.risk.graph.score import DetectConfig, score_accounts

app = typer.Typer(help="Batch detection of assist rings.", no_args_is_help=True)

EXIT_BAD_INPUT = 2
UNITS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400}


def parse_window(text: str) -> int | None:
    """`auto`, or a span like `90s`, `10m`, `1h`, `2d`."""
    if text == "auto":
        return None
    match = re.fullmatch(r"(\d+)([smhd])", text.strip())
    if match is None or int(match.group(1)) == 0:
        raise typer.BadParameter("use auto or a span like 90s, 10m, 1h, 2d", param_hint="--window")
    return int(match.group(1)) * UNITS[match.group(2)]


@app.command("score")
def score(
    edges: Path = typer.Option(
        ..., "--edges", help="CSV (or .csv.gz) with a header holding user_id,item_id[,date]"
    ),
    out: Path = typer.Option(..., "--out", help="where to write user_id,score,reason"),
    window: str = typer.Option(
        "auto",
        help="lockstep window: auto (2d for date-only files, else 1h) or 90s, 10m, 1h, 2d",
    ),
    min_users: int = typer.Option(5, min=2, help="smallest group (CopyCatch's n)"),
    min_targets: int = typer.Option(4, min=2, help="fewest shared targets (CopyCatch's m)"),
    min_significance: float = typer.Option(
        6.0, min=0.0, help="flag at or above this -log10 chance"
    ),
    seed: int = typer.Option(0, help="seed of the MinHash permutations"),
) -> None:
    """Score every account of an edge file; higher = more suspicious."""
    console = Console(stderr=True)
    config = DetectConfig(
        window_seconds=parse_window(window),
        min_users=min_users,
        min_targets=min_targets,
        min_significance=min_significance,
        seed=seed,
    )
    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        reading = bar.add_task("reading", total=None)
        try:
            graph = read_edges(edges, on_rows=lambda n: bar.update(reading, completed=n))
        except EdgeFileError as exc:
            bar.stop()
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(EXIT_BAD_INPUT) from exc
        bar.update(reading, total=graph.n_edges, completed=graph.n_edges)
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=max(total, 1))
            bar.update(tasks[stage], completed=done, total=max(total, 1))

        result = score_accounts(graph, config, progress=progress)
    try:
        write_scores(out, graph.user_labels, result.score, result.reason)
    except OSError as exc:
        console.print(f"[red]cannot write {out}: {exc}[/red]")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    flagged = int(result.flagged.sum())
    console.print(
        f"{graph.n_users} accounts, {graph.n_items} targets, {graph.n_edges} edges;"
        f" {len(result.groups)} groups, {flagged} accounts flagged;"
        f" {time.perf_counter() - started:.1f}s -> {out}"
    )
