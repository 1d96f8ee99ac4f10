"""Ranking metrics give ties no credit for the order of a sort."""

from __future__ import annotations

import numpy as np
import pytest

from huzhu.risk.graph.metrics import average_precision, precision_at_k, roc_auc


def test_perfect_and_reversed_rankings() -> None:
    y = np.array([True, True, False, False, False])
    s = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
    assert roc_auc(s, y) == 1.0
    assert average_precision(s, y) == 1.0
    assert precision_at_k(s, y, 2) == 1.0
    assert roc_auc(-s, y) == 0.0
    assert average_precision(-s, y) == pytest.approx((1 / 4 + 2 / 5) / 2)


def test_all_tied_scores_are_worth_chance() -> None:
    y = np.array([True, False, False, False])
    s = np.zeros(4)
    assert roc_auc(s, y) == 0.5
    assert average_precision(s, y) == 0.25
    assert precision_at_k(s, y, 1) == 0.25
