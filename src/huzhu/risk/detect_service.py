"""Batch ring detection over the live database: assists in, review cases out.

Reads the shop's counted and held assists through `huzhu.assists.service`, runs the
searches of `huzhu.risk.graph` on the helper x instance graph with assist times, and
puts every significant group in the review queue as a `fraud_ring` case with its
evidence: the accounts, the instances and their initiators, the time windows, the
density against the background, the chance of such a group, and the assists involved.
A ring found again while its case is open joins that case (same open key) instead of
opening another. Nothing is voided here: confirming the case is an analyst's decision.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from huzhu.assists import service as assists
from huzhu.config import DetectSettings
from huzhu.kit import clock
from huzhu.risk import review_service as review
from huzhu.risk.graph.edges import EdgeSet
from huzhu.risk.graph.evidence import Group
from huzhu.risk.graph.score import DetectConfig, Progress, score_accounts

SOURCE = "detect"
MAX_ASSISTS_IN_EVIDENCE = 500


@dataclass(frozen=True)
class RingCase:
    case_id: int
    detector: str
    accounts: int
    instances: int
    significance: float


@dataclass(frozen=True)
class DetectionRun:
    assists: int
    accounts: int
    instances: int
    cases: list[RingCase]


def config_from(settings: DetectSettings) -> DetectConfig:
    return DetectConfig(
        window_seconds=settings.window_seconds,
        min_users=settings.min_accounts,
        min_targets=settings.min_targets,
        untimed_min_users=settings.untimed_min_accounts,
        untimed_min_targets=settings.untimed_min_targets,
        rho=settings.rho,
        min_significance=settings.min_significance,
    )


def run_detection(
    session: Session,
    settings: DetectSettings,
    *,
    shop_id: int,
    campaign_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    progress: Progress | None = None,
) -> DetectionRun:
    rows = assists.assist_edges(
        session, shop_id=shop_id, campaign_id=campaign_id, since=since, until=until
    )
    if not rows:
        return DetectionRun(assists=0, accounts=0, instances=0, cases=[])
    helper = np.fromiter((r.helper_id for r in rows), dtype=np.int64, count=len(rows))
    instance = np.fromiter((r.instance_id for r in rows), dtype=np.int64, count=len(rows))
    at = np.fromiter(
        (int(clock.as_utc(r.created_at).timestamp()) for r in rows),
        dtype=np.int64,
        count=len(rows),
    )
    helper_ids, helper_index = np.unique(helper, return_inverse=True)
    instance_ids, instance_index = np.unique(instance, return_inverse=True)
    edges = EdgeSet.build(
        user=helper_index,
        item=instance_index,
        time=at,
        user_labels=[str(h) for h in helper_ids.tolist()],
        item_labels=[str(i) for i in instance_ids.tolist()],
    )
    result = score_accounts(edges, config_from(settings), progress=progress)
    facts = {r.instance_id: (r.campaign_id, r.initiator_id) for r in rows}
    assist_of = {(r.helper_id, r.instance_id): r.assist_id for r in rows}
    cases: list[RingCase] = []
    for group in result.groups:
        accounts = sorted(int(helper_ids[u]) for u in group.users.tolist())
        targets = sorted(int(instance_ids[i]) for i in set(group.items.tolist()))
        evidence = _evidence(group, accounts, targets, facts, assist_of, instance_ids)
        campaigns = sorted({facts[t][0] for t in targets})
        digest = hashlib.sha256(f"{shop_id}|{accounts}|{targets}".encode()).hexdigest()[:40]
        case = review.open_case(
            session,
            shop_id=shop_id,
            kind="fraud_ring",
            source=SOURCE,
            subject_account_ids=accounts,
            summary=(
                f"{group.detector}: {len(accounts)} accounts on {len(targets)} instances,"
                f" chance 1e-{group.significance:.0f}"
            ),
            evidence=evidence,
            campaign_id=campaigns[0] if len(campaigns) == 1 else None,
            open_key=f"ring:{digest}",
        )
        cases.append(
            RingCase(
                case_id=case.id,
                detector=group.detector,
                accounts=len(accounts),
                instances=len(targets),
                significance=round(group.significance, 1),
            )
        )
    return DetectionRun(
        assists=len(rows), accounts=edges.n_users, instances=edges.n_items, cases=cases
    )


def _evidence(
    group: Group,
    accounts: list[int],
    targets: list[int],
    facts: dict[int, tuple[int, int]],
    assist_of: dict[tuple[int, int], int],
    instance_ids: np.ndarray,
) -> dict[str, Any]:
    ring_assists = sorted(
        assist_of[(a, t)] for a in accounts for t in targets if (a, t) in assist_of
    )
    windows: list[dict[str, Any]] = []
    if group.starts is not None and group.window_seconds is not None:
        for item, start in zip(group.items.tolist(), group.starts.tolist(), strict=True):
            windows.append(
                {
                    "instance_id": int(instance_ids[item]),
                    "from": _iso(start),
                    "to": _iso(start + group.window_seconds),
                }
            )
    return {
        "detector": group.detector,
        "accounts": accounts,
        "instances": targets,
        "initiators": sorted({facts[t][1] for t in targets}),
        "campaigns": sorted({facts[t][0] for t in targets}),
        "window_seconds": group.window_seconds,
        "windows": windows,
        "density_vs_background": round(group.lift, 2),
        "significance": round(group.significance, 2),
        "expected_by_chance": group.expected,
        "each_covers_at_least": group.needed,
        "assist_ids": ring_assists[:MAX_ASSISTS_IN_EVIDENCE],
        "assists": len(ring_assists),
    }


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat()
