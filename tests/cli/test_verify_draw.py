"""`huzhu verify-draw` passes a genuine record and fails any tampered one — including a
forged record that is consistent with itself but not with the commitment published at
launch — by exit code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from huzhu.campaigns.rules.lottery import Prize, build_record, commitment_for
from huzhu.cli.main import app

SEED = "5e" * 32


def _record() -> dict[str, Any]:
    return build_record(
        campaign_id=7,
        commitment_hex=commitment_for(SEED),
        seed_hex=SEED,
        entries=[("e1", 3), ("e2", 1), ("e3", 5), ("e4", 2)],
        prizes=[Prize("top", 10_000, 1), Prize("coupon", 500, 2)],
        drawn_at="2026-01-01T00:00:00+00:00",
    )


def _verify(
    record: dict[str, Any], tmp_path: Path, *, launch: str | None = commitment_for(SEED)
) -> tuple[int, str]:
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))
    given = ["--commitment", launch] if launch is not None else []
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        app, ["verify-draw", "--file", str(path), *given]
    )
    return result.exit_code, result.output


def test_genuine_record_verifies_with_exit_zero(tmp_path: Path) -> None:
    code, output = _verify(_record(), tmp_path)
    assert code == 0, output
    assert "VERIFIED" in output


def test_record_with_one_winner_changed_fails(tmp_path: Path) -> None:
    record = _record()
    losers = {e["entrant"] for e in record["entries"]} - {w["entrant"] for w in record["winners"]}
    record["winners"][0]["entrant"] = sorted(losers)[0]
    code, output = _verify(record, tmp_path)
    assert code == 1
    assert "MISMATCH" in output
    assert "winners" in output


def test_record_with_a_different_seed_fails(tmp_path: Path) -> None:
    record = _record()
    record["seed_hex"] = "5f" * 32
    code, output = _verify(record, tmp_path)
    assert code == 1
    assert "commitment" in output


def test_record_with_an_entry_added_fails(tmp_path: Path) -> None:
    record = _record()
    record["entries"].append({"entrant": "e9", "entries": 40})
    code, _ = _verify(record, tmp_path)
    assert code == 1


def test_malformed_record_fails(tmp_path: Path) -> None:
    code, output = _verify({"campaign_id": 7}, tmp_path)
    assert code == 1
    assert "malformed" in output


def test_a_forged_record_consistent_with_itself_fails_against_the_launch_commitment(
    tmp_path: Path,
) -> None:
    # A fresh seed, a commitment made to match it, winners drawn from it: every check of
    # the record against itself passes; only the commitment published at launch tells.
    forged = build_record(
        campaign_id=7,
        commitment_hex=commitment_for("77" * 32),
        seed_hex="77" * 32,
        entries=[("e1", 3), ("e2", 1), ("e3", 5), ("e4", 2)],
        prizes=[Prize("top", 10_000, 1), Prize("coupon", 500, 2)],
        drawn_at="2026-01-01T00:00:00+00:00",
    )
    code, output = _verify(forged, tmp_path)
    assert code == 1, output
    assert "MISMATCH" in output
    assert "(launch commitment)" in output


def test_a_saved_record_needs_the_launch_commitment(tmp_path: Path) -> None:
    code, output = _verify(_record(), tmp_path, launch=None)
    assert code == 2
    assert "cannot vouch for itself" in output
    code, output = _verify(_record(), tmp_path, launch="not-hex")
    assert code == 2
    assert "64 hexadecimal" in output
    code, output = _verify(_record(), tmp_path, launch=commitment_for(SEED).upper())
    assert code == 0, output


def test_needs_exactly_one_source() -> None:
    result = CliRunner().invoke(app, ["verify-draw"])
    assert result.exit_code == 2


def test_verify_draw_against_a_live_server(sqlite_url: str, tmp_path: Path) -> None:
    """The whole path: a lottery drawn in the database, its record fetched over HTTP by
    the CLI from a running server, verified from the record alone."""
    from huzhu.assists.lottery import service as lottery
    from huzhu.db import Database
    from huzhu.kit import clock
    from tests.assists.lottery.test_service import make_lottery
    from tests.conftest import make_settings
    from tests.support.servers import start_server

    settings = make_settings(sqlite_url)
    db = Database(settings.db)
    with db.unit_of_work() as s:
        lot = make_lottery(s, settings, entrants=5, draw_in_seconds=3600)
    server = start_server(db_url=sqlite_url, workers=1, log_dir=tmp_path)
    try:
        url = f"{server.url}/api/v1/campaigns/{lot.campaign_id}/draw"
        with server.client() as client:
            before = client.get(url)
        assert before.status_code == 404
        assert before.json()["code"] == "draw_not_found"
        clock.advance(3601)  # this process only: the server's runner waits for draw_at
        with db.unit_of_work() as s:
            lottery.draw(s, settings, campaign_id=lot.campaign_id)
        # The launch commitment read from the campaign's public rules…
        result = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["verify-draw", "--url", url])
        assert result.exit_code == 0, result.output
        assert "VERIFIED" in result.output
        assert "the campaign's public rules" in result.output
        # …or given by the person who saved it at launch: another one does not verify.
        other = CliRunner().invoke(
            app, ["verify-draw", "--url", url, "--commitment", commitment_for("01" * 32)]
        )
        assert other.exit_code == 1, other.output
    finally:
        server.stop()
        db.dispose()
