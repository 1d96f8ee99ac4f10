"""`huzhu detect score` round-trips an edge file: plain or gzip, with or without dates,
extra columns ignored, one output row per account; a bad file exits non-zero naming the
column."""

from __future__ import annotations

import csv
import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huzhu.cli.main import app
from tests.risk.graph.graphs import with_ring

runner = CliRunner()


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", newline="") as handle:  # type: ignore[operator]
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _ring_rows(*, dated: bool) -> tuple[list[str], list[list[str]], set[str]]:
    graph, ring = with_ring(41, users=600, items=120, edges=2_500)
    assert graph.time is not None
    header = ["rating", "user_id", "item_id", "label"] + (["date"] if dated else [])
    rows = []
    for u, i, t in zip(graph.user.tolist(), graph.item.tolist(), graph.time.tolist(), strict=True):
        row = ["5", f"u{u}", f"shop-{i}", "0"]
        if dated:
            row.append(datetime.fromtimestamp(t, tz=UTC).isoformat().replace("+00:00", "Z"))
        rows.append(row)
    return header, rows, {f"u{k}" for k in ring.tolist()}


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("name", ["edges.csv", "edges.csv.gz"])
def test_dated_file_round_trips_and_ranks_the_ring_first(tmp_path: Path, name: str) -> None:
    header, rows, ring = _ring_rows(dated=True)
    source = tmp_path / name
    _write(source, header, rows)
    out = tmp_path / "scores.csv"
    result = runner.invoke(app, ["detect", "score", "--edges", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    scored = _read(out)
    assert list(scored[0]) == ["user_id", "score", "reason"]
    assert len(scored) == len({r[1] for r in rows})  # one row per account
    scores = [float(r["score"]) for r in scored]
    assert scores == sorted(scores, reverse=True)
    top = {r["user_id"] for r in scored[: len(ring)]}
    assert len(top & ring) >= len(ring) - 1
    assert "lockstep" in scored[0]["reason"]
    assert "1h windows" in scored[0]["reason"]


def test_file_without_dates_uses_target_similarity(tmp_path: Path) -> None:
    header, rows, ring = _ring_rows(dated=False)
    source = tmp_path / "edges.csv"
    _write(source, header, rows)
    out = tmp_path / "scores.csv.gz"
    result = runner.invoke(app, ["detect", "score", "--edges", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with gzip.open(out, "rt", newline="") as handle:
        scored = list(csv.DictReader(handle))
    flagged = {r["user_id"] for r in scored if float(r["score"]) >= 6}
    assert flagged
    assert flagged <= ring
    assert scored[0]["reason"].startswith("similar group")


def test_spreadsheet_export_with_bom_and_spaced_header_is_read(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    source.write_bytes(
        (
            "\ufeffUser_ID , Item_ID,date\r\n"
            "a,x,2012-01-02 10:00:00\r\n"
            "b,x,2012-01-02T11:00+08:00\r\n"
        ).encode()
    )
    out = tmp_path / "scores.csv"
    result = runner.invoke(app, ["detect", "score", "--edges", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(r["user_id"] for r in _read(out)) == ["a", "b"]


def test_date_only_values_are_accepted(tmp_path: Path) -> None:
    source = tmp_path / "edges.csv"
    _write(
        source, ["user_id", "item_id", "date"], [["a", "x", "2012-01-02"], ["b", "x", "2012-01-03"]]
    )
    out = tmp_path / "scores.csv"
    result = runner.invoke(app, ["detect", "score", "--edges", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(r["user_id"] for r in _read(out)) == ["a", "b"]


@pytest.mark.parametrize(
    ("header", "rows", "named"),
    [
        (["user", "item_id"], [["1", "2"]], "'user_id'"),
        (["user_id", "product"], [["1", "2"]], "'item_id'"),
        (["user_id", "item_id", "date"], [["1", "2", "yesterday"]], "'date'"),
        (["user_id", "item_id"], [["", "2"]], "'user_id'"),
        (["user_id", "item_id"], [], "no rows"),
    ],
)
def test_bad_file_exits_non_zero_naming_the_problem(
    tmp_path: Path, header: list[str], rows: list[list[str]], named: str
) -> None:
    source = tmp_path / "bad.csv"
    _write(source, header, rows)
    out = tmp_path / "scores.csv"
    result = runner.invoke(app, ["detect", "score", "--edges", str(source), "--out", str(out)])
    assert result.exit_code != 0
    assert named in result.output
    assert not out.exists()


def test_not_gzip_despite_the_name_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "edges.csv.gz"
    source.write_text("user_id,item_id\n1,2\n")
    result = runner.invoke(
        app, ["detect", "score", "--edges", str(source), "--out", str(tmp_path / "o.csv")]
    )
    assert result.exit_code != 0
    assert "cannot read" in result.output


def test_bad_window_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "edges.csv"
    _write(source, ["user_id", "item_id"], [["1", "2"]])
    result = runner.invoke(
        app,
        ["detect", "score", "--edges", str(source), "--out", str(tmp_path / "o"), "--window", "5x"],
    )
    assert result.exit_code != 0
    assert "window" in result.output


def test_simulated_world_round_trips_and_its_rings_score_highest(tmp_path: Path) -> None:
    world = tmp_path / "world.csv.gz"
    made = runner.invoke(
        app, ["detect", "simulate", "--out", str(world), "--instances", "600", "--seed", "3"]
    )
    assert made.exit_code == 0, made.output
    with gzip.open(world, "rt", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["user_id", "item_id", "date", "label"]
    ring = {r["user_id"] for r in rows if r["label"] == "1"}
    assert len(ring) == 510
    again = tmp_path / "again.csv.gz"
    runner.invoke(
        app, ["detect", "simulate", "--out", str(again), "--instances", "600", "--seed", "3"]
    )
    with gzip.open(again, "rt", newline="") as handle:
        assert list(csv.DictReader(handle)) == rows  # same seed, same world
    out = tmp_path / "scores.csv"
    scored = runner.invoke(app, ["detect", "score", "--edges", str(world), "--out", str(out)])
    assert scored.exit_code == 0, scored.output
    flagged = {r["user_id"] for r in _read(out) if float(r["score"]) >= 6}
    assert flagged <= ring
    assert len(flagged) >= 0.9 * len(ring)
