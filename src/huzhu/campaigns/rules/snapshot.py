"""The frozen rules snapshot a campaign version stores: pure functions, no I/O.

Other domains read these keys (docs/architecture.md, "The frozen rules snapshot"), so the
snapshot holds exactly them — every default resolved, every time as ISO UTC text — and
nothing else: an instance's terms must not depend on settings that change later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

COMMON_KEYS = (
    "kind",
    "channel",
    "instance_ttl_seconds",
    "daily_assists_per_helper",
    "reference_price_cents",
)
# A price cut names the item it sells (or null) and the window its reference price is
# checked against (resolved from settings like any default).
PRICED_KEYS = ("item_id", "reference_window_days")
KIND_KEYS: dict[str, tuple[str, ...]] = {
    "bargain": (
        "price_cents",
        "floor_cents",
        "max_helpers",
        "split",
        "purchase_window_seconds",
        *PRICED_KEYS,
    ),
    "groupbuy": ("team_size", "price_cents", "group_price_cents", *PRICED_KEYS),
    "lottery": ("draw_at", "entry_cap", "base_entries", "prizes", "commitment_hex"),
    "unlock": ("helpers_needed", "reward_cents", "reward_name"),
}
# Lottery terms a participant has entered under: after launch they never change.
LOTTERY_FROZEN_AT_LAUNCH = ("draw_at", "entry_cap", "base_entries", "prizes")
# Campaign columns (not part of the snapshot) that a config also carries.
CAMPAIGN_FIELDS = ("name", "description", "budget_cents", "inventory_total", "starts_at", "ends_at")


@dataclass(frozen=True, slots=True)
class Defaults:
    instance_ttl_seconds: int
    daily_assists_per_helper: int
    purchase_window_seconds: int
    reference_window_days: int


def iso_utc(value: datetime) -> str:
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.isoformat()


def rules_snapshot(
    config: Mapping[str, Any], *, defaults: Defaults, commitment_hex: str | None = None
) -> dict[str, Any]:
    """The snapshot of a validated config (a create body as a dict)."""
    kind = str(config["kind"])
    reference = config.get("reference_price_cents")
    if reference is None and kind in ("bargain", "groupbuy"):
        # A price cut always states its reference price; without one given, the price
        # itself is the reference (the cut is then measured from what is really charged).
        reference = config["price_cents"]
    rules: dict[str, Any] = {
        "kind": kind,
        "channel": config["channel"],
        "instance_ttl_seconds": int(
            config.get("instance_ttl_seconds") or defaults.instance_ttl_seconds
        ),
        "daily_assists_per_helper": int(
            config.get("daily_assists_per_helper") or defaults.daily_assists_per_helper
        ),
        "reference_price_cents": None if reference is None else int(reference),
    }
    if kind in ("bargain", "groupbuy"):
        item_id = config.get("item_id")
        rules.update(
            item_id=None if item_id is None else int(item_id),
            reference_window_days=defaults.reference_window_days,
        )
    if kind == "bargain":
        rules.update(
            price_cents=int(config["price_cents"]),
            floor_cents=int(config["floor_cents"]),
            max_helpers=int(config["max_helpers"]),
            split=str(config.get("split") or "double_mean"),
            purchase_window_seconds=int(
                config.get("purchase_window_seconds") or defaults.purchase_window_seconds
            ),
        )
    elif kind == "groupbuy":
        rules.update(
            team_size=int(config["team_size"]),
            price_cents=int(config["price_cents"]),
            group_price_cents=int(config["group_price_cents"]),
        )
    elif kind == "lottery":
        draw_at = config["draw_at"]
        rules.update(
            draw_at=iso_utc(draw_at) if isinstance(draw_at, datetime) else str(draw_at),
            entry_cap=int(config["entry_cap"]),
            base_entries=int(config.get("base_entries") or 0),
            prizes=[
                {
                    "name": str(p["name"]),
                    "value_cents": int(p["value_cents"]),
                    "quantity": int(p["quantity"]),
                }
                for p in config["prizes"]
            ],
            commitment_hex=commitment_hex,
        )
    elif kind == "unlock":
        rules.update(
            helpers_needed=int(config["helpers_needed"]),
            reward_cents=int(config["reward_cents"]),
            reward_name=str(config.get("reward_name") or ""),
        )
    else:
        raise ValueError(f"unknown campaign kind {kind!r}")
    return rules


# Snapshot keys the engine sets, which a create body does not carry.
_NOT_CONFIG = frozenset({"commitment_hex", "reference_window_days"})


def config_of(campaign: Mapping[str, Any], rules: Mapping[str, Any]) -> dict[str, Any]:
    """The create-body config a stored campaign corresponds to, for merging an edit into
    and validating again: the campaign's columns plus its current snapshot."""
    config = {key: campaign[key] for key in CAMPAIGN_FIELDS}
    config.update({key: value for key, value in rules.items() if key not in _NOT_CONFIG})
    return config


def frozen_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The lottery terms an edit would change although entrants already hold them."""
    if before.get("kind") != "lottery":
        return []
    return [key for key in LOTTERY_FROZEN_AT_LAUNCH if before.get(key) != after.get(key)]
