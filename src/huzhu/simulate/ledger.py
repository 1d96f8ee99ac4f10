"""What the community tried and what the engine answered, as the actors saw it, and what
the shop's own operator API says afterwards: the raw material of the figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from huzhu.simulate.population import Side


@dataclass(frozen=True, slots=True)
class AssistTry:
    at: int
    person: int
    side: Side  # who really acted
    activity: int
    status: int  # HTTP status
    code: str | None  # the problem's code when refused
    assist_id: int | None


@dataclass(frozen=True, slots=True)
class InviteTry:
    at: int
    sender: int
    recipient: int
    side: Side
    delivered: bool
    code: str | None


@dataclass(frozen=True, slots=True)
class OrderTry:
    at: int
    person: int
    amount_cents: int
    placed: bool
    code: str | None


@dataclass(frozen=True, slots=True)
class Refusal:
    """Any other act the engine refused: a report, a mute, a start, a tampered open."""

    at: int
    person: int
    side: Side
    act: str
    status: int
    code: str | None


@dataclass
class Ledger:
    assists: list[AssistTry] = field(default_factory=list)
    invites: list[InviteTry] = field(default_factory=list)
    orders: list[OrderTry] = field(default_factory=list)
    reports: list[tuple[int, int, int, bool]] = field(default_factory=list)  # at, by, of, filed
    refusals: list[Refusal] = field(default_factory=list)
    instances: dict[int, int] = field(default_factory=dict)  # activity -> instance or team id
    links: dict[int, str] = field(default_factory=dict)  # activity -> share token
    opens: dict[tuple[int, int], int] = field(default_factory=dict)  # (person, activity) -> id


@dataclass
class Readback:
    """The engine's own account of the run, read through the operator API at its end."""

    assist_status: dict[int, dict[str, Any]] = field(default_factory=dict)  # assist id -> row
    cases: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    instance_status: dict[int, str] = field(default_factory=dict)  # activity -> status
    campaigns: list[dict[str, Any]] = field(default_factory=list)
    reminders: dict[int, int] = field(default_factory=dict)  # person -> reminder messages
