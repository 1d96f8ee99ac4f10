"""What the assist's writes take and give back, the same on both backends: the
outcomes, the parameters decided before the transaction, and the facts of an instance
that callers may cache."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson

from huzhu.assists.rules import AssistStatus, SuccessPlan


class Outcome(StrEnum):
    """What one call of an act did; the refusals write nothing."""

    COUNTED = "counted"
    HELD = "held"
    REPLAY = "replay"  # the same Idempotency-Key again: the first answer
    NOT_FOUND = "not_found"  # no such instance in the caller's shop (or assist, held)
    ALREADY_ASSISTED = "already_assisted"
    CLOSED = "closed"  # not active, or past its expiry
    SELF_ASSIST = "self_assist"
    BLOCKED = "blocked"
    RESTRICTED = "restricted"
    SHARE_REVOKED = "share_revoked"
    SHARE_MISMATCH = "share_mismatch"
    FULL = "full"
    DAILY_LIMIT = "daily_limit"
    # A hold refused: the instance has `held_per_instance` waiting, or the network put
    # `held_per_network` on hold in this window.
    HOLD_LIMIT_INSTANCE = "hold_limit_instance"
    HOLD_LIMIT_NETWORK = "hold_limit_network"


class Decision(StrEnum):
    """The inline verdicts that reach the database (a refusal never does)."""

    COUNT = "count"
    HOLD = "hold"


# The instance's frozen facts never change after start, so callers may cache them.


@dataclass(frozen=True, slots=True)
class FactsRow:
    shop_id: int
    campaign_id: int
    kind: str
    initiator_id: int
    rules: dict[str, Any]


def facts_row(row: Any) -> FactsRow:
    """From a sqlite3 row or an asyncpg Record of FACTS_SQL_*, in its column order."""
    shop_id, campaign_id, kind, initiator_id, rules = row
    return FactsRow(
        shop_id=int(shop_id),
        campaign_id=int(campaign_id),
        kind=str(kind),
        initiator_id=int(initiator_id),
        rules=orjson.loads(rules) if isinstance(rules, str | bytes) else dict(rules),
    )


@dataclass(slots=True)
class GiveParams:
    """Everything one assist needs, decided before the transaction starts."""

    instance_id: int
    shop_id: int
    campaign_id: int
    helper_id: int
    decision: Decision
    score: float
    reasons: list[str]
    idempotency_key: str | None
    now: datetime
    day: str
    daily_cap: int
    success: SuccessPlan  # if this assist fills the instance
    share_link_id: int | None = None  # a genuine link's id (HMAC already verified)
    share_open_id: int | None = None  # only together with share_link_id
    channel: str | None = None  # the link's channel
    # A hold's bounds (settings.risk): at most `held_per_instance` waiting on the
    # instance, and `held_per_network` from `network_hash` in window `hold_bucket`.
    network_hash: str | None = None
    hold_bucket: int = 0
    # Burst keys (assist.group_signs, net_hash, device_hash): only on an assist that
    # could be the first of a group held later.
    group_signs: str | None = None
    group_net_hash: str | None = None
    group_device_hash: str | None = None
    held_per_instance: int = 2**31 - 1
    held_per_network: int = 2**31 - 1


@dataclass(slots=True)
class CountHeldParams:
    """A held assist a reviewer found genuine, and its instance's success terms."""

    instance_id: int
    shop_id: int
    assist_id: int
    now: datetime
    success: SuccessPlan


# Not frozen: a frozen dataclass's __init__ sets each field through object.__setattr__
# (3x the cost), and one is built for every assist. Treat it as a value all the same.
@dataclass(slots=True)
class GiveOutcome:
    outcome: Outcome
    assist_id: int | None = None
    assist_status: AssistStatus | None = None
    slot: int | None = None
    value: int = 0
    instance_status: str | None = None
    restricted_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Counting:
    """The shared last step's inputs: an assist that now counts on `slot`."""

    shop_id: int
    instance_id: int
    assist_id: int
    helper_id: int
    slot: int
    value: int
    held_delta: int  # -1 when a held assist now counts, else 0
    now: datetime
    success: SuccessPlan
    after_review: bool


def to_json(value: Any) -> str:
    return orjson.dumps(value).decode()
