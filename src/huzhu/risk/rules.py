"""The shape of an inline risk decision.

The hot path stores each decision's verdict, score and reasons on the assist row, so
every later judgement can be audited against them. The scorer that makes them is
`risk.scoring.InlineScorer` (its pure part `risk.inline.score_assist`), reached by the
hot path through `risk.screen.InlineScreen`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Decision = Literal["count", "hold", "refuse"]


# Not frozen: a frozen dataclass's __init__ sets each field through object.__setattr__
# (3x the cost), and one is built for every assist that raises a signal. Treat it as a
# value all the same.
@dataclass(slots=True)
class RiskDecision:
    decision: Decision
    score: float
    reasons: list[str]
    # The keyed hash of the client's network prefix, on a hold or refusal (None on a
    # count, or when the client named no address).
    network_hash: str | None = None
    # On an assist that could begin a group (risk/inline.py `group_signs`): its signs and
    # the keyed hashes a group seen later reaches back to it by (None on any other).
    group_signs: str | None = None
    group_net_hash: str | None = None
    group_device_hash: str | None = None


COUNT = RiskDecision(decision="count", score=0.0, reasons=[])
