"""A wargame scenario: the shop's settings and campaigns, and who lives in its community.

Read from TOML (`tomllib`), checked by pydantic with unknown keys refused, so a misspelt
key is an error naming it rather than a default silently used. Sizes are counts of
people; times are in simulated seconds or hours from the start of play.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class ScenarioError(ValueError):
    """The scenario file cannot be read, or says something impossible."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bargain(_Strict):
    price_cents: int = Field(default=10_000, ge=1)
    floor_cents: int = Field(default=9_200, ge=0)
    max_helpers: int = Field(default=8, ge=1, le=100)
    instance_ttl_hours: int = Field(default=48, ge=1, le=24 * 30)
    daily_assists_per_helper: int = Field(default=10, ge=1)
    budget_cents: int = Field(default=100_000_000, ge=0)


class Groupbuy(_Strict):
    team_size: int = Field(default=3, ge=2, le=50)
    price_cents: int = Field(default=5_000, ge=1)
    group_price_cents: int = Field(default=3_000, ge=1)
    instance_ttl_hours: int = Field(default=24, ge=1, le=24 * 30)
    inventory: int = Field(default=100_000, ge=1)
    budget_cents: int = Field(default=100_000_000, ge=0)


class Campaigns(_Strict):
    bargain: Bargain = Bargain()
    groupbuy: Groupbuy = Groupbuy()


class Population(_Strict):
    """The honest community."""

    friend_circles: int = Field(default=4, ge=0)
    circle_size: int = Field(default=8, ge=2, le=50)
    starts_per_person_day: float = Field(
        default=0.3, ge=0, le=3, description="activities a friend starts a day"
    )
    open_chance: float = Field(default=0.7, ge=0, le=1, description="a friend opens a share")
    assist_chance: float = Field(default=0.8, ge=0, le=1, description="an open becomes an assist")
    enthusiasts: int = Field(default=2, ge=0, description="per circle: they open almost all")
    stranger_chance: float = Field(
        default=0.1, ge=0, le=1, description="an opener comes from another circle"
    )
    direct_invites: int = Field(default=2, ge=0, description="friends invited per activity")
    mutual_help_groups: int = Field(default=1, ge=0)
    mutual_help_size: int = Field(default=12, ge=3, le=200)
    viral_sharers: int = Field(default=1, ge=0)
    viral_group_size: int = Field(default=120, ge=2, le=5_000)
    viral_assist_chance: float = Field(default=0.15, ge=0, le=1)
    spenders: int = Field(default=3, ge=0)
    spender_daily_cap_cents: int = Field(default=8_000, ge=0)
    spender_joins_per_day: int = Field(default=6, ge=0)


class Farm(_Strict):
    """A device farm: many accounts, few phones, one network, scripted timing."""

    rings: int = Field(default=1, ge=0)
    accounts: int = Field(default=16, ge=2, description="per ring")
    phones: int = Field(default=4, ge=1, description="per ring")
    targets: int = Field(default=6, ge=1, description="activities each ring is paid to boost")


class Sybil(_Strict):
    """One-time accounts bought for one target, each on its own phone, made minutes
    before use, from a proxy pool spanning `networks` /24s (0: each its own network —
    residential proxies, which no network signal can tell from newcomers)."""

    buyers: int = Field(default=2, ge=0)
    accounts: int = Field(default=6, ge=1, description="per buyer")
    networks: int = Field(default=2, ge=0, description="/24s of the proxy pool; 0: one each")


class Hijack(_Strict):
    """Real accounts taken over and used from the attacker's phone."""

    accounts: int = Field(default=3, ge=0)
    targets: int = Field(default=3, ge=1)


class Spam(_Strict):
    """Someone who invites everyone they can name."""

    spammers: int = Field(default=1, ge=0)
    invites: int = Field(default=40, ge=0, description="per spammer")
    complaint_chance: float = Field(default=0.3, ge=0, le=1, description="a recipient reports")


class Brigade(_Strict):
    """Accounts that mass-report and mass-mute one honest sender."""

    brigades: int = Field(default=1, ge=0)
    accounts: int = Field(default=8, ge=1)


class Tamper(_Strict):
    """Someone who tampers with share links and replays assists."""

    tamperers: int = Field(default=1, ge=0)
    tries: int = Field(default=4, ge=0)


class Attackers(_Strict):
    farm: Farm = Farm(rings=0)
    sybil: Sybil = Sybil(buyers=0)
    hijack: Hijack = Hijack(accounts=0)
    spam: Spam = Spam(spammers=0)
    brigade: Brigade = Brigade(brigades=0)
    tamper: Tamper = Tamper(tamperers=0)


class Scenario(_Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    days: int = Field(default=2, ge=1, le=7, description="days of play")
    settle_hours: int = Field(default=24, ge=0, le=24 * 7, description="quiet time after play")
    settings: dict[str, Any] = Field(
        default_factory=dict, description="HUZHU_* settings, nested as in the environment"
    )
    campaigns: Campaigns = Campaigns()
    population: Population = Population()
    attackers: Attackers = Attackers()


def parse_scenario(data: dict[str, Any], *, source: str = "scenario") -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        )
        raise ScenarioError(f"{source}: {problems}") from exc


def load_scenario(path: Path) -> Scenario:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"{path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not TOML: {exc}") from exc
    return parse_scenario(data, source=str(path))
