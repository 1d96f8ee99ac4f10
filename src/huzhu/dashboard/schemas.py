"""What the dashboard shows: one model for the page and its polled JSON."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from huzhu.assists.schemas import InstanceView


class Series(BaseModel):
    """Cumulative figures at each moment of `at` (the last is now); a share or a rate is
    null where there was nothing to divide yet."""

    at: list[datetime]
    at_text: list[str] = Field(description="each moment as people read it, in the shop's zone")
    counted: list[int]
    members: list[int]
    held_share: list[float | None]
    voided_share: list[float | None]
    complaints_per_1000: list[float | None]
    k_factor: list[float | None]
    k_factor_gross: list[float | None]


class LiveFigures(BaseModel):
    kind: str
    status: str
    as_of: datetime
    as_of_text: str = Field(description="as_of as people read it, in the shop's zone")
    instances: int
    instances_by_status: dict[str, int]
    counted: int = Field(description="counted assists")
    held: int
    voided: int
    members: int = Field(description="group buy: people who joined a team they did not open")
    held_share: float | None = Field(description="of all assists given, the share held now")
    voided_share: float | None
    invites_delivered: int
    complaints: int = Field(description="mutes + blocks + spam reports after an invite")
    mutes: int
    blocks: int
    reports: int
    complaints_per_1000: float | None
    starters: int
    newcomers: int = Field(description="new participants, net of voided assists")
    newcomers_gross: int
    k_factor: float | None = Field(description="new participants per starter, net of voided")
    k_factor_gross: float | None
    budget_cents: int
    budget_used_cents: int
    budget_reserved_cents: int
    budget_spent_cents: int
    inventory_total: int
    inventory_used: int
    inventory_reserved: int
    inventory_consumed: int
    series: Series
    latest: list[InstanceView] = Field(
        description="the newest instances, newest first, read with the figures above"
    )
