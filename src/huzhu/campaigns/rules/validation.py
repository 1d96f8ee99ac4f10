"""Which campaign configs are refused, and why: pure functions over a config mapping.

DESIGN.md: "Operators cannot configure deceptive patterns: an unreachable bargain, a
fake countdown, fake members", and the channel profiles refuse what each channel's rules
forbid. Every refusal names the field the operator must change and says why, so a
refused campaign is a lesson, not a puzzle. The config mapping is a create body as a
dict (schemas.BargainCreate & co. after `model_dump()`); shapes and bounds were checked
by pydantic already.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from huzhu.campaigns.rules import bargain
from huzhu.campaigns.rules.budget import minimum_commitment

# Friend-assist, speed-up and bargain mechanics are banned on WeChat web links since
# 2019-10; a group buy is an order, not an assist, so it may still be shared there.
ASSIST_KINDS = frozenset({"bargain", "lottery", "unlock"})
WECHAT_WEB = "wechat_web"


@dataclass(frozen=True, slots=True)
class Refusal:
    field: str
    message: str


@dataclass(frozen=True, slots=True)
class Limits:
    max_helpers_limit: int
    max_top_prize_cents: int
    # What one activity may give away, set by the shop's platform: a bargain's cut (price
    # − floor) and an unlock's reward (settings; by default the lottery's legal top
    # prize, since a random cut is a prize promotion "discount value included").
    max_bargain_cut_cents: int
    max_unlock_reward_cents: int


def _yuan(cents: int) -> str:
    return f"¥{cents // 100}.{cents % 100:02d}"


def _utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def refusals(config: Mapping[str, Any], *, limits: Limits, now: datetime) -> list[Refusal]:
    """Everything wrong with a campaign config, each naming its field; [] = acceptable."""
    found = [*_honesty(config), *_channel(config), *_schedule(config, now=now)]
    kind_found = _KIND_RULES[config["kind"]](config, limits, now)
    found.extend(kind_found)
    if not kind_found:
        # The worst case is only meaningful once the kind's own numbers make sense.
        found.extend(_funding(config))
    return found


def _honesty(config: Mapping[str, Any]) -> list[Refusal]:
    found: list[Refusal] = []
    if int(config.get("share_reward_cents") or 0) > 0:
        found.append(
            Refusal(
                "share_reward_cents",
                "sharing is never rewarded on any channel: an assist must be the friend's "
                "own act, not a reward for spamming contacts",
            )
        )
    for field in ("countdown_resets", "extend_on_assist"):
        if config.get(field):
            found.append(
                Refusal(
                    field,
                    "a countdown is fixed when the instance starts and never restarts or "
                    "extends: a countdown that moves is a fake deadline",
                )
            )
    return found


def _channel(config: Mapping[str, Any]) -> list[Refusal]:
    if config["channel"] == WECHAT_WEB and config["kind"] in ASSIST_KINDS:
        return [
            Refusal(
                "channel",
                f"{config['kind']} is an assist mechanic, which WeChat bans on web links "
                "since 2019-10; use wechat_miniprogram or own_app (a wechat_web share "
                "link can inform and lead there)",
            )
        ]
    return []


def _schedule(config: Mapping[str, Any], *, now: datetime) -> list[Refusal]:
    starts_at, ends_at = _utc(config.get("starts_at")), _utc(config.get("ends_at"))
    if ends_at is None:
        return []
    if ends_at <= now:
        return [Refusal("ends_at", "ends_at must be in the future")]
    if starts_at is not None and ends_at <= starts_at:
        return [Refusal("ends_at", "ends_at must be after starts_at")]
    return []


def _honest_reference(config: Mapping[str, Any]) -> list[Refusal]:
    reference = config.get("reference_price_cents")
    price = int(config["price_cents"])
    if reference is not None and price > int(reference):
        return [
            Refusal(
                "price_cents",
                f"the price {_yuan(price)} is above the stated reference price "
                f"{_yuan(int(reference))}: a price cut must start from an honest "
                "reference price, not an inflated one",
            )
        ]
    return []


def _bargain(config: Mapping[str, Any], limits: Limits, now: datetime) -> list[Refusal]:
    price, floor = int(config["price_cents"]), int(config["floor_cents"])
    helpers = int(config["max_helpers"])
    found = _honest_reference(config)
    if helpers > limits.max_helpers_limit:
        found.append(
            Refusal(
                "max_helpers",
                f"max_helpers may be at most {limits.max_helpers_limit} on this platform",
            )
        )
    if floor >= price:
        found.append(Refusal("floor_cents", "the floor must be below the price"))
    elif price - floor > limits.max_bargain_cut_cents:
        found.append(
            Refusal(
                "floor_cents",
                f"a bargain may cut at most {_yuan(limits.max_bargain_cut_cents)} (price − "
                f"floor) on this platform; this one would give away {_yuan(price - floor)}",
            )
        )
    elif not bargain.is_reachable(target_cents=price - floor, max_helpers=helpers):
        found.append(
            Refusal(
                "max_helpers",
                f"the target (price − floor) is {price - floor} cents, which cannot be cut "
                f"in {helpers} assists of at least one cent each; lower max_helpers to at "
                f"most {price - floor} or lower the floor",
            )
        )
    return found


def _groupbuy(config: Mapping[str, Any], limits: Limits, now: datetime) -> list[Refusal]:
    found = _honest_reference(config)
    if int(config["team_size"]) - 1 > limits.max_helpers_limit:
        found.append(
            Refusal(
                "team_size",
                f"team_size may be at most {limits.max_helpers_limit + 1} on this platform",
            )
        )
    if int(config["group_price_cents"]) >= int(config["price_cents"]):
        found.append(Refusal("group_price_cents", "the group price must be below the price"))
    robots = (
        "a team is filled only by real members who ordered; the engine never adds "
        "invisible or automatic members"
    )
    if int(config.get("virtual_members") or 0) > 0:
        found.append(Refusal("virtual_members", robots))
    if config.get("auto_fill"):
        found.append(Refusal("auto_fill", robots))
    return found


def _lottery(config: Mapping[str, Any], limits: Limits, now: datetime) -> list[Refusal]:
    found: list[Refusal] = []
    prizes = list(config.get("prizes") or [])
    if not prizes:
        found.append(Refusal("prizes", "a lottery publishes at least one prize"))
    for index, prize in enumerate(prizes):
        if int(prize["value_cents"]) > limits.max_top_prize_cents:
            found.append(
                Refusal(
                    f"prizes.{index}.value_cents",
                    f"a prize may be worth at most {_yuan(limits.max_top_prize_cents)} "
                    "(China's 2020 promotion rules cap the top prize, discounts included)",
                )
            )
    if not config.get("publish_commitment", True):
        found.append(
            Refusal(
                "publish_commitment",
                "the SHA-256 commitment of the draw's seed is always published at launch, "
                "so anyone can check the draw was not picked after the entries were seen",
            )
        )
    base, cap = int(config.get("base_entries") or 0), int(config["entry_cap"])
    if cap <= base:
        found.append(
            Refusal("entry_cap", "entry_cap must exceed base_entries, or assists give nothing")
        )
    elif cap - base > limits.max_helpers_limit:
        found.append(
            Refusal(
                "entry_cap",
                f"entries from assists (entry_cap − base_entries) may be at most "
                f"{limits.max_helpers_limit} on this platform",
            )
        )
    draw_at, starts_at = _utc(config.get("draw_at")), _utc(config.get("starts_at"))
    if draw_at is not None and draw_at <= (starts_at or now):
        found.append(Refusal("draw_at", "the draw must come after the campaign starts"))
    return found


def _unlock(config: Mapping[str, Any], limits: Limits, now: datetime) -> list[Refusal]:
    found: list[Refusal] = []
    if int(config["helpers_needed"]) > limits.max_helpers_limit:
        found.append(
            Refusal(
                "helpers_needed",
                f"helpers_needed may be at most {limits.max_helpers_limit} on this platform",
            )
        )
    reward = int(config["reward_cents"])
    if reward > limits.max_unlock_reward_cents:
        found.append(
            Refusal(
                "reward_cents",
                f"an unlock's reward may be worth at most "
                f"{_yuan(limits.max_unlock_reward_cents)} on this platform; this one is "
                f"{_yuan(reward)}",
            )
        )
    return found


_KIND_RULES: dict[str, Callable[[Mapping[str, Any], Limits, datetime], list[Refusal]]] = {
    "bargain": _bargain,
    "groupbuy": _groupbuy,
    "lottery": _lottery,
    "unlock": _unlock,
}


def _funding(config: Mapping[str, Any]) -> list[Refusal]:
    """A campaign must be able to pay for at least one instance (a lottery: its whole
    prize pool), or every participant who starts one would be refused."""
    cents, units = minimum_commitment(config)
    found: list[Refusal] = []
    if int(config["budget_cents"]) < cents:
        what = "the whole prize pool" if config["kind"] == "lottery" else "one instance"
        found.append(
            Refusal(
                "budget_cents",
                f"the budget must cover at least {what}'s worst case of {_yuan(cents)}",
            )
        )
    if int(config["inventory_total"]) < max(units, 1):
        found.append(
            Refusal(
                "inventory_total",
                f"the inventory must hold at least {max(units, 1)} units ("
                + ("one whole team" if config["kind"] == "groupbuy" else "every prize unit")
                + ")",
            )
        )
    return found
