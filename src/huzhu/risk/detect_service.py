"""Batch ring detection over the live database: assists in, review cases out.

Reads the shop's counted and held assists through `huzhu.assists.graph`, runs the
searches of `huzhu.risk.graph` on the helper x instance graph and on the helper x
initiator graph, both with assist times, and puts every significant group in the review
queue as a `fraud_ring` case with its evidence: the accounts, the instances and their
initiators, the time windows, the density against the background, the chance of such a
group, and the assists involved.
A ring found again while its case is open joins that case (same open key) instead of
opening another. Nothing is voided here: confirming the case is an analyst's decision —
except above `HUZHU_DETECT__AUTO_CONFIRM_SIGNIFICANCE` (unset by default), where
`auto_confirm` confirms it by the rule actor `rule:detect`, so the ring's confirm rule
(risk/rings.py) voids and enforces as an analyst's confirmation would.

Each group is also weighed beyond its graph (risk/farm.py): its share opens' phones,
networks and timing and its accounts' ages. Only a farm — a group with a farm sign — is
confirmed by rule; a likely mutual-help group (friends on their own phones and networks
at a human pace) waits for an analyst, who must give a reason to act on it. A farm that
keeps no pace for the graph (each account on a third of its activities, or acting once)
is found by its phones instead (`farm.phone_groups`) and confirmed by rule only with
automation besides: families share phones too, but read before they tap.

`scan` is the one entry point of both the scheduled job (risk/tasks.py) and
`huzhu detect run`: find, queue, and confirm by rule above the threshold, so a scan from
the command line does exactly what the scheduled one does unless told not to confirm.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from statistics import median
from typing import Any, Protocol

import numpy as np
from sqlalchemy.orm import Session

from huzhu.accounts import service as accounts
from huzhu.assists.graph import service as assist_graph
from huzhu.config import DetectSettings, Settings
from huzhu.kit import clock
from huzhu.risk import rings  # noqa: F401  (auto_confirm acts through the ring's confirm rule)
from huzhu.risk.farm import (
    AssistTrace,
    FarmPolicy,
    GroupEvidence,
    GroupVerdict,
    PhoneGroup,
    corroborated,
    phone_groups,
    weigh,
)
from huzhu.risk.graph.edges import EdgeSet
from huzhu.risk.graph.evidence import Group
from huzhu.risk.graph.score import DetectConfig, Progress, score_accounts
from huzhu.risk.review import service as review
from huzhu.risk.review.errors import CaseAlreadyDecided
from huzhu.risk.review.rules import CaseKind, CaseStatus

SOURCE = "detect"
AUTO_ACTOR = "rule:detect"
MAX_ASSISTS_IN_EVIDENCE = 500


# The two graphs the issue names. A ring that spreads its members over one initiator's
# several instances (a few per instance, below any instance-level group) still moves in
# lockstep on that initiator.
GRAPHS = ("instance", "initiator")
# A group found on the initiator graph that is mostly a ring already reported from the
# instance graph in this run adds nothing but a second case.
SAME_RING_OVERLAP = 0.8
# A group found by the phones its accounts share rather than by a graph search.
PHONE_DETECTOR = "shared_phones"


@dataclass(frozen=True)
class RingCase:
    case_id: int
    graph: str  # "instance" or "initiator": what the ring's targets are
    detector: str
    accounts: int
    targets: int
    significance: float | None  # None: found by its shared phones, not by chance
    verdict: GroupVerdict = GroupVerdict.FARM
    signs: tuple[str, ...] = ()


@dataclass(frozen=True)
class DetectionRun:
    assists: int
    accounts: int
    instances: int
    cases: list[RingCase]


@dataclass(frozen=True)
class Scan:
    found: DetectionRun
    confirmed: list[int]  # case ids confirmed by rule in this scan


def scan(
    session: Session,
    settings: Settings,
    *,
    shop_id: int,
    campaign_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    progress: Progress | None = None,
    confirm: bool = True,
) -> Scan:
    """Find the shop's rings, queue each for review and — unless `confirm` is False, and
    only when `HUZHU_DETECT__AUTO_CONFIRM_SIGNIFICANCE` is set — confirm by rule those
    above it, in this unit of work."""
    found = run_detection(
        session,
        settings.detect,
        shop_id=shop_id,
        campaign_id=campaign_id,
        since=since,
        until=until,
        progress=progress,
    )
    confirmed = auto_confirm(session, settings, found, shop_id=shop_id) if confirm else []
    return Scan(found=found, confirmed=confirmed)


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
    rows = assist_graph.assist_edges(
        session, shop_id=shop_id, campaign_id=campaign_id, since=since, until=until
    )
    if not rows:
        return DetectionRun(assists=0, accounts=0, instances=0, cases=[])
    helper = np.fromiter((r.helper_id for r in rows), dtype=np.int64, count=len(rows))
    at = np.fromiter(
        (int(clock.as_utc(r.created_at).timestamp()) for r in rows),
        dtype=np.int64,
        count=len(rows),
    )
    helper_ids, helper_index = np.unique(helper, return_inverse=True)
    by_helper: dict[int, list[assist_graph.AssistEdge]] = {}
    for row in rows:
        by_helper.setdefault(row.helper_id, []).append(row)
    config = config_from(settings)
    facts = _Facts.read(session, rows, settings)
    reported: set[int] = set()
    cases: list[RingCase] = []
    for graph in GRAPHS:
        target = np.fromiter(
            (r.instance_id if graph == "instance" else r.initiator_id for r in rows),
            dtype=np.int64,
            count=len(rows),
        )
        target_ids, target_index = np.unique(target, return_inverse=True)
        edges = EdgeSet.build(
            user=helper_index,
            item=target_index,
            time=at,
            user_labels=[str(h) for h in helper_ids.tolist()],
            item_labels=[str(t) for t in target_ids.tolist()],
        )
        result = score_accounts(edges, config, progress=progress)
        for group in result.groups:
            accounts = sorted(int(helper_ids[u]) for u in group.users.tolist())
            if len(reported.intersection(accounts)) >= SAME_RING_OVERLAP * len(accounts):
                continue
            # One account, one case, one rung of enforcement per scan.
            accounts = [a for a in accounts if a not in reported]
            if len(accounts) < settings.min_accounts:
                continue
            finding = _Finding.of_group(graph, group, target_ids)
            wanted = set(finding.targets)
            # The ring's assists: by its accounts on its targets (for the initiator
            # graph, on any instance of those initiators).
            mine = [
                r
                for account in accounts
                for r in by_helper[account]
                if (r.instance_id if graph == "instance" else r.initiator_id) in wanted
            ]
            case, accounts = _open_case(
                session, shop_id=shop_id, finding=finding, mine=mine, facts=facts, seen=reported
            )
            reported.update(accounts)
            cases.append(case)
    # What no graph search can see: a farm spreading its accounts thinly over its
    # activities (each on a third of them, or once) keeps no pace, but its accounts
    # still share its few phones. One that a graph's ring reached is in its case.
    for farm in facts.farms:
        accounts = [a for a in farm.accounts if a not in reported]
        if not accounts:
            continue
        mine = sorted((r for a in accounts for r in by_helper[a]), key=lambda r: r.assist_id)
        case, accounts = _open_case(
            session,
            shop_id=shop_id,
            finding=_Finding.of_phones(farm.phones),
            mine=mine,
            facts=facts,
            seen=reported,
        )
        reported.update(accounts)
        cases.append(case)
    return DetectionRun(
        assists=len(rows),
        accounts=int(helper_ids.size),
        instances=len({r.instance_id for r in rows}),
        cases=cases,
    )


@dataclass(frozen=True)
class _Finding:
    """What found a group, as its case tells it: a graph search (with its windows and
    its chance) or the phones its accounts share (no chance: a count of phones)."""

    graph: str  # "instance", "initiator" or "device"
    detector: str
    targets: list[Any]  # instance or initiator ids, or keyed phone hashes
    windows: list[dict[str, Any]]
    window_seconds: int | None = None
    lift: float | None = None
    significance: float | None = None
    expected: float | None = None
    needed: int | None = None

    @classmethod
    def of_group(cls, graph: str, group: Group, target_ids: np.ndarray) -> _Finding:
        windows: list[dict[str, Any]] = []
        if group.starts is not None and group.window_seconds is not None:
            for item, start in zip(group.items.tolist(), group.starts.tolist(), strict=True):
                windows.append(
                    {
                        f"{graph}_id": int(target_ids[item]),
                        "from": _iso(start),
                        "to": _iso(start + group.window_seconds),
                    }
                )
        return cls(
            graph=graph,
            detector=group.detector,
            targets=sorted({int(target_ids[i]) for i in group.items.tolist()}),
            windows=windows,
            window_seconds=group.window_seconds,
            lift=round(group.lift, 2),
            significance=round(group.significance, 2),
            expected=group.expected,
            needed=group.needed,
        )

    @classmethod
    def of_phones(cls, phones: tuple[str, ...]) -> _Finding:
        return cls(graph="device", detector=PHONE_DETECTOR, targets=sorted(phones), windows=[])

    def describe(self, accounts: int) -> str:
        if self.significance is None:
            return f"{accounts} accounts sharing {len(self.targets)} phones"
        return (
            f"{self.detector}, {accounts} accounts on {len(self.targets)} {self.graph}s,"
            f" chance 1e-{self.significance:.0f}"
        )


def _open_case(
    session: Session,
    *,
    shop_id: int,
    finding: _Finding,
    mine: list[assist_graph.AssistEdge],
    facts: _Facts,
    seen: set[int],
) -> tuple[RingCase, list[int]]:
    """The case (opened or joined) and its accounts: those of `mine`, the group's
    assists, and for a farm on shared phones every account that assisted from those
    phones — but none already in a case of this scan (`seen`): one account, one case,
    one rung of enforcement per scan."""
    found_by_graph = len({r.helper_id for r in mine})
    weighed = facts.weigh(mine)
    if weighed.verdict == GroupVerdict.FARM:
        # The graph sees the accounts that moved together most tightly; a farm's other
        # accounts on the same phones moved a little less so. Whatever came through a
        # phone of the farm that several accounts use is the farm's. (A likely
        # mutual-help group is not widened: a member's spouse on the same phone is
        # nobody's ring.)
        mine = facts.through_shared_phones(mine, leave=seen)
        weighed = facts.weigh(mine)
    accounts = sorted({r.helper_id for r in mine})
    campaigns = sorted({r.campaign_id for r in mine})
    assist_ids = sorted(r.assist_id for r in mine)
    group = weighed.as_json()
    if finding.significance is not None:
        group["accounts_found_by_graph"] = found_by_graph
    evidence: dict[str, Any] = {
        "group": group,
        "graph": f"helper x {finding.graph}",
        "detector": finding.detector,
        "accounts": accounts,
        "instances": sorted({r.instance_id for r in mine}),
        "initiators": sorted({r.initiator_id for r in mine}),
        "campaigns": campaigns,
        "window_seconds": finding.window_seconds,
        "windows": finding.windows,
        "density_vs_background": finding.lift,
        "significance": finding.significance,
        "expected_by_chance": finding.expected,
        "each_covers_at_least": finding.needed,
        "assist_ids": assist_ids[:MAX_ASSISTS_IN_EVIDENCE],
        "assists": len(assist_ids),
    }
    digest = hashlib.sha256(
        f"{shop_id}|{finding.graph}|{accounts}|{finding.targets}".encode()
    ).hexdigest()
    case = review.open_case(
        session,
        shop_id=shop_id,
        kind=CaseKind.FRAUD_RING,
        source=SOURCE,
        subject_account_ids=accounts,
        summary=f"{_headline(weighed)}: {finding.describe(len(accounts))}",
        evidence=evidence,
        campaign_id=campaigns[0] if len(campaigns) == 1 else None,
        open_key=f"ring:{digest[:40]}",
    )
    ring = RingCase(
        case_id=case.id,
        graph=finding.graph,
        detector=finding.detector,
        accounts=len(accounts),
        targets=len(finding.targets),
        significance=None if finding.significance is None else round(finding.significance, 1),
        verdict=weighed.verdict,
        signs=tuple(sign.value for sign in weighed.signs),
    )
    return ring, accounts


def _headline(weighed: GroupEvidence) -> str:
    if weighed.verdict == GroupVerdict.FARM:
        return "farm (" + ", ".join(sign.value for sign in weighed.signs) + ")"
    return "likely mutual-help group (distinct phones and networks, human pace)"


class OpenSeen(Protocol):
    """A recorded share open as the invites domain keeps it."""

    @property
    def opened_at(self) -> datetime: ...

    @property
    def net_hash(self) -> str | None: ...

    @property
    def device_hash(self) -> str | None: ...


# The opens are the invites domain's, and invites builds on risk (it opens review cases
# and feeds the inline counters): it is plugged in by huzhu/wiring.py, not imported.
OpenReader = Callable[[Session, list[int]], Mapping[int, OpenSeen]]
_open_reader: list[OpenReader] = []


def register_open_reader(reader: OpenReader) -> None:
    """How the scan reads share opens by id (huzhu/wiring.py; again is a no-op)."""
    _open_reader[:] = [reader]


def _read_opens(session: Session, open_ids: list[int]) -> Mapping[int, OpenSeen]:
    if not open_ids:
        return {}
    if not _open_reader:
        raise RuntimeError("no share-open reader: call huzhu.wiring.wire() first")
    return _open_reader[0](session, open_ids)


@dataclass(frozen=True)
class _Facts:
    """What Huzhu records beyond the graph, read once per scan: each named open's time
    and keyed phone and network hashes (invites), each helper's creation (accounts)."""

    policy: FarmPolicy
    opens: Mapping[int, OpenSeen]
    joined_at: dict[int, float]
    by_device: dict[str, list[assist_graph.AssistEdge]]
    farms: list[PhoneGroup]  # accounts tied together by the phones they share

    @classmethod
    def read(
        cls, session: Session, rows: list[assist_graph.AssistEdge], settings: DetectSettings
    ) -> _Facts:
        open_ids = [r.share_open_id for r in rows if r.share_open_id is not None]
        joined = accounts.joined_at(session, [r.helper_id for r in rows])
        opens = _read_opens(session, open_ids)
        by_device: dict[str, list[assist_graph.AssistEdge]] = {}
        for r in rows:
            device = _device_of(opens, r)
            if device is not None:
                by_device.setdefault(device, []).append(r)
        uses = [
            (r.helper_id, device, opens[r.share_open_id].net_hash)
            for device, used in by_device.items()
            for r in used
            if r.share_open_id is not None
        ]
        policy = farm_policy(settings)
        return cls(
            policy=policy,
            opens=opens,
            joined_at={a: clock.as_utc(at).timestamp() for a, at in joined.items()},
            by_device=by_device,
            farms=phone_groups(
                uses,
                scripted=_scripted_phones(policy, opens, by_device),
                min_accounts=settings.farm_min_accounts,
                accounts_per_device=settings.farm_accounts_per_device,
            ),
        )

    def through_shared_phones(
        self, mine: list[assist_graph.AssistEdge], *, leave: set[int]
    ) -> list[assist_graph.AssistEdge]:
        """The group's assists and every other assist of the scan that came through one
        of the group's phones that `farm_accounts_per_device` or more accounts used, or
        through a phone of a farm (`farms`) one of its accounts belongs to, but for
        those of the accounts in `leave`."""
        phones = {d for d in (_device_of(self.opens, r) for r in mine) if d is not None}
        phones = {
            d
            for d in phones
            if len({r.helper_id for r in self.by_device[d]}) >= self.policy.accounts_per_device
        }
        helpers = {r.helper_id for r in mine}
        for farm in self.farms:
            if helpers.intersection(farm.accounts):
                phones.update(farm.phones)
        found = {r.assist_id: r for r in mine}
        for device in phones:
            found.update(
                (r.assist_id, r) for r in self.by_device[device] if r.helper_id not in leave
            )
        return sorted(found.values(), key=lambda r: r.assist_id)

    def weigh(self, mine: list[assist_graph.AssistEdge]) -> GroupEvidence:
        traces = []
        for r in mine:
            opened = self.opens.get(r.share_open_id) if r.share_open_id is not None else None
            traces.append(
                AssistTrace(
                    helper_id=r.helper_id,
                    at=clock.as_utc(r.created_at).timestamp(),
                    opened_at=clock.as_utc(opened.opened_at).timestamp() if opened else None,
                    device_hash=opened.device_hash if opened else None,
                    net_hash=opened.net_hash if opened else None,
                )
            )
        return weigh(self.policy, traces, self.joined_at)


