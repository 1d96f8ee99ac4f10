"""The validation rules as properties: whatever bargain they accept can really be cut
and paid, and whatever lottery they accept discloses a commitment and fits its budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from huzhu.campaigns.rules import validation
from huzhu.campaigns.rules.bargain import cut_sequence
from huzhu.campaigns.rules.budget import prize_pool, worst_case_reservation

NOW = datetime(2026, 1, 1, tzinfo=UTC)
LIMITS = validation.Limits(
    max_helpers_limit=200,
    max_top_prize_cents=5_000_000,
    max_bargain_cut_cents=60_000,
    max_unlock_reward_cents=5_000_000,
)
COMMON: dict[str, Any] = {"channel": "own_app", "inventory_total": 10}


@given(
    price=st.integers(1, 100_000),
    floor=st.integers(0, 100_000),
    helpers=st.integers(1, 400),
    budget=st.integers(0, 200_000),
)
def test_an_accepted_bargain_is_reachable_within_its_helpers_and_funded(
    price: int, floor: int, helpers: int, budget: int
) -> None:
    config = COMMON | {
        "kind": "bargain",
        "price_cents": price,
        "floor_cents": floor,
        "max_helpers": helpers,
        "budget_cents": budget,
    }
    if validation.refusals(config, limits=LIMITS, now=NOW):
        return
    cuts = cut_sequence(
        seed_hex="ab" * 32, target_cents=price - floor, max_helpers=helpers, split="double_mean"
    )
    assert sum(cuts) == price - floor <= LIMITS.max_bargain_cut_cents
    assert len(cuts) == helpers <= LIMITS.max_helpers_limit
    assert worst_case_reservation(config)[0] <= budget


prizes = st.lists(
    st.fixed_dictionaries(
        {
            "name": st.just("p"),
            "value_cents": st.integers(1, 6_000_000),
            "quantity": st.integers(1, 5),
        }
    ),
    max_size=4,
)


@given(prizes=prizes, budget=st.integers(0, 40_000_000), stock=st.integers(1, 30))
def test_an_accepted_lottery_has_prizes_within_the_ceiling_and_a_funded_pool(
    prizes: list[dict[str, Any]], budget: int, stock: int
) -> None:
    config = COMMON | {
        "kind": "lottery",
        "prizes": prizes,
        "budget_cents": budget,
        "inventory_total": stock,
        "entry_cap": 3,
        "base_entries": 1,
        "draw_at": NOW + timedelta(days=1),
        "publish_commitment": True,
    }
    if validation.refusals(config, limits=LIMITS, now=NOW):
        return
    assert prizes
    assert max(p["value_cents"] for p in prizes) <= LIMITS.max_top_prize_cents
    cents, units = prize_pool(config)
    assert cents <= budget
    assert units <= stock


ASSIST_CONFIGS: dict[str, dict[str, Any]] = {
    "bargain": {"price_cents": 10_000, "floor_cents": 1_000, "max_helpers": 10},
    "lottery": {
        "prizes": [{"name": "mug", "value_cents": 2_000, "quantity": 1}],
        "entry_cap": 3,
        "base_entries": 1,
        "draw_at": NOW + timedelta(days=1),
    },
    "unlock": {"helpers_needed": 3, "reward_cents": 500},
}


@given(kind=st.sampled_from(sorted(ASSIST_CONFIGS)), budget=st.integers(0, 10**7))
def test_assist_kinds_are_always_refused_on_wechat_web(kind: str, budget: int) -> None:
    config = COMMON | ASSIST_CONFIGS[kind] | {"kind": kind, "budget_cents": budget}
    assert not any(
        r.field == "channel" for r in validation.refusals(config, limits=LIMITS, now=NOW)
    )
    config["channel"] = "wechat_web"
    refused = validation.refusals(config, limits=LIMITS, now=NOW)
    assert any(r.field == "channel" for r in refused)
