"""Group buy (拼团) rules: pure functions, no I/O.

A team of K = `team_size` real members (the leader and K − 1 who join) buys at
`group_price_cents`. Every member orders — money is authorized, never taken — and only a
full team is charged; a team that is not full at its expiry is refunded in full. There
are no robot members: a place is taken only by a real account's order, so "members" is
always the number of orders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class GroupTerms:
    team_size: int
    price_cents: int
    group_price_cents: int
    ttl_seconds: int

    @property
    def free_places(self) -> int:
        """Places left for joiners when the leader opens the team (the leader is one)."""
        return self.team_size - 1

    @property
    def subsidy_cents(self) -> int:
        """What the campaign's budget pays per order: the discount off the list price."""
        return max(0, self.price_cents - self.group_price_cents)


def terms_from_rules(rules: Mapping[str, Any], *, default_ttl_seconds: int) -> GroupTerms:
    return GroupTerms(
        team_size=int(rules["team_size"]),
        price_cents=int(rules["price_cents"]),
        group_price_cents=int(rules["group_price_cents"]),
        ttl_seconds=int(rules.get("instance_ttl_seconds") or default_ttl_seconds),
    )


def members(*, places_taken: int) -> int:
    """Members of a team: the leader plus every joiner's order."""
    return 1 + places_taken


def refund_rule_text(*, team_size: int, group_price_cents: int, expires_at: datetime) -> str:
    """The honest disclosure shown with every team: when money is taken and when not."""
    yuan, fen = divmod(group_price_cents, 100)
    return (
        f"Each member's order of ¥{yuan}.{fen:02d} is only authorized, not charged. "
        f"If the team reaches {team_size} members before {expires_at.isoformat()}, every "
        f"order is charged; otherwise every order is released in full at that time. "
        f"Only real members who ordered count; the team is never filled by anyone else."
    )


# Idempotency keys of the payment calls: one per order and per movement, so a job that
# runs again after a crash repeats the same calls and the provider returns the first
# results instead of moving money a second time.


def authorize_key(purchase_id: int) -> str:
    return f"groupbuy:authorize:{purchase_id}"


def capture_key(purchase_id: int) -> str:
    return f"groupbuy:capture:{purchase_id}"


def void_key(purchase_id: int) -> str:
    return f"groupbuy:void:{purchase_id}"
