"""Handing a batch's outcomes back to the requests that wait on them (the assist hot
path's group commit, the Redis counters' grouped script calls)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any


async def settle(
    futures: Sequence[asyncio.Future[Any]], outcomes: Awaitable[Sequence[Any]]
) -> None:
    """Await the batch's outcomes, one per future in order, and give each waiter its own:
    a result, or the exception that outcome is. When the batch itself fails, every waiter
    gets that failure (and a cancellation is raised on after them)."""
    try:
        results = await outcomes
    except BaseException as exc:
        for future in futures:
            if not future.done():
                future.set_exception(exc)
        if not isinstance(exc, Exception):
            raise
        return
    for future, result in zip(futures, results, strict=True):
        if future.done():
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)
