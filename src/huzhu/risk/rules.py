"""The shape of an inline risk decision, and of a decision forced in its place.

The hot path stores each decision's verdict, score and reasons on the assist row, so
every later judgement can be audited against them. The scorer that makes them is
`risk.scoring.InlineScorer` (its pure part `risk.inline.score_assist`); `DecideInline`
is what a test sets on the hot path to force a decision without shaping traffic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Decision = Literal["count", "hold", "refuse"]


@dataclass(frozen=True, slots=True)
class AssistFeatures:
    """What is known about one assist before it is written. Ids are pseudonymous
    account ids; nothing here is raw personal data (no IP, no device id)."""

    shop_id: int
    campaign_id: int
    instance_id: int
    kind: str
    helper_id: int
    initiator_id: int
    at: datetime
    signals: dict[str, float] = field(default_factory=dict)


# Not frozen: a frozen dataclass's __init__ sets each field through object.__setattr__
# (3x the cost), and one is built for every assist that raises a signal. Treat it as a
# value all the same.
@dataclass(slots=True)
class RiskDecision:
    decision: Decision
    score: float
    reasons: list[str]


DecideInline = Callable[[AssistFeatures], RiskDecision]

COUNT = RiskDecision(decision="count", score=0.0, reasons=[])
