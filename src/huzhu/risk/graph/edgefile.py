"""Reading and writing the offline edge files of `huzhu detect score`.

Input: CSV, gzip if the name ends in `.gz`, with a header holding at least `user_id`
and `item_id`, optionally `date` (ISO date or datetime; a datetime without a zone is
UTC). Other columns (`rating`, `label`, ...) are ignored, so an analyst can score a
labelled export as it is. A bad file is refused with a message naming the column and
the line, never half-read.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO, cast

import numpy as np

from huzhu.risk.graph.edges import EdgeSet

REQUIRED = ("user_id", "item_id")
TIME_COLUMN = "date"


class EdgeFileError(ValueError):
    """The edge file cannot be scored; the message names the column or line."""


def _open_text(path: Path, mode: str) -> TextIO:
    # Reading accepts a UTF-8 byte-order mark (spreadsheet exports start with one, and it
    # would otherwise glue itself to the first column's name); writing adds none.
    encoding = "utf-8-sig" if mode == "r" else "utf-8"
    if path.suffix == ".gz":
        raw = gzip.GzipFile(path, mode + "b")
        return io.TextIOWrapper(raw, encoding=encoding, newline="")
    return cast(TextIO, path.open(mode, encoding=encoding, newline=""))


def _parse_time(text: str) -> int:
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def read_edges(path: Path, *, on_rows: Callable[[int], None] | None = None) -> EdgeSet:
    """Read an edge file into an `EdgeSet`; `on_rows(n)` is told every 100k rows."""
    try:
        with _open_text(path, "r") as handle:
            return _read(handle, path, on_rows)
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError) as exc:
        raise EdgeFileError(f"{path}: cannot read: {exc}") from exc
    except csv.Error as exc:
        raise EdgeFileError(f"{path}: not a CSV file: {exc}") from exc


def _read(handle: TextIO, path: Path, on_rows: Callable[[int], None] | None) -> EdgeSet:
    reader = csv.reader(handle)
    header = next(reader, None)
    if header is None:
        raise EdgeFileError(f"{path}: empty file, expected a header with user_id,item_id")
    names = [h.strip().lower() for h in header]
    for column in REQUIRED:
        if column not in names:
            raise EdgeFileError(
                f"{path}: missing column '{column}' in the header (found: {','.join(names)})"
            )
    u_col, i_col = names.index("user_id"), names.index("item_id")
    t_col = names.index(TIME_COLUMN) if TIME_COLUMN in names else None
    users: list[str] = []
    items: list[str] = []
    times: list[int] = []
    parsed: dict[str, int] = {}
    width = max(u_col, i_col, t_col if t_col is not None else 0) + 1
    for line, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) < width:
            raise EdgeFileError(f"{path}: line {line} has {len(row)} fields, the header more")
        user, item = row[u_col].strip(), row[i_col].strip()
        if not user:
            raise EdgeFileError(f"{path}: line {line}: empty 'user_id'")
        if not item:
            raise EdgeFileError(f"{path}: line {line}: empty 'item_id'")
        users.append(user)
        items.append(item)
        if t_col is not None:
            text = row[t_col]
            stamp = parsed.get(text)
            if stamp is None:
                try:
                    stamp = _parse_time(text)
                except ValueError as exc:
                    raise EdgeFileError(
                        f"{path}: line {line}: column 'date' is not an ISO date or datetime:"
                        f" {text[:40]!r}"
                    ) from exc
                parsed[text] = stamp
            times.append(stamp)
        if on_rows is not None and line % 100_000 == 0:
            on_rows(line - 1)
    if not users:
        raise EdgeFileError(f"{path}: no rows after the header")
    return EdgeSet.from_labels(
        users, items, None if t_col is None else np.asarray(times, dtype=np.int64)
    )


def write_scores(path: Path, labels: list[str], score: np.ndarray, reason: list[str]) -> None:
    """`user_id,score,reason`, one row per account, most suspicious first."""
    order = np.argsort(-score, kind="stable")
    with _open_text(path, "w") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["user_id", "score", "reason"])
        for index in order.tolist():
            writer.writerow([labels[index], f"{score[index]:.4f}", reason[index]])


def write_edges(path: Path, edges: EdgeSet, *, label: np.ndarray | None = None) -> None:
    """An edge file `huzhu detect score` reads back: `user_id,item_id[,date][,label]`,
    dates as ISO datetimes in UTC; `label` (per account, 1 = planted) is carried along
    for evaluation and ignored by the scorer."""
    with _open_text(path, "w") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        header = ["user_id", "item_id"]
        if edges.time is not None:
            header.append(TIME_COLUMN)
        if label is not None:
            header.append("label")
        writer.writerow(header)
        times = None if edges.time is None else edges.time.tolist()
        for e, (u, i) in enumerate(zip(edges.user.tolist(), edges.item.tolist(), strict=True)):
            row = [edges.user_labels[u], edges.item_labels[i]]
            if times is not None:
                row.append(datetime.fromtimestamp(times[e], tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
            if label is not None:
                row.append("1" if label[u] else "0")
            writer.writerow(row)
