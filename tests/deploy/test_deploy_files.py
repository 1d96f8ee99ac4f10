"""The deployment files say only what is true: every `huzhu` command line in the
Dockerfile, compose.yaml and the production guide parses against the real CLI, every
HUZHU_* variable they (and the README) name is a setting, every path they point at is a
route, and the environment compose.yaml gives the containers passes production mode's
own check. No container engine runs on the test machines, so this is what can be
checked without one."""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

# Typer carries its own copy of click; its parser raises these.
from typer._click.exceptions import UsageError
from typer.core import TyperGroup

from huzhu.app import create_app
from huzhu.cli.main import app as cli
from huzhu.config import (
    OTHER_VARIABLES,
    Settings,
    production_findings,
    setting_names,
    unknown_variables,
)

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE_TEXT = (ROOT / "compose.yaml").read_text()
COMPOSE: dict[str, Any] = yaml.safe_load(COMPOSE_TEXT)
GUIDE = (ROOT / "docs" / "production.md").read_text()
ENV_EXAMPLE = (ROOT / "deploy" / "env.example").read_text()
README = (ROOT / "README.md").read_text()
INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?::(?P<op>[-?])(?P<arg>[^}]*))?\}")


def _dockerfile_json(instruction: str) -> list[str]:
    """The exec-form array of the Dockerfile's last INSTRUCTION (continuations joined)."""
    joined = DOCKERFILE.replace("\\\n", " ")
    lines = [line for line in joined.splitlines() if line.startswith(instruction + " ")]
    form = lines[-1].removeprefix(instruction + " ").strip()
    if instruction == "HEALTHCHECK":
        form = form.split(" CMD ", 1)[1]
    parsed: list[str] = json.loads(form)
    return parsed


def _guide_commands() -> list[list[str]]:
    """Every `huzhu …` command of the guide: in code blocks and in inline code."""
    found = []
    blocks = re.findall(r"```bash\n(.*?)```", GUIDE, flags=re.S)
    inline = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", GUIDE, flags=re.S))
    for text in [*"\n".join(blocks).splitlines(), *inline]:
        words = shlex.split(text.split("#", 1)[0])
        # The command itself, or run inside a compose service (`… run --rm app huzhu …`);
        # not `huzhu` as a database user or name.
        starts = [
            i for i, w in enumerate(words) if w == "huzhu" and (i == 0 or words[i - 1] == "app")
        ]
        found.extend(words[i:] for i in starts)
    return found


def _compose_commands() -> list[list[str]]:
    out = []
    for service in COMPOSE["services"].values():
        command = service.get("command")
        if command and command[0] == "huzhu":
            out.append([_interpolate(word) for word in command])
    return out


def _example_env() -> dict[str, str]:
    """deploy/env.example's values, with the blanks an operator must fill filled."""
    values = {}
    for line in ENV_EXAMPLE.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    assert set(values) >= {"HUZHU_SECURITY__SECRET_KEY", "HUZHU_BASE_URL", "POSTGRES_PASSWORD"}
    filled = {"HUZHU_SECURITY__SECRET_KEY": "s" * 48, "POSTGRES_PASSWORD": "pw"}
    return {k: v or filled[k] for k, v in values.items()}


def _interpolate(text: str) -> str:
    env = _example_env()

    def one(m: re.Match[str]) -> str:
        name, op, arg = m["name"], m["op"], m["arg"]
        if env.get(name):
            return env[name]
        assert op == "-", f"compose needs {name}, which deploy/env.example does not set"
        return str(arg)

    return INTERPOLATION.sub(one, text)


def _check_command(words: list[str]) -> None:
    """Parse a command line with the real CLI's parser (nothing runs): walk the command
    groups by name, then let the command itself parse its options and arguments."""
    assert words[0] == "huzhu"
    command = typer.main.get_command(cli)
    path, rest = ["huzhu"], words[1:]
    while isinstance(command, TyperGroup):
        if not rest or rest[0] not in command.commands:
            raise UsageError(f"no command {rest[:1]} under {' '.join(path)}")
        path.append(rest[0])
        command, rest = command.commands[rest[0]], rest[1:]
    command.make_context(" ".join(path), list(rest))


def test_every_command_the_deployment_names_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    # `huzhu shop create` prompts for the password unless the environment has it.
    monkeypatch.setenv("HUZHU_OWNER_PASSWORD", "a long enough password")
    commands = [
        _dockerfile_json("CMD"),
        *_compose_commands(),
        *_guide_commands(),
    ]
    assert len(commands) >= 8
    for words in commands:
        try:
            _check_command(words)
        except UsageError as refused:
            pytest.fail(f"{shlex.join(words)}: {refused.format_message()}")


def test_a_misspelt_option_would_be_caught() -> None:
    with pytest.raises(UsageError):
        _check_command(["huzhu", "serve", "--no-migrations"])
    with pytest.raises(UsageError):
        _check_command(["huzhu", "shop", "make", "--slug", "x"])


