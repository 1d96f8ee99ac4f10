"""The risk screen the assist hot path calls (assists.hotpath.ports.RiskScreen): the
inline scorer's decision on each assist, and the review cases it leads to.

A case — an instance that spiked, an assist the score held — is an ordinary ORM write,
so it is opened after the assist is answered, in a unit of work of its own in the
background: the hot path never waits on it, and a case that fails to open is logged
and fails nothing else.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy.orm import Session

from huzhu.assists.hotpath.ports import Assessment, Verdict
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.deps import in_one_unit_of_work
from huzhu.risk.alerts import HoldAlert, open_group_case, open_hold_case, open_spike_case
from huzhu.risk.inline import GROUP_REASON, WATCH_REASON, AssistContext
from huzhu.risk.reach import Reach
from huzhu.risk.rules import RiskDecision
from huzhu.risk.scoring import InlineScorer, SpikeAlert

logger = logging.getLogger(__name__)


class InlineScreen:
    """One per process, with the hot path. `db` is where its cases are opened (None: a
    process that opens none, like the demo seed)."""

    def __init__(self, scorer: InlineScorer, db: Database | None, reach: Reach) -> None:
        self.scorer = scorer
        self._db = db
        self._reach = reach  # how far back a group's hold looks (risk/reach.py)
        self._background: set[asyncio.Task[None]] = set()

    @classmethod
    def open(cls, settings: Settings, db: Database | None = None) -> InlineScreen:
        return cls(InlineScorer.open(settings), db, Reach.of(settings.risk))

    async def assess(self, assessment: Assessment) -> RiskDecision:
        a = assessment
        return await self.scorer.assess(
            shop_id=a.shop_id,
            campaign_id=a.campaign_id,
            instance_id=a.instance_id,
            helper_id=a.helper_id,
            initiator_id=a.initiator_id,
            at=a.at,
            headers=a.client.headers,
            client_host=a.client.host,
            context=AssistContext(
                account_age_seconds=a.account_age_seconds,
                share_seen=a.share_link_id is not None,
                share_link_id=a.share_link_id,
                share_open_id=a.share_open_id,
            ),
            on_spike=self._on_spike,
        )

    def held(self, assessment: Assessment, verdict: Verdict, *, assist_id: int) -> None:
        group = GROUP_REASON in verdict.reasons and verdict.network_hash is not None
        if WATCH_REASON in verdict.reasons and not group:
            return  # held by a watch: the spike's case has it already
        hold = HoldAlert(
            shop_id=assessment.shop_id,
            campaign_id=assessment.campaign_id,
            instance_id=assessment.instance_id,
            assist_id=assist_id,
            helper_id=assessment.helper_id,
            score=verdict.score,
            reasons=list(verdict.reasons),
            at=assessment.at,
            network_hash=verdict.network_hash,
            device_hash=verdict.group_device_hash,
        )
        # A group's holds go to its one case; any other hold to its instance's.
        if group:
            reach = self._reach
            self._in_background(lambda session: open_group_case(session, hold, reach))
        else:
            self._in_background(lambda session: open_hold_case(session, hold))

    async def _on_spike(self, alert: SpikeAlert) -> None:
        self._in_background(lambda session: open_spike_case(session, alert))

    def _in_background(self, write: Callable[[Session], object]) -> None:
        if self._db is None:
            return
        task = asyncio.get_running_loop().create_task(_open_case(self._db, write))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def close(self) -> None:
        for task in list(self._background):
            await task
        await self.scorer.close()


async def _open_case(db: Database, write: Callable[[Session], object]) -> None:
    try:
        await in_one_unit_of_work(db, write)
    except Exception:  # a case that failed must not fail anything else; it is logged
        logger.exception("opening a review case failed")
