"""Every process entry plugs the domains together before it works (huzhu/wiring.py): an
inbox message sent from the API, a job, a CLI command or the seed gets its WeChat copy."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from huzhu.app import create_app
from huzhu.cli.main import app as cli
from huzhu.notify import service as notify
from huzhu.wiring import wire
from tests.conftest import make_settings


@pytest.fixture
def unwired(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notify, "_INBOX_CHANNELS", {})


@pytest.mark.usefixtures("unwired")
def test_wiring_registers_the_wechat_inbox_channel_once() -> None:
    wire()
    wire()
    assert notify.inbox_channel_names() == ["wechat"]


@pytest.mark.usefixtures("unwired")
def test_create_app_wires_the_domains(sqlite_url: str) -> None:
    create_app(make_settings(sqlite_url))
    assert notify.inbox_channel_names() == ["wechat"]


@pytest.mark.usefixtures("unwired")
def test_every_huzhu_command_runs_wired() -> None:
    result = CliRunner().invoke(cli, ["shop", "--help"])
    assert result.exit_code == 0, result.output
    assert notify.inbox_channel_names() == ["wechat"]
