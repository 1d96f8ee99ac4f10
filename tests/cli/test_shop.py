"""`huzhu shop create` bootstraps a shop whose owner can sign in."""

from __future__ import annotations

from typer.testing import CliRunner

from huzhu.accounts import service as accounts
from huzhu.cli.main import app
from huzhu.db import Database
from tests.conftest import make_settings


def test_shop_create_makes_an_owner_who_can_sign_in(sqlite_url: str) -> None:
    runner = CliRunner()
    env = {"HUZHU_DATABASE_URL": sqlite_url, "HUZHU_OWNER_PASSWORD": "a-long-password-1"}
    result = runner.invoke(
        app,
        ["shop", "create", "--slug", "acme", "--name", "Acme", "--owner-email", "boss@acme.test"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    settings = make_settings(sqlite_url)
    db = Database(settings.db)
    with db.unit_of_work() as session:
        token, _ = accounts.login(
            session, settings, email="boss@acme.test", password="a-long-password-1"
        )
        assert accounts.authenticate(session, settings, token).role.value == "owner"
    db.dispose()


def test_shop_create_refuses_a_duplicate_owner_email_without_a_traceback(sqlite_url: str) -> None:
    runner = CliRunner()
    env = {"HUZHU_DATABASE_URL": sqlite_url, "HUZHU_OWNER_PASSWORD": "a-long-password-1"}
    args = ["shop", "create", "--name", "A", "--owner-email", "boss@acme.test"]
    assert runner.invoke(app, [*args[:2], "--slug", "a1", *args[2:]], env=env).exit_code == 0
    again = runner.invoke(app, [*args[:2], "--slug", "a2", *args[2:]], env=env)
    assert again.exit_code == 1
    assert "already an operator" in again.output


def test_shop_create_refuses_a_taken_slug(sqlite_url: str) -> None:
    runner = CliRunner()
    env = {"HUZHU_DATABASE_URL": sqlite_url, "HUZHU_OWNER_PASSWORD": "a-long-password-1"}
    first = ["shop", "create", "--slug", "acme", "--name", "A", "--owner-email", "a@acme.test"]
    second = ["shop", "create", "--slug", "acme", "--name", "B", "--owner-email", "b@acme.test"]
    assert runner.invoke(app, first, env=env).exit_code == 0
    again = runner.invoke(app, second, env=env)
    assert again.exit_code == 1
    assert "exists" in again.output
