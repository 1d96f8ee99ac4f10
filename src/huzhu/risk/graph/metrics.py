"""Ranking metrics for the evaluation, with ties handled honestly.

A detector that gives most accounts the same score must not be credited for the order
of a sort: ROC-AUC gives a tied (positive, negative) pair half a point, average
precision steps only at distinct scores (as scikit-learn's does), and precision at k
takes the expected share of positives among the tied accounts cut by k.
"""

from __future__ import annotations

import numpy as np
from scipy import stats


def roc_auc(score: np.ndarray, positive: np.ndarray) -> float:
    pos = int(positive.sum())
    neg = int(positive.size - pos)
    if pos == 0 or neg == 0:
        return float("nan")
    ranks = stats.rankdata(score)  # average ranks: ties count half
    return float((ranks[positive].sum() - pos * (pos + 1) / 2) / (pos * neg))


def average_precision(score: np.ndarray, positive: np.ndarray) -> float:
    pos = int(positive.sum())
    if pos == 0:
        return float("nan")
    order = np.argsort(-score, kind="stable")
    s, y = score[order], positive[order].astype(np.float64)
    # Evaluate only where the score changes: a block of ties is one threshold.
    last = np.r_[np.flatnonzero(np.diff(s) != 0), s.size - 1]
    tp = np.cumsum(y)[last]
    precision = tp / (last + 1)
    recall_gain = np.diff(np.r_[0.0, tp]) / pos
    return float(np.sum(precision * recall_gain))


def precision_at_k(score: np.ndarray, positive: np.ndarray, k: int) -> float:
    if k <= 0:
        return float("nan")
    order = np.argsort(-score, kind="stable")
    s, y = score[order], positive[order]
    k = min(k, s.size)
    threshold = s[k - 1]
    above = s > threshold
    tied = s == threshold
    sure = int(y[above].sum())
    room = k - int(above.sum())
    tied_pos = int(y[tied].sum())
    expected = sure + room * tied_pos / int(tied.sum())
    return float(expected / k)