def _named_variables(text: str) -> set[str]:
    """HUZHU_* names in a text; `HUZHU_X_*` or `HUZHU_X_START` / `_END` name a family."""
    return set(re.findall(r"HUZHU_[A-Z0-9_]*[A-Z0-9]", text))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("Dockerfile", DOCKERFILE),
        ("compose.yaml", COMPOSE_TEXT),
        ("deploy/env.example", ENV_EXAMPLE),
        ("docs/production.md", GUIDE),
        ("README.md", README),
    ],
)
def test_every_variable_named_is_a_setting(name: str, text: str) -> None:
    known = setting_names() | OTHER_VARIABLES
    unknown = {
        variable
        for variable in _named_variables(text)
        # A family (`HUZHU_DETECT__SCHEDULE_*`): some setting must start with it.
        if variable not in known and not any(k.startswith(variable + "_") for k in known)
    }
    assert not unknown, f"{name} names variables that are no setting: {sorted(unknown)}"


def test_the_containers_environment_passes_production_mode(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    services = COMPOSE["services"]
    env = {k: _interpolate(str(v)) for k, v in services["app"]["environment"].items()}
    budget = "HUZHU_DB__MAX_CONNECTIONS"
    for role in ("migrate", "app", "worker"):
        # One environment for all three, but for each service's connection budget.
        role_env = {k: v for k, v in services[role]["environment"].items() if k != budget}
        assert role_env == {k: v for k, v in services["app"]["environment"].items() if k != budget}
        assert services[role]["build"] == "."
    assert env["HUZHU_ENV"] == "production"
    assert unknown_variables(env) == []
    for key in [k for k in os.environ if k.startswith("HUZHU_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert production_findings(settings) == []
    assert settings.db.url.startswith("postgresql://huzhu:pw@postgres:5432/")
    assert settings.redis.url == "redis://redis:6379/0"
    # The proxy the settings trust is the gateway of the network compose declares.
    (subnet,) = COMPOSE["networks"]["huzhu"]["ipam"]["config"]
    assert settings.web.trusted_proxies == subnet["gateway"]


def test_the_connection_budgets_fit_the_database() -> None:
    """The web service's and the job worker's budgets, each shared by its processes,
    leave PostgreSQL's max_connections a few spare (psql, backups, its reserved ones)."""
    services = COMPOSE["services"]
    flags = services["postgres"]["command"]
    limit = int(flags[flags.index("-c") + 1].removeprefix("max_connections="))
    budgets = [
        int(_interpolate(str(services[role]["environment"]["HUZHU_DB__MAX_CONNECTIONS"])))
        for role in ("app", "worker")
    ]
    assert sum(budgets) + 10 <= limit


def test_the_services_start_in_order_and_migrate_once() -> None:
    services = COMPOSE["services"]
    assert set(services) == {"postgres", "redis", "migrate", "app", "worker"}
    assert services["migrate"]["command"] == ["huzhu", "migrate"]
    assert services["migrate"]["restart"] == "no"
    for role in ("app", "worker"):
        assert services[role]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert "--no-migrate" in services["app"]["command"]
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    # The web service is reached through the host's TLS proxy only.
    assert all(p.startswith("127.0.0.1:") for p in services["app"]["ports"])


def test_the_image_runs_unprivileged_and_fetches_nothing_at_run_time() -> None:
    stages = re.findall(r"^FROM (\S+)", DOCKERFILE, flags=re.M)
    assert len(stages) == 2
    assert all(stage == "python:3.11-slim" for stage in stages)
    users = re.findall(r"^USER (\S+)", DOCKERFILE, flags=re.M)
    assert users
    assert users[-1] not in {"root", "0"}
    build = DOCKERFILE.split("\nFROM ", 2)[1]
    assert build.index("fetch_vendor.py --strict") < build.index("pip install")
    assert "test" not in re.findall(r"pip install[^\n]*", build)[0]  # no test tools
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    for copied in re.findall(r"^COPY (?!--from)(.+) \S+$", DOCKERFILE, flags=re.M):
        for source in copied.split():
            assert source not in ignored, f".dockerignore drops {source}, which is copied"


def test_the_paths_the_deployment_points_at_are_routes(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/d.db", env="test"))
    # Paths with their parameters' names left out: `/tokens/{id}` is `/tokens/{token_id}`.
    routes = {re.sub(r"\{\w+\}", "{}", p) for p in app.openapi()["paths"]}
    health = next(w for w in _dockerfile_json("HEALTHCHECK") if "urlopen" in w)
    pointed = set(re.findall(r"http://127\.0\.0\.1:8000(/[\w/{}]+)", health))
    pointed |= set(re.findall(r"`(?:[A-Z]+ )?(/(?:healthz|readyz|api/v1/[\w/{}]+))`", GUIDE))
    pointed |= set(re.findall(r"\((?:POST|DELETE|GET) (/api/v1/[\w/{}]+)\)", GUIDE))
    assert {"/healthz", "/readyz"} <= pointed
    pointed = {re.sub(r"\{\w+\}", "{}", p) for p in pointed}
    assert pointed <= routes, f"not routes: {sorted(pointed - routes)}"
    port = _dockerfile_json("CMD")[_dockerfile_json("CMD").index("--port") + 1]
    assert f"EXPOSE {port}" in DOCKERFILE
