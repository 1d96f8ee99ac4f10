"""Which campaign configs are refused, and why: pure functions over a config mapping.

DESIGN.md: "Operators cannot configure deceptive patterns: an unreachable bargain, a
fake countdown, fake members", and the channel profiles refuse what each channel's rules
forbid. Every refusal names the field the operator must change and says why, so a
refused campaign is a lesson, not a puzzle. The config mapping is a create body as a
dict (schemas.BargainCreate & co. after `model_dump()`); shapes and bounds were checked
by pydantic already.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from huzhu.campaigns.errors import CampaignConfigRefused
from huzhu.campaigns.rules import bargain
from huzhu.campaigns.rules.budget import minimum_commitment
from huzhu.kit.i18n import N_

# Friend-assist, speed-up and bargain mechanics are banned on WeChat web links since
# 2019-10; a group buy is an order, not an assist, so it may still be shared there.
ASSIST_KINDS = frozenset({"bargain", "lottery", "unlock"})
WECHAT_WEB = "wechat_web"


# Every refusal by its stable code: an English msgid whose placeholders are the
# refusal's `params` (money in cents, shown in yuan). The API says the English; the
# console renders the code and params in the reader's language (web/campaign_form.py).
MESSAGES: dict[str, str] = {
    "share_rewarded": N_(
        "sharing is never rewarded on any channel: an assist must be the friend's "
        "own act, not a reward for spamming contacts"
    ),
    "moving_countdown": N_(
        "a countdown is fixed when the instance starts and never restarts or "
        "extends: a countdown that moves is a fake deadline"
    ),
    "assist_banned_on_channel": N_(
        "%(kind)s is an assist mechanic, which WeChat bans on web links since 2019-10; "
        "use wechat_miniprogram or own_app (a wechat_web share link can inform and lead there)"
    ),
    "ends_in_past": N_("ends_at must be in the future"),
    "ends_before_start": N_("ends_at must be after starts_at"),
    "price_above_reference": N_(
        "the price %(price_cents)s is above the stated reference price "
        "%(reference_price_cents)s: a price cut must start from an honest reference "
        "price, not an inflated one"
    ),
    "too_many_helpers": N_("may be at most %(limit)s on this platform"),
    "floor_not_below_price": N_("the floor must be below the price"),
    "cut_above_limit": N_(
        "a bargain may cut at most %(limit_cents)s (price − floor) on this platform; "
        "this one would give away %(cut_cents)s"
    ),
    "unreachable_target": N_(
        "the target (price − floor) is %(target)s cents, which cannot be cut in "
        "%(helpers)s assists of at least one cent each; lower max_helpers to at most "
        "%(target)s or lower the floor"
    ),
    "group_price_not_below_price": N_("the group price must be below the price"),
    "fake_members": N_(
        "a team is filled only by real members who ordered; the engine never adds "
        "invisible or automatic members"
    ),
    "no_prizes": N_("a lottery publishes at least one prize"),
    "prize_above_limit": N_(
        "a prize may be worth at most %(limit_cents)s (China's 2020 promotion rules cap "
        "the top prize, discounts included)"
    ),
    "commitment_unpublished": N_(
        "the SHA-256 commitment of the draw's seed is always published at launch, "
        "so anyone can check the draw was not picked after the entries were seen"
    ),
    "entry_cap_not_above_base": N_("entry_cap must exceed base_entries, or assists give nothing"),
    "assist_entries_above_limit": N_(
        "entries from assists (entry_cap − base_entries) may be at most %(limit)s on this platform"
    ),
    "draw_before_start": N_("the draw must come after the campaign starts"),
    "reward_above_limit": N_(
        "an unlock's reward may be worth at most %(limit_cents)s on this platform; "
        "this one is %(reward_cents)s"
    ),
    "budget_below_worst_case": N_(
        "the budget must cover at least one instance's worst case of %(needed_cents)s"
    ),
    "budget_below_prize_pool": N_(
        "the budget must cover at least the whole prize pool's worst case of %(needed_cents)s"
    ),
    "unknown_item": N_("no item %(item_id)s in this shop (see /api/v1/items)"),
    "not_a_field": N_("not a field of a %(kind)s campaign"),
    "inventory_below_team": N_("the inventory must hold at least %(units)s units (one whole team)"),
    "inventory_below_prizes": N_(
        "the inventory must hold at least %(units)s units (every prize unit)"
    ),
}


@dataclass(frozen=True, slots=True)
class Refusal:
    field: str
    code: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def message(self) -> str:
        """The refusal in English, as the API says it."""
        return fill(MESSAGES[self.code], self.params)

    def as_error(self) -> dict[str, Any]:
        """One item of a problem's `errors`: the field, the English message, and the
        stable code with its parameters for a client that words it itself."""
        return {
            "field": self.field,
            "message": self.message,
            "code": self.code,
            "params": dict(self.params),
        }


def refused(found: list[Refusal]) -> CampaignConfigRefused:
    """The problem that refuses a config for these reasons, each naming its field."""
    return CampaignConfigRefused(
        "; ".join(f"{r.field}: {r.message}" for r in found[:5]),
        errors=[r.as_error() for r in found],
    )


def _yuan(cents: int) -> str:
    return f"¥{cents // 100}.{cents % 100:02d}"


def fill(message: str, params: Mapping[str, Any], *, money: Callable[[int], str] = _yuan) -> str:
    """A refusal's message with its parameters, money (`*_cents`) in yuan."""
    shown = {
        key: money(int(value)) if key.endswith("_cents") else value for key, value in params.items()
    }
    return message % shown if shown else message


