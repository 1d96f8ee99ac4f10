"""Instructions per inline assessment, counted by valgrind: a figure the machine's
neighbours cannot move, for comparing two versions of the scorer.

    python bench/scoring_count.py                          # the installed src
    python bench/scoring_count.py --base-src /tmp/old/src  # and another version's, and the ratio

The traffic is bench/assist.py's: every assist from a helper the scorer has not seen, on
a device of its own, all from one client address, over 500 instances and 20 campaigns,
with the spike rules set out of reach as bench/assist.py sets them. A child process runs
n/2 assessments, another n (same plan, `PYTHONHASHSEED=0`), each under
`valgrind --tool=callgrind`; the difference over n/2 is the cost of one assessment in
the second half (the counters already hold n/2 helpers). Needs valgrind (Debian's
package); ~40 s a version at the default n. The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _child(n: int) -> None:
    """Run n assessments of the plan for 2n (the valgrind child)."""
    sys.path.insert(0, str(HERE))
    import loadgen

    os.environ.update(loadgen.SCORING_ON)
    from pydantic import SecretStr

    from huzhu.config import Settings
    from huzhu.risk.counters import MemoryCounters, Windows
    from huzhu.risk.inline import AssistContext
    from huzhu.risk.scoring import InlineScorer

    phone = {
        "user-agent": "Mozilla/5.0 (iPhone) MicroMessenger/8.0.50",
        "accept-language": "zh-CN",
    }

    async def run() -> None:
        settings = Settings(security={"secret_key": SecretStr("b" * 32)})
        scorer = InlineScorer(settings, MemoryCounters(Windows()))
        for k in range(n):
            await scorer.assess(
                shop_id=1,
                campaign_id=1 + k % 20,
                instance_id=1 + k % 500,
                helper_id=10_000 + k,
                initiator_id=1 + k % 500,
                at=datetime.fromtimestamp(1_800_000_000.0 + k * 0.01, tz=UTC),
                headers={**phone, "x-huzhu-device": f"bench-{k:012d}"},
                client_host="127.0.0.1",
                context=AssistContext(
                    account_age_seconds=100.0 if k % 3 == 0 else 3 * 86_400.0,
                    share_seen=False,
                ),
            )

    asyncio.run(run())


def _instructions(src: str, n: int) -> int:
    env = {**os.environ, "PYTHONPATH": src, "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         sys.executable, __file__, "--child", str(n)],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"valgrind said: {done.stderr[-500:]}")
    return int(found.group(1))


def per_assessment(src: str, n: int) -> float:
    return (_instructions(src, n) - _instructions(src, n // 2)) / (n - n // 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--assessments", type=int, default=4_000, help="n (even)")
    parser.add_argument("--base-src", default=None, help="another version's src directory")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        _child(args.child)
        return
    src = str(HERE.parent / "src")
    result: dict[str, float] = {"instructions": round(per_assessment(src, args.assessments))}
    print(f"this version: {result['instructions']:,.0f} instructions per assessment")
    if args.base_src:
        base = round(per_assessment(args.base_src, args.assessments))
        result |= {"base_instructions": base, "ratio": round(result["instructions"] / base, 3)}
        print(f"base: {base:,} (this / base = {result['ratio']})")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
