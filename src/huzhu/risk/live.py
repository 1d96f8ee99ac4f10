"""Reaching the serving process's inline scorer from a unit of work.

The scorer's counters live on the event loop of the process that serves assists (in
memory, or behind a Redis client bound to that loop); share opens and review decisions
are made by sync services in worker threads. A service asks for a change with
`after_commit`, and the change is made once its unit of work commits — an open or a
decision rolled back changes nothing there. The app attaches its scorer to its Database
(`attach`, in the lifespan), so every session that Database hands out can reach it. A
process with no scorer (the CLI) reaches none: what it would have lifted runs out by
itself (a watch lasts `HUZHU_RISK__SPIKE_WATCH_SECONDS`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from huzhu.db import Database, on_loop
from huzhu.risk.scoring import InlineScorer

SCORER_KEY = "huzhu.risk.scorer"
PENDING_KEY = "huzhu.risk.after_commit"
WAIT_SECONDS = 10.0
logger = logging.getLogger(__name__)

ScorerChange = Callable[[InlineScorer], Awaitable[None]]


@dataclass(frozen=True)
class ScorerHandle:
    scorer: InlineScorer
    loop: asyncio.AbstractEventLoop
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def run(self, change: ScorerChange) -> None:
        """Make the change on the scorer's loop; from a worker thread, wait for it, so
        the decision's answer goes out after the counters changed."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            task = self.loop.create_task(_awaited(change(self.scorer)))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        asyncio.run_coroutine_threadsafe(_awaited(change(self.scorer)), self.loop).result(
            timeout=WAIT_SECONDS
        )


async def _awaited(step: Awaitable[None]) -> None:
    await step


def attach(db: Database, scorer: InlineScorer) -> None:
    """Let sessions of `db` reach `scorer`; called on the scorer's event loop."""
    handle = ScorerHandle(scorer=scorer, loop=asyncio.get_running_loop())
    db.sessionmaker.configure(info={SCORER_KEY: handle})


def after_commit(session: Session, change: ScorerChange) -> None:
    """Make `change` on the attached scorer once this session's transaction commits;
    nothing when no scorer is attached or the transaction rolls back. A session whose
    unit of work runs whole in a worker thread (db.defer_to_loop) hands the change to
    its caller, who makes it from the event loop after commit."""
    handle: ScorerHandle | None = session.info.get(SCORER_KEY)
    if handle is None:
        return
    steps = on_loop(session)
    if steps is not None:
        steps.append(lambda: _change_on_loop(handle, change))
        return
    pending: list[ScorerChange] | None = session.info.get(PENDING_KEY)
    if pending is None:
        pending = session.info[PENDING_KEY] = []
        event.listen(session, "after_commit", _apply)
        event.listen(session, "after_soft_rollback", _forget)
    pending.append(change)


async def _change_on_loop(handle: ScorerHandle, change: ScorerChange) -> None:
    try:
        await change(handle.scorer)
    except Exception:  # as in _apply: the open or decision is committed already
        logger.exception("changing the inline scorer's counters after commit failed")


def note_share_open(
    session: Session,
    *,
    instance_id: int,
    campaign_id: int,
    at: datetime,
    link_id: int,
    open_id: int,
) -> None:
    """An open of a share link committed: real traffic that explains a burst of assists
    (spikes), and the moment an assist through this open or link is timed from. Called
    by the invites service, so every way of opening a link (the API, the share page)
    reaches the scorer."""
    after_commit(
        session,
        lambda scorer: scorer.share_opened(
            instance_id=instance_id,
            at=at,
            campaign_id=campaign_id,
            link_id=link_id,
            open_id=open_id,
        ),
    )


def _apply(session: Session) -> None:
    handle: ScorerHandle = session.info[SCORER_KEY]
    pending: list[ScorerChange] = session.info.get(PENDING_KEY, [])
    changes, pending[:] = list(pending), []
    for change in changes:
        try:
            handle.run(change)
        except Exception:  # the decision is committed; a failed counter change only
            # leaves the watch to run out by itself, so it is logged, not raised
            logger.exception("changing the inline scorer's counters after commit failed")


def _forget(session: Session, previous_transaction: SessionTransaction) -> None:
    if not previous_transaction.nested:
        pending: list[Any] = session.info.get(PENDING_KEY, [])
        pending.clear()
