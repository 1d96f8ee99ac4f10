"""Scenario files: every shipped one reads; a wrong one is refused naming what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from huzhu.simulate.engine import simulation_settings
from huzhu.simulate.scenario import ScenarioError, load_scenario, parse_scenario

SCENARIOS = Path(__file__).parents[2] / "scenarios"


def test_every_shipped_scenario_reads() -> None:
    names = sorted(p.stem for p in SCENARIOS.glob("*.toml"))
    assert names == ["brigading", "default", "farm", "spam", "viral"]
    for path in SCENARIOS.glob("*.toml"):
        assert load_scenario(path).name


def test_a_misspelt_key_is_refused_by_its_name() -> None:
    with pytest.raises(ScenarioError, match=r"population\.friend_circle: Extra inputs"):
        parse_scenario({"name": "x", "population": {"friend_circle": 3}})


def test_an_impossible_size_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"attackers\.farm\.phones"):
        parse_scenario({"name": "x", "attackers": {"farm": {"phones": 0}}})


def test_a_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("name = [unclosed\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not TOML"):
        load_scenario(path)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="No such file"):
        load_scenario(tmp_path / "absent.toml")


def test_a_misspelt_setting_is_refused_not_dropped() -> None:
    scenario = parse_scenario({"name": "x", "settings": {"risk": {"hold_scor": 0.5}}})
    with pytest.raises(ScenarioError, match=r"risk\.hold_scor"):
        simulation_settings(scenario, "sqlite:///unused.db")


def test_a_setting_out_of_range_is_refused() -> None:
    scenario = parse_scenario({"name": "x", "settings": {"risk": {"hold_score": 7}}})
    with pytest.raises(ScenarioError, match="hold_score"):
        simulation_settings(scenario, "sqlite:///unused.db")


def test_the_machine_environment_does_not_change_a_scenario(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HUZHU_RISK__HOLD_SCORE", "0.9")
    scenario = parse_scenario({"name": "x", "settings": {"risk": {"refuse_score": 0.99}}})
    settings = simulation_settings(scenario, "sqlite:///unused.db")
    assert settings.risk.hold_score == 0.6
    assert settings.risk.refuse_score == 0.99


def test_a_redis_url_is_refused_because_its_expiry_keeps_real_time() -> None:
    """On Redis a rate limit's window is a key's TTL, counted by the server in real
    time: a simulated day would pass inside one window, so the run refuses it rather
    than report what real-time limits did to a simulated community."""
    scenario = parse_scenario(
        {"name": "x", "settings": {"redis": {"url": "redis://127.0.0.1:6379/0"}}}
    )
    with pytest.raises(ScenarioError, match=r"redis\.url: the wargame runs on a simulated"):
        simulation_settings(scenario, "sqlite:///unused.db")
    assert simulation_settings(parse_scenario({"name": "x"}), "sqlite://").redis.url is None
