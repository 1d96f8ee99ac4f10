"""The wargame played through the real engine: the issue's bars on the shipped scenarios,
the same report for the same seed, and a report that stands on its own.

Each shipped scenario is played once per module (on SQLite, a temporary database of its
own) and its figures judged by several tests."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huzhu.cli.main import app
from huzhu.simulate import report
from huzhu.simulate.figures import Figures
from huzhu.simulate.report import figures_json, render_html
from huzhu.simulate.scenario import Scenario, load_scenario, parse_scenario
from huzhu.simulate.wargame import play
from huzhu.web.vendor import CHART_JS
from tests.support.browser import chromium_page

SCENARIOS = Path(__file__).parents[2] / "scenarios"

# A small community with one of each kind of attacker: the run the report and CLI tests
# read, and the one played twice for determinism.
SMALL = """
name = "small"
days = 1
settle_hours = 6

[settings.detect]
auto_confirm_significance = 6.0

[population]
friend_circles = 2
circle_size = 5
mutual_help_size = 6
viral_group_size = 15
spenders = 2

[attackers]
farm = { rings = 1, accounts = 8, phones = 2, targets = 3 }
sybil = { buyers = 1, accounts = 4 }
hijack = { accounts = 2, targets = 2 }
spam = { spammers = 1, invites = 8 }
brigade = { brigades = 1, accounts = 4 }
tamper = { tamperers = 1, tries = 2 }
"""


def _small() -> Scenario:
    return parse_scenario(tomllib.loads(SMALL))


def _played(name: str) -> Figures:
    return play(load_scenario(SCENARIOS / f"{name}.toml"), seed=1)


@pytest.fixture(scope="module")
def default() -> Figures:
    return _played("default")


@pytest.fixture(scope="module")
def small() -> Figures:
    return play(_small(), seed=7)


def _check(figures: Figures, name: str) -> bool:
    [found] = [c for c in figures.checks if c.name == name]
    return found.passed


def test_default_community_keeps_honest_people_whole(default: Figures) -> None:
    honest = default.honest["all"]
    assert honest.attempted >= 150
    assert honest.held <= 0.01 * honest.attempted
    assert honest.voided <= 0.001 * honest.attempted
    assert default.honest["mutual_help"].voided == 0
    assert default.honest_restricted == 0
    assert default.honest_banned == 0
    for name in (
        "honest assists held ≤ 1%",
        "honest assists voided ≤ 0.1%",
        "no honest person restricted",
    ):
        assert _check(default, name), name


def test_default_community_invites_and_money_stay_within_each_persons_say(
    default: Figures,
) -> None:
    invites = default.invites
    assert invites.delivered > 0
    assert invites.refused > 0  # the spammer's, at least
    assert invites.against_preferences == 0
    assert invites.quiet_hours_broken == 0
    assert invites.over_own_daily_max == 0
    money = default.money
    assert money.orders_placed > 0
    assert money.refused_by_code.get("cap_reached", 0) > 0  # the spenders did try
    assert money.people_past_their_cap == 0
    assert _check(default, "nobody receives an invite their preferences refuse")
    assert _check(default, "nobody commits money past their caps")


def test_default_community_farm_rings_are_confirmed_within_a_day(default: Figures) -> None:
    assert len(default.rings) == 2
    for ring in default.rings:
        assert ring.confirmed_after_hours is not None
        assert ring.confirmed_after_hours <= 24
    farm = default.fake["farm"]
    assert farm.counted <= 0.05 * farm.attempted
    assert _check(default, "every farm ring confirmed within one simulated day")


def test_default_community_counts_at_most_five_percent_of_fake_assists(
    default: Figures,
) -> None:
    fake = default.fake["all"]
    assert fake.attempted >= 80
    assert fake.counted <= 0.05 * fake.attempted
    assert _check(default, "fake assists counted ≤ 5% of attempted")


def test_a_missed_bar_names_the_defence_that_let_it_through(default: Figures) -> None:
    for check in default.checks:
        assert (check.let_through_by is None) == check.passed, check


def test_viral_campaign_without_attackers_voids_nothing_and_restricts_no_one() -> None:
    viral = _played("viral")
    assert viral.honest["viral"].attempted >= 30
    assert viral.honest["all"].voided == 0
    assert viral.honest_restricted == 0
    assert viral.honest_banned == 0
    assert viral.fake["all"].attempted == 0


def test_brigaded_sender_keeps_their_reach() -> None:
    brigading = _played("brigading")
    [sender] = brigading.brigaded
    assert sender.reports_filed > 0  # the brigade did report
    assert sender.sender_restricted is False
    assert sender.reach_before is not None
    assert sender.reach_after is not None
    assert sender.reach_after >= sender.reach_before


def test_same_scenario_and_seed_give_the_same_report(small: Figures) -> None:
    again = play(_small(), seed=7)
    assert figures_json(again) == figures_json(small)
    assert render_html(again) == render_html(small)


def test_report_is_one_self_contained_page_with_its_charts(small: Figures) -> None:
    if not CHART_JS.present():
        pytest.skip("Chart.js is not vendored here (make install fetches it)")
    page = render_html(small)
    assert CHART_JS.path.read_text(encoding="utf-8")[:200].replace("</", "<\\/") in page
    # Nothing is loaded from anywhere: no src= or href= at all, no stylesheet link.
    assert not re.search(r"""\s(src|href)=""", page)
    embedded = re.search(r'<script type="application/json" id="figures">(.*?)</script>', page, re.S)
    assert embedded is not None
    assert json.loads(embedded.group(1)) == json.loads(figures_json(small))
    for check in small.checks:
        assert check.name in page


def test_report_without_chart_js_says_so_and_keeps_every_table(
    small: Figures, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "CHART_JS", replace(CHART_JS, name="absent.js"))
    page = render_html(small)
    assert "Charts are missing" in page
    assert "<canvas" not in page
    assert page.count("<table>") == 7
    assert str(small.money.orders_placed) in page


def test_simulate_run_writes_the_report_and_its_json(tmp_path: Path) -> None:
    scenario = tmp_path / "small.toml"
    scenario.write_text(SMALL, encoding="utf-8")
    out = tmp_path / "out" / "report.html"
    result = CliRunner().invoke(
        app, ["simulate", "run", str(scenario), "--seed", "7", "--report", str(out)]
    )
    figures = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    missed = [c["name"] for c in figures["checks"] if not c["passed"]]
    assert result.exit_code == (1 if missed else 0), result.output
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert figures["seed"] == 7
    assert figures["scenario"] == "small"


def test_simulate_run_refuses_a_wrong_scenario_naming_the_key(tmp_path: Path) -> None:
    scenario = tmp_path / "wrong.toml"
    scenario.write_text('name = "x"\n[population]\nfriend_circle = 2\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["simulate", "run", str(scenario)])
    assert result.exit_code == 2
    assert "population.friend_circle" in result.output


def test_report_draws_its_charts_in_a_browser_with_no_network(
    small: Figures, tmp_path: Path
) -> None:
    if not CHART_JS.present():
        pytest.skip("Chart.js is not vendored here (make install fetches it)")
    page_path = tmp_path / "report.html"
    page_path.write_text(render_html(small), encoding="utf-8")
    with chromium_page() as page:
        errors: list[str] = []
        requests: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_path.as_uri())
        drawn = page.evaluate(
            """() => [...document.querySelectorAll("canvas")].map(c => {
                const chart = Chart.getChart(c);
                return chart ? chart.data.datasets.reduce((n, d) => n + d.data.length, 0) : 0;
            })"""
        )
    assert errors == []
    assert requests == [page_path.as_uri()]  # the page alone: nothing else fetched
    assert len(drawn) == 3
    assert all(n > 0 for n in drawn)


def test_simulate_compare_shows_what_a_setting_changes(tmp_path: Path) -> None:
    """The same community, once with the inline scorer off: what it held in the first
    is not held in the second, side by side."""
    first, second = tmp_path / "a.toml", tmp_path / "b.toml"
    first.write_text(SMALL, encoding="utf-8")
    second.write_text(
        SMALL.replace('name = "small"', 'name = "small, no holds"').replace(
            "[settings.detect]", "[settings.risk]\ninline_enabled = false\n\n[settings.detect]"
        ),
        encoding="utf-8",
    )
    out = tmp_path / "both.json"
    result = CliRunner().invoke(
        app,
        ["simulate", "compare", str(first), str(second), "--seed", "7", "--out", str(out)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    a, b = json.loads(out.read_text(encoding="utf-8"))
    assert (a["scenario"], b["scenario"]) == ("small", "small, no holds")
    assert a["fake"]["all"]["held"] > 0
    assert b["fake"]["all"]["held"] == 0
    # The table's row: the figure, then A's value and B's, between its rules.
    row = rf"fake\.all\.held[\s│]+{a['fake']['all']['held']}[\s│]+0[\s│]"
    assert re.search(row, result.output), result.output


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_same_run_on_postgresql_gives_the_same_figures(small: Figures, db_url: str) -> None:
    assert figures_json(play(_small(), seed=7, database_url=db_url)) == figures_json(small)


def test_every_bar_of_the_report_is_named_in_both_languages(small: Figures) -> None:
    page = render_html(small)
    for check in small.checks:
        assert report.BARS_ZH[check.name] in page


def test_a_community_of_no_one_plays_and_reports_nothing_happened() -> None:
    empty = parse_scenario(
        {
            "name": "empty",
            "days": 1,
            "settle_hours": 1,
            "population": {
                "friend_circles": 0,
                "mutual_help_groups": 0,
                "viral_sharers": 0,
                "spenders": 0,
            },
        }
    )
    figures = play(empty, seed=1)
    assert figures.people == {}
    assert figures.fake["all"].attempted == 0
    assert figures.honest["all"].attempted == 0
    assert figures.campaigns.activities_started == 0
    assert all(check.passed for check in figures.checks)
    assert "<table>" in render_html(figures)
