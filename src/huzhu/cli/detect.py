"""`huzhu detect`: batch ring detection.

`huzhu detect score --edges FILE --out FILE` is the offline mode for analysts and for
evaluation: it scores every account of an exported account x target file with the
searches of `huzhu.risk.graph` and writes `user_id,score,reason`, most suspicious first.
It touches no database.

`huzhu detect simulate --out FILE` writes a seeded synthetic assist world with rings in
the same format (plus a `label` column), to try the scorer on.

`huzhu detect run --shop ID` scans the shop's assists in the database (optionally one
campaign, a time range) and puts each ring found in the review queue with its evidence;
like the scheduled scan (the same `detect_service.scan`), it confirms by rule the rings
above HUZHU_DETECT__AUTO_CONFIRM_SIGNIFICANCE unless told `--no-auto-confirm`.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from huzhu.config import load_settings
from huzhu.db import Database
from huzhu.risk import detect_service
from huzhu.risk.graph.edgefile import EdgeFileError, read_edges, write_edges, write_scores
from huzhu.risk.graph.score import DetectConfig, score_accounts
from huzhu.risk.graph.score import Progress as Stages
from huzhu.simulate.assists import WorldSpec, generate, ring_grid

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


def _bar(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _stages(bar: Progress) -> Stages:
    tasks: dict[str, TaskID] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=max(total, 1))
        bar.update(tasks[stage], completed=done, total=max(total, 1))

    return progress


def _moment(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter("an ISO date or datetime", param_hint=option) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
    untimed_min_users: int = typer.Option(10, min=2, help="smallest group found without time"),
    untimed_min_targets: int = typer.Option(8, min=2, help="its fewest shared targets"),
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
        untimed_min_users=untimed_min_users,
        untimed_min_targets=untimed_min_targets,
        min_significance=min_significance,
        seed=seed,
    )
    started = time.perf_counter()
    with _bar(console) as bar:
        reading = bar.add_task("reading", total=None)
        try:
            graph = read_edges(edges, on_rows=lambda n: bar.update(reading, completed=n))
        except EdgeFileError as exc:
            bar.stop()
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(EXIT_BAD_INPUT) from exc
        bar.update(reading, total=graph.n_edges, completed=graph.n_edges)
        result = score_accounts(graph, config, progress=_stages(bar))
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


@app.command("run")
def run(
    shop: int = typer.Option(..., "--shop", help="the shop whose assists are scanned"),
    campaign: int | None = typer.Option(None, "--campaign", help="only this campaign"),
    since: str | None = typer.Option(None, help="only assists at or after (ISO date/time)"),
    until: str | None = typer.Option(None, help="only assists before (ISO date/time)"),
    auto_confirm: bool | None = typer.Option(
        None,
        "--auto-confirm/--no-auto-confirm",
        help="confirm by rule (void, recount, enforce) the rings above "
        "HUZHU_DETECT__AUTO_CONFIRM_SIGNIFICANCE, as the scheduled scan does (the default "
        "whenever that setting is set); --no-auto-confirm only queues them for an analyst",
    ),
) -> None:
    """Find rings in the shop's assists and queue each for review (HUZHU_DETECT__*);
    confirm those above the auto-confirm threshold, as the scheduled scan does."""
    console = Console()
    start, end = _moment(since, "--since"), _moment(until, "--until")
    settings = load_settings()
    threshold = settings.detect.auto_confirm_significance
    if auto_confirm and threshold is None:
        raise typer.BadParameter(
            "set HUZHU_DETECT__AUTO_CONFIRM_SIGNIFICANCE: the -log10 chance above which a "
            "ring is confirmed",
            param_hint="--auto-confirm",
        )
    db = Database(settings.db)
    try:
        with _bar(console) as bar, db.unit_of_work() as session:
            done = detect_service.scan(
                session,
                settings,
                shop_id=shop,
                campaign_id=campaign,
                since=start,
                until=end,
                progress=_stages(bar),
                confirm=auto_confirm is not False,
            )
    finally:
        db.dispose()
    found, confirmed = done.found, set(done.confirmed)
    table = Table(title=f"{found.assists} assists, {found.accounts} accounts scanned")
    for column in ("case", "graph", "detector", "accounts", "targets", "-log10 chance", "status"):
        table.add_column(column)
    for case in found.cases:
        table.add_row(
            str(case.case_id),
            f"helper x {case.graph}",
            case.detector,
            str(case.accounts),
            str(case.targets),
            "—" if case.significance is None else f"{case.significance:.1f}",
            "confirmed by rule" if case.case_id in confirmed else "in review",
        )
    console.print(table)
    console.print(f"{len(found.cases)} ring(s) in the review queue")
    if confirmed:
        console.print(
            f"{len(confirmed)} confirmed by {detect_service.AUTO_ACTOR} (above 1e-{threshold:g}):"
            " their assists voided, the accounts enforced"
        )


@app.command("simulate")
def simulate(
    out: Path = typer.Option(..., "--out", help="edge file to write (.csv or .csv.gz)"),
    instances: int = typer.Option(2_000, min=10, help="instances in the synthetic world"),
    seed: int = typer.Option(0, help="the same seed writes the same world"),
    rings: bool = typer.Option(True, help="inject rings of 5-50 accounts, 0-3x camouflage"),
) -> None:
    """Write a seeded synthetic assist world with rings (label 1) for `detect score`."""
    console = Console(stderr=True)
    world = generate(WorldSpec(instances=instances, rings=ring_grid() if rings else []), seed=seed)
    try:
        write_edges(out, world.edges(), label=world.ring_of >= 0)
    except OSError as exc:
        console.print(f"[red]cannot write {out}: {exc}[/red]")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    console.print(
        f"{world.n_assists} assists by {world.n_accounts} accounts on {instances} instances,"
        f" {int((world.ring_of >= 0).sum())} ring accounts -> {out}"
    )
