"""The pure group-buy rules (campaigns/rules/groupbuy.py): terms, membership, keys and
the disclosure a team shows."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from huzhu.campaigns.rules import groupbuy as rules


@given(
    team_size=st.integers(2, 50),
    price=st.integers(1, 10_000_000),
    discount=st.integers(0, 10_000_000),
)
def test_terms_give_k_minus_one_places_and_the_discount_as_subsidy(
    team_size: int, price: int, discount: int
) -> None:
    group_price = max(1, price - discount)
    terms = rules.terms_from_rules(
        {"team_size": team_size, "price_cents": price, "group_price_cents": group_price},
        default_ttl_seconds=86_400,
    )
    assert terms.free_places == team_size - 1
    assert terms.subsidy_cents == price - group_price
    assert terms.ttl_seconds == 86_400
    assert rules.members(places_taken=terms.free_places) == team_size


@given(purchase_id=st.integers(1, 2**62))
def test_each_money_movement_of_an_order_has_its_own_key(purchase_id: int) -> None:
    keys = {
        rules.authorize_key(purchase_id),
        rules.capture_key(purchase_id),
        rules.void_key(purchase_id),
    }
    assert len(keys) == 3
    assert all(str(purchase_id) in key for key in keys)


def test_refund_rule_discloses_size_price_expiry_and_no_robots() -> None:
    expires = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    text = rules.refund_rule_text(team_size=3, group_price_cents=5_990, expires_at=expires)
    assert "3 members" in text
    assert "¥59.90" in text
    assert expires.isoformat() in text
    assert "released in full" in text
    assert "never filled by anyone else" in text