def _scripted_phones(
    policy: FarmPolicy,
    opens: Mapping[int, OpenSeen],
    by_device: dict[str, list[assist_graph.AssistEdge]],
) -> set[str]:
    """Phones whose median open-to-assist is instant (`farm_open_to_assist_seconds`)."""
    scripted = set()
    for device, used in by_device.items():
        delays = [
            (
                clock.as_utc(r.created_at) - clock.as_utc(opens[r.share_open_id].opened_at)
            ).total_seconds()
            for r in used
            if r.share_open_id is not None
        ]
        if delays and median(delays) < policy.open_to_assist_seconds:
            scripted.add(device)
    return scripted


def _device_of(opens: Mapping[int, OpenSeen], row: assist_graph.AssistEdge) -> str | None:
    opened = opens.get(row.share_open_id) if row.share_open_id is not None else None
    return opened.device_hash if opened is not None else None


def farm_policy(settings: DetectSettings) -> FarmPolicy:
    return FarmPolicy(
        accounts_per_device=settings.farm_accounts_per_device,
        accounts_per_network=settings.farm_accounts_per_network,
        open_to_assist_seconds=settings.farm_open_to_assist_seconds,
        unopened_share=settings.farm_unopened_share,
        fresh_account_seconds=float(settings.fresh_account_seconds),
    )


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat()


