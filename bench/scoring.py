"""The inline scorer's own cost: time per `InlineScorer.assess` on the memory counters.

    python bench/scoring.py                 # the last line is JSON
    python bench/scoring.py --assessments 50000 --runs 5

Runs `--runs` loops of `--assessments` assessments each and reports the best loop's time
per assessment (the machine is shared, and the best run is the one least disturbed). Each
assessment is timed on its own (`perf_counter_ns`, about 0.1 us of the figure), so the
share opens can be told to the scorer in time order, each just before its assist, untimed
(the open route pays for them). The traffic is a realistic mix: every assist comes
through a share, most after an open the scorer was told of (half citing their own open,
half only the link), some straight after it, some with no open recorded; helpers,
devices and networks spread so the counters hold many keys. `ratio` is the time of an
assessment over the time of the plain hints + `score_assist` part (no counters), so two
machines or two versions compare by ratio, not by microseconds.

To compare two versions of the code, run this file with each one's `src` first on
PYTHONPATH; it only uses arguments both know (the open ids are passed where the
installed `AssistContext` takes them).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import time
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr

from huzhu.config import Settings
from huzhu.risk import inline
from huzhu.risk.counters import MemoryCounters, Windows
from huzhu.risk.scoring import InlineScorer

PHONE = {
    "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) MicroMessenger/8.0.50",
    "accept-language": "zh-CN,zh;q=0.9",
}
T0 = 1_800_000_000.0
CONTEXT_FIELDS = {f.name for f in dataclasses.fields(inline.AssistContext)}


def _context(**wanted: Any) -> inline.AssistContext:
    """An AssistContext with whatever of `wanted` the installed version knows."""
    return inline.AssistContext(**{k: v for k, v in wanted.items() if k in CONTEXT_FIELDS})


def _plan(n: int) -> list[tuple[dict[str, Any], dict[str, str], str, float]]:
    """(assess keywords, headers, client host, unix time) for n assists, one every 10 ms."""
    plan = []
    for k in range(n):
        at = T0 + k * 0.01
        link = k % 5_000
        kind = k % 10  # 0: no open recorded, 1-2: instant, 3-9: ordinary
        context = _context(
            account_age_seconds=30 * 86_400.0,
            share_seen=True,
            seconds_since_open=None,
            share_link_id=link + 1,
            share_open_id=(k + 1) if kind % 2 == 1 else None,
        )
        plan.append(
            (
                {
                    "shop_id": 1,
                    "campaign_id": 1 + k % 20,
                    "instance_id": 1 + k % 5_000,
                    "helper_id": 10_000 + k % 40_000,
                    "initiator_id": 1 + k % 5_000,
                    "context": context,
                    "_open": None if kind == 0 else (at - (0.3 if kind in (1, 2) else 12.0)),
                },
                {**PHONE, "x-huzhu-device": f"install-{k % 30_000}"},
                f"198.51.{(k // 250) % 250}.{k % 250}",
                at,
            )
        )
    return plan


async def _loop(plan: list[tuple[dict[str, Any], dict[str, str], str, float]]) -> float:
    settings = Settings(security={"secret_key": SecretStr("b" * 32)})
    scorer = InlineScorer(settings, MemoryCounters(Windows()))
    opened = "share_link_id" in CONTEXT_FIELDS
    calls = [
        (
            {k: v for k, v in kw.items() if k != "_open"},
            headers,
            host,
            datetime.fromtimestamp(at, tz=UTC),
            None if kw["_open"] is None else datetime.fromtimestamp(kw["_open"], tz=UTC),
        )
        for kw, headers, host, at in plan
    ]
    spent = 0
    for kw, headers, host, at, open_at in calls:
        if open_at is not None:
            # Its open first, in time order as the routes would tell it; not timed (the
            # open route pays for it).
            if opened:
                await scorer.share_opened(
                    instance_id=kw["instance_id"],
                    at=open_at,
                    campaign_id=kw["campaign_id"],
                    link_id=kw["context"].share_link_id,
                    open_id=kw["context"].share_open_id,
                )
            else:
                await scorer.share_opened(
                    instance_id=kw["instance_id"], at=open_at, campaign_id=kw["campaign_id"]
                )
        started = time.perf_counter_ns()
        await scorer.assess(**kw, at=at, headers=headers, client_host=host)
        spent += time.perf_counter_ns() - started
    return spent / 1e9 / len(plan)


def _pure(plan: list[tuple[dict[str, Any], dict[str, str], str, float]]) -> float:
    """Hints and the pure score alone, no counters: the unit the ratio is in."""
    settings = Settings(security={"secret_key": SecretStr("b" * 32)})
    scorer = InlineScorer(settings, MemoryCounters(Windows()))
    seen = inline.CounterSnapshot()
    hinter = getattr(scorer, "hinter", None)  # versions before it: client_hints' own caches
    started = time.perf_counter()
    for kw, headers, host, _ in plan:
        if hinter is not None:
            hints = hinter.hints(headers, host)
        else:
            hints = inline.client_hints(headers, host, scorer.key)  # type: ignore[attr-defined]
        inline.score_assist(scorer.policy, kw["context"], hints, seen)
    return (time.perf_counter() - started) / len(plan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assessments", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    plan = _plan(args.assessments)
    assess = min(asyncio.run(_loop(plan)) for _ in range(args.runs))
    pure = min(_pure(plan) for _ in range(args.runs))
    print(f"assess {assess * 1e6:.1f} us, hints+score alone {pure * 1e6:.1f} us")
    print(
        json.dumps(
            {
                "assess_us": round(assess * 1e6, 2),
                "pure_us": round(pure * 1e6, 2),
                "ratio": round(assess / pure, 2),
                "assessments": args.assessments,
                "runs": args.runs,
            }
        )
    )


if __name__ == "__main__":
    main()
