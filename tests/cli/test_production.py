"""Production mode: `HUZHU_ENV=production` with any unsafe setting — the dev key, the
open name-based sign-in, private webhook targets, insecure cookies, a base URL that is
not a public https address — refuses to start (`huzhu serve`, `huzhu worker`, and the
app itself), naming that setting; with all of them safe it starts. `huzhu check` prints
the same findings for any environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huzhu.app import create_app
from huzhu.cli.main import app as cli
from huzhu.config import (
    Settings,
    UnsafeForProduction,
    production_findings,
    setting_names,
    unknown_variables,
)

SAFE = {
    "HUZHU_ENV": "production",
    "HUZHU_SECURITY__SECRET_KEY": "k" * 20 + "x7Q2mP9vL4nR8tW1zY6cB3",
    "HUZHU_ACCOUNTS__LOCAL_LOGIN_OPEN": "false",
    "HUZHU_WEBHOOKS__ALLOW_PRIVATE_TARGETS": "false",
    "HUZHU_WEB__SECURE_COOKIES": "true",
    "HUZHU_BASE_URL": "https://shop.example.com",
}
UNSAFE = {
    "HUZHU_SECURITY__SECRET_KEY": "huzhu-embedded-dev-key-change-me",
    "HUZHU_ACCOUNTS__LOCAL_LOGIN_OPEN": "true",
    "HUZHU_WEBHOOKS__ALLOW_PRIVATE_TARGETS": "true",
    "HUZHU_WEB__SECURE_COOKIES": "false",
    "HUZHU_BASE_URL": "http://127.0.0.1:8000",
}
ALSO_UNSAFE = [
    ("HUZHU_SECURITY__SECRET_KEY", "too-short-a-secret"),
    ("HUZHU_BASE_URL", "http://shop.example.com"),
    ("HUZHU_BASE_URL", "https://localhost:8443"),
]


def _env(tmp_path: Path, **changes: str) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith("HUZHU_")}
    return kept | SAFE | {"HUZHU_DATABASE_URL": f"sqlite:///{tmp_path}/p.db"} | changes


def _settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **changes: str) -> Settings:
    for key in list(os.environ):
        if key.startswith("HUZHU_"):
            monkeypatch.delenv(key)
    for key, value in _env(tmp_path, **changes).items():
        if key.startswith("HUZHU_"):
            monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)  # no .env of the checkout is read
    return Settings()


def _huzhu(tmp_path: Path, *args: str, **changes: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "huzhu.cli.main", *args],
        env=_env(tmp_path, **changes),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(("setting", "value"), [*UNSAFE.items(), *ALSO_UNSAFE])
def test_each_unsafe_setting_alone_stops_the_app_and_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str, value: str
) -> None:
    settings = _settings(tmp_path, monkeypatch, **{setting: value})
    assert [f.setting for f in production_findings(settings)] == [setting]
    with pytest.raises(UnsafeForProduction) as refused:
        create_app(settings)
    assert setting in str(refused.value)
    assert [f.setting for f in refused.value.findings] == [setting]


def test_with_every_setting_safe_the_app_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path, monkeypatch)
    assert production_findings(settings) == []
    assert create_app(settings).state.settings is settings


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_serve_and_worker_refuse_to_start_naming_every_unsafe_setting(
    tmp_path: Path, command: str
) -> None:
    done = _huzhu(tmp_path, command, "--no-migrate" if command == "serve" else "--once", **UNSAFE)
    assert done.returncode == 2, done.stdout + done.stderr
    for setting in UNSAFE:
        assert setting in done.stderr
    assert "Traceback" not in done.stderr


def test_check_prints_the_findings_for_any_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    for key in list(os.environ):
        if key.startswith("HUZHU_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    embedded = runner.invoke(cli, ["check"])
    assert embedded.exit_code == 0, embedded.output
    assert "would refuse to start" in embedded.output
    for setting in UNSAFE:
        assert setting in embedded.output
    for key, value in SAFE.items():
        monkeypatch.setenv(key, value)
    assert "nothing unsafe" in runner.invoke(cli, ["check"]).output
    monkeypatch.setenv("HUZHU_WEB__SECURE_COOKIES", "false")
    production = runner.invoke(cli, ["check"])
    assert production.exit_code == 1
    assert "HUZHU_WEB__SECURE_COOKIES" in production.output
    assert "HUZHU_BASE_URL" not in production.output


def test_a_misspelt_setting_is_named_with_the_one_meant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One underscore instead of two: pydantic-settings ignores the variable, and the dev
    # key it was meant to replace stays in force without a word.
    typo = "HUZHU_RISK_HOLD_SCORE"
    settings = _settings(tmp_path, monkeypatch, HUZHU_RISK_HOLD_SCORE="0.7")
    assert settings.risk.hold_score != 0.7  # ignored, as the finding says
    monkeypatch.setenv("COLUMNS", "300")
    shown = CliRunner().invoke(cli, ["check"])
    assert shown.exit_code == 1, shown.output  # production mode: it would refuse to start
    assert typo in shown.output
    assert "HUZHU_RISK__HOLD_SCORE" in shown.output
    done = _huzhu(tmp_path, "worker", "--once", HUZHU_RISK_HOLD_SCORE="0.7")
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{typo} is not a Huzhu setting" in done.stderr
    assert "rename it to HUZHU_RISK__HOLD_SCORE" in done.stderr


def test_every_setting_and_section_is_a_known_variable() -> None:
    names = setting_names()
    assert {"HUZHU_ENV", "HUZHU_DATABASE_URL", "HUZHU_RISK", "HUZHU_RISK__HOLD_SCORE"} <= names
    assert unknown_variables({"HUZHU_RISK__HOLD_SCORE": "0.7", "PATH": "/bin"}) == []
    assert unknown_variables({"huzhu_env": "test", "HUZHU_REQUIRE_SERVICES": "1"}) == []
    (odd,) = unknown_variables({"HUZHU_NOTHING_LIKE_IT_AT_ALL_QQQ": "1"})
    assert "configuration table" in odd.fix