@dataclass(frozen=True, slots=True)
class Limits:
    max_helpers_limit: int
    max_top_prize_cents: int
    # What one activity may give away, set by the shop's platform: a bargain's cut (price
    # − floor) and an unlock's reward (settings; by default the lottery's legal top
    # prize, since a random cut is a prize promotion "discount value included").
    max_bargain_cut_cents: int
    max_unlock_reward_cents: int


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
        found.append(Refusal("share_reward_cents", "share_rewarded"))
    for name in ("countdown_resets", "extend_on_assist"):
        if config.get(name):
            found.append(Refusal(name, "moving_countdown"))
    return found


def _channel(config: Mapping[str, Any]) -> list[Refusal]:
    if config["channel"] == WECHAT_WEB and config["kind"] in ASSIST_KINDS:
        return [Refusal("channel", "assist_banned_on_channel", {"kind": config["kind"]})]
    return []


def _schedule(config: Mapping[str, Any], *, now: datetime) -> list[Refusal]:
    starts_at, ends_at = _utc(config.get("starts_at")), _utc(config.get("ends_at"))
    if ends_at is None:
        return []
    if ends_at <= now:
        return [Refusal("ends_at", "ends_in_past")]
    if starts_at is not None and ends_at <= starts_at:
        return [Refusal("ends_at", "ends_before_start")]
    return []


def _honest_reference(config: Mapping[str, Any]) -> list[Refusal]:
    reference = config.get("reference_price_cents")
    price = int(config["price_cents"])
    if reference is not None and price > int(reference):
        params = {"price_cents": price, "reference_price_cents": int(reference)}
        return [Refusal("price_cents", "price_above_reference", params)]
    return []


def _bargain(config: Mapping[str, Any], limits: Limits, now: datetime) -> list[Refusal]:
    price, floor = int(config["price_cents"]), int(config["floor_cents"])
    helpers = int(config["max_helpers"])
    found = _honest_reference(config)
    if helpers > limits.max_helpers_limit:
        found.append(
            Refusal("max_helpers", "too_many_helpers", {"limit": limits.max_helpers_limit})
        )
    if floor >= price:
        found.append(Refusal("floor_cents", "floor_not_below_price"))
    elif price - floor > limits.max_bargain_cut_cents:
        params = {"limit_cents": limits.max_bargain_cut_cents, "cut_cents": price - floor}
        found.append(Refusal("floor_cents", "cut_above_limit", params))
    elif not bargain.is_reachable(target_cents=price - floor, max_helpers=helpers):
        params = {"target": price - floor, "helpers": helpers}
        found.append(Refusal("max_helpers", "unreachable_target", params))
    return found


def _groupbuy(config: Mapping[str, Any], limits: Limits, now: datetime) -> list[Refusal]:
    found = _honest_reference(config)
    if int(config["team_size"]) - 1 > limits.max_helpers_limit:
        found.append(
            Refusal("team_size", "too_many_helpers", {"limit": limits.max_helpers_limit + 1})
        )
    if int(config["group_price_cents"]) >= int(config["price_cents"]):
        found.append(Refusal("group_price_cents", "group_price_not_below_price"))
    if int(config.get("virtual_members") or 0) > 0:
        found.append(Refusal("virtual_members", "fake_members"))
    if config.get("auto_fill"):
        found.append(Refusal("auto_fill", "fake_members"))
    return found


def _lottery(config: Mapping[str, Any], limits: Limits, now: datetime) -> list[Refusal]:
    found: list[Refusal] = []
    prizes = list(config.get("prizes") or [])
    if not prizes:
        found.append(Refusal("prizes", "no_prizes"))
    for index, prize in enumerate(prizes):
        if int(prize["value_cents"]) > limits.max_top_prize_cents:
            params = {"limit_cents": limits.max_top_prize_cents}
            found.append(Refusal(f"prizes.{index}.value_cents", "prize_above_limit", params))
    if not config.get("publish_commitment", True):
        found.append(Refusal("publish_commitment", "commitment_unpublished"))
    base, cap = int(config.get("base_entries") or 0), int(config["entry_cap"])
    if cap <= base:
        found.append(Refusal("entry_cap", "entry_cap_not_above_base"))
    elif cap - base > limits.max_helpers_limit:
        params = {"limit": limits.max_helpers_limit}
        found.append(Refusal("entry_cap", "assist_entries_above_limit", params))
    draw_at, starts_at = _utc(config.get("draw_at")), _utc(config.get("starts_at"))
    if draw_at is not None and draw_at <= (starts_at or now):
        found.append(Refusal("draw_at", "draw_before_start"))
    return found


def _unlock(config: Mapping[str, Any], limits: Limits, now: datetime) -> list[Refusal]:
    found: list[Refusal] = []
    if int(config["helpers_needed"]) > limits.max_helpers_limit:
        found.append(
            Refusal("helpers_needed", "too_many_helpers", {"limit": limits.max_helpers_limit})
        )
    reward = int(config["reward_cents"])
    if reward > limits.max_unlock_reward_cents:
        params = {"limit_cents": limits.max_unlock_reward_cents, "reward_cents": reward}
        found.append(Refusal("reward_cents", "reward_above_limit", params))
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
    lottery, groupbuy = config["kind"] == "lottery", config["kind"] == "groupbuy"
    found: list[Refusal] = []
    if int(config["budget_cents"]) < cents:
        code = "budget_below_prize_pool" if lottery else "budget_below_worst_case"
        found.append(Refusal("budget_cents", code, {"needed_cents": cents}))
    if int(config["inventory_total"]) < max(units, 1):
        code = "inventory_below_team" if groupbuy else "inventory_below_prizes"
        found.append(Refusal("inventory_total", code, {"units": max(units, 1)}))
    return found
