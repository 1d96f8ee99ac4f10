"""Pure decisions of the jobs domain: how long a failed attempt waits, what is recorded."""

from __future__ import annotations

import traceback
from enum import StrEnum

MAX_ERROR_CHARS = 500


class JobStatus(StrEnum):
    PENDING = "pending"  # due at run_at
    RUNNING = "running"  # leased by a runner; claimable again once the lease runs out
    DONE = "done"
    FAILED = "failed"  # out of attempts: kept for a person to look at


def backoff_seconds(attempt: int, *, base: float, cap: float) -> float:
    """Exponential backoff: base × 2^(attempt−1), never above cap.

    Doubling spreads retries of a struggling dependency out instead of hammering it;
    the cap keeps a long outage from pushing the next try days away."""
    exponent = max(0, attempt - 1)
    if exponent >= 62:  # 2**62 × base overflows any sensible cap anyway
        return cap
    return float(min(cap, base * (2**exponent)))


def describe_error(exc: BaseException) -> str:
    """What a failed job records: the exception's class and where it was raised — never
    its message, which may quote personal data (a name, a phone number in a payload)."""
    code = getattr(exc, "code", None)
    label = type(exc).__name__ + (f"[{code}]" if isinstance(code, str) else "")
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        filename = last.filename.replace("\\", "/")
        short = filename.split("/src/", 1)[-1] if "/src/" in filename else filename
        label += f" at {short}:{last.lineno}"
    return label[:MAX_ERROR_CHARS]
