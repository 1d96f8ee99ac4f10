"""What a campaign must hold back so that its promises can always be paid: pure
functions over a frozen rules snapshot (docs/architecture.md, "Reservations").

Reserving the worst case up front is what makes "the budget is never exceeded" a property
of the database rather than a hope: an instance that could not be paid is never started.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def worst_case_reservation(rules: Mapping[str, Any]) -> tuple[int, int]:
    """(cents, units) one instance — or, for a group buy, one order — may cost at most.

    A lottery reserves nothing per instance: its whole prize pool is reserved once, at
    launch (`prize_pool`), because the prizes are the same however many people enter."""
    kind = rules["kind"]
    if kind == "bargain":
        return int(rules["price_cents"]) - int(rules["floor_cents"]), 1
    if kind == "groupbuy":
        return int(rules["price_cents"]) - int(rules["group_price_cents"]), 1
    if kind == "unlock":
        return int(rules["reward_cents"]), 1
    if kind == "lottery":
        return 0, 0
    raise ValueError(f"unknown campaign kind {kind!r}")


def prize_pool(rules: Mapping[str, Any]) -> tuple[int, int]:
    """(cents, units) of a lottery's whole prize pool: Σ value × quantity, Σ quantity."""
    prizes = rules.get("prizes") or []
    cents = sum(int(p["value_cents"]) * int(p["quantity"]) for p in prizes)
    units = sum(int(p["quantity"]) for p in prizes)
    return cents, units


def launch_reservation(rules: Mapping[str, Any]) -> tuple[int, int]:
    """What launching reserves at once: a lottery's prize pool; nothing for the others."""
    return prize_pool(rules) if rules["kind"] == "lottery" else (0, 0)


def minimum_commitment(rules: Mapping[str, Any]) -> tuple[int, int]:
    """The least budget and stock a campaign must have to be worth launching: one
    instance's (or order's) worst case, or a lottery's whole prize pool. A group buy's
    stock must hold one whole team, which its leader's order reserves: with less, no
    team could ever open."""
    if rules["kind"] == "lottery":
        return prize_pool(rules)
    cents, units = worst_case_reservation(rules)
    if rules["kind"] == "groupbuy":
        units = int(rules["team_size"])
    return cents, units


def places_left(
    *, budget_left_cents: int, inventory_left: int, rules: Mapping[str, Any]
) -> int | None:
    """How many more instances (or orders) the free budget and stock can cover; None for
    a lottery, whose prizes are already reserved and whose entries are not limited."""
    cents, units = worst_case_reservation(rules)
    if cents == 0 and units == 0:
        return None
    by_budget = budget_left_cents // cents if cents else inventory_left
    by_stock = inventory_left // units if units else by_budget
    return max(0, min(by_budget, by_stock))