def auto_confirm(
    session: Session, settings: Settings, run: DetectionRun, *, shop_id: int
) -> list[int]:
    """Confirm, by rule, the farms of this run: a graph's ring whose significance is
    above the setting (a chance so small that waiting for an analyst only lets the ring
    keep its gains), and a group found by its shared phones that shows another farm sign
    too (`farm.corroborated`) — both only while the setting is set; the ids confirmed.
    A case decided meanwhile is left as it was decided."""
    threshold = settings.detect.auto_confirm_significance
    if threshold is None:
        return []
    confirmed: list[int] = []
    for ring in run.cases:
        reason = _rule_reason(ring, threshold)
        if reason is None:
            continue
        case = review.get_case(session, shop_id=shop_id, case_id=ring.case_id)
        if case.status != CaseStatus.OPEN:
            continue
        try:
            with session.begin_nested():
                review.confirm_case(
                    session,
                    settings,
                    shop_id=case.shop_id,
                    case_id=case.id,
                    reason=reason,
                    enforce=review.BY_RULE,
                    actor=AUTO_ACTOR,
                )
        except CaseAlreadyDecided:
            continue
        confirmed.append(case.id)
    return confirmed


def _rule_reason(ring: RingCase, threshold: float) -> str | None:
    """Why the rule confirms this ring, or None when it is an analyst's to decide."""
    if ring.verdict != GroupVerdict.FARM:
        # A group with no farm sign is left to an analyst however unlikely by chance:
        # friends who help each other are exactly what the graph alone cannot tell.
        return None
    evidence = f"with farm evidence: {', '.join(ring.signs)}"
    if ring.significance is None:
        if not corroborated(ring.signs):
            return None
        return f"{ring.accounts} accounts sharing {ring.targets} phones, {evidence}"
    if ring.significance <= threshold:
        return None
    return (
        f"{ring.detector} ring of {ring.accounts} accounts, chance "
        f"1e-{ring.significance:.0f}, above the auto-confirm threshold "
        f"1e-{threshold:g}, {evidence}"
    )
