"""The account x target graph every detector reads.

One edge per (account, target): a helper assists an instance once, a reviewer reviews a
business once, and a repeated act adds no evidence of a ring. The edge keeps the time of
the *first* act, because lockstep is about who arrived together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class EdgeSet:
    """Deduplicated edges: `user[e]`, `item[e]` index `user_labels` / `item_labels`.

    `time` holds unix seconds per edge, or is None when the source had no times (then
    only the time-free searches run). Build it with `EdgeSet.build`, which enforces the
    one-edge-per-pair invariant.
    """

    user: IntArray
    item: IntArray
    time: IntArray | None
    user_labels: list[str]
    item_labels: list[str]

    @classmethod
    def build(
        cls,
        *,
        user: IntArray,
        item: IntArray,
        time: IntArray | None,
        user_labels: list[str],
        item_labels: list[str],
    ) -> EdgeSet:
        user = np.asarray(user, dtype=np.int64)
        item = np.asarray(item, dtype=np.int64)
        if user.shape != item.shape or (time is not None and time.shape != user.shape):
            raise ValueError("user, item and time must have one entry per edge")
        if time is None:
            order = np.lexsort((item, user))
        else:
            time = np.asarray(time, dtype=np.int64)
            order = np.lexsort((time, item, user))
        user, item = user[order], item[order]
        keep = np.ones(user.shape[0], dtype=bool)
        keep[1:] = (user[1:] != user[:-1]) | (item[1:] != item[:-1])
        return cls(
            user=user[keep],
            item=item[keep],
            time=None if time is None else time[order][keep],
            user_labels=user_labels,
            item_labels=item_labels,
        )

    @classmethod
    def from_labels(
        cls,
        users: Sequence[str],
        items: Sequence[str],
        times: Sequence[int] | IntArray | None = None,
    ) -> EdgeSet:
        """Edges from parallel label sequences (labels are kept as given, as strings)."""
        user_index: dict[str, int] = {}
        item_index: dict[str, int] = {}
        u = np.fromiter(
            (user_index.setdefault(str(x), len(user_index)) for x in users),
            dtype=np.int64,
            count=len(users),
        )
        i = np.fromiter(
            (item_index.setdefault(str(x), len(item_index)) for x in items),
            dtype=np.int64,
            count=len(items),
        )
        t = None if times is None else np.asarray(times, dtype=np.int64)
        return cls.build(
            user=u, item=i, time=t, user_labels=list(user_index), item_labels=list(item_index)
        )

    @property
    def n_users(self) -> int:
        return len(self.user_labels)

    @property
    def n_items(self) -> int:
        return len(self.item_labels)

    @property
    def n_edges(self) -> int:
        return int(self.user.shape[0])

    @cached_property
    def matrix(self) -> sp.csr_matrix:
        """Binary users x items matrix (CSR, sorted indices)."""
        data = np.ones(self.n_edges, dtype=np.float64)
        m = sp.csr_matrix((data, (self.user, self.item)), shape=(self.n_users, self.n_items))
        m.sort_indices()
        return m

    @cached_property
    def user_degree(self) -> IntArray:
        return np.bincount(self.user, minlength=self.n_users).astype(np.int64)

    @cached_property
    def item_degree(self) -> IntArray:
        return np.bincount(self.item, minlength=self.n_items).astype(np.int64)
