"""Ranking: one rule for every rank evalkit reports (results.csv, plan, sensitivity, reports)."""

from __future__ import annotations

import numpy as np


def ranks_min(scores: np.ndarray, *, axis: int = -1) -> np.ndarray:
    """Competition ("min") ranks along ``axis``: 1 = highest score, ties share the best rank.

    scores : float ndarray, e.g. (n_draws, n_units) with ``axis=-1``.
    Returns float64 ranks of the same shape:

        rank_i = 1 + #{k : s_k > s_i}          (scores 9, 7, 7, 3 → 1, 2, 2, 4)

    NaN scores get NaN rank and do not count for the others.  Ties are exact
    float equality (ranks come from the scores as computed; results.csv).
    Vectorised: one argsort along ``axis``.

    >>> ranks_min(np.array([9.0, 7.0, 7.0, 3.0, np.nan]))
    array([ 1.,  2.,  2.,  4., nan])

    Source: README.md "Command line" (results.csv: rank 1 = best, ties share the best rank).
    """
    s = np.asarray(scores, dtype=np.float64)
    s = np.moveaxis(s, axis, -1)
    m = s.shape[-1]
    if m == 0:
        return np.moveaxis(s.copy(), -1, axis)
    neg = -s  # NaN stays NaN and sorts last
    order = np.argsort(neg, axis=-1, kind="stable")
    srt = np.take_along_axis(neg, order, axis=-1)
    pos = np.broadcast_to(np.arange(m), srt.shape)
    new = np.ones(srt.shape, dtype=bool)
    new[..., 1:] = srt[..., 1:] != srt[..., :-1]
    first = np.maximum.accumulate(np.where(new, pos, 0), axis=-1)
    ranked = (first + 1).astype(np.float64)
    ranked[np.isnan(srt)] = np.nan
    out = np.empty_like(ranked)
    np.put_along_axis(out, order, ranked, axis=-1)
    return np.moveaxis(out, -1, axis)


def rank_of(score: float, others: np.ndarray, *, decimals: int | None = None) -> int:
    """The rank ``score`` would have among ``others`` (NaN ignored), by :func:`ranks_min`'s rule."""
    o = np.asarray(others, dtype=np.float64)
    o = o[np.isfinite(o)]
    if decimals is not None:
        o, score = np.round(o, decimals), float(np.round(score, decimals))
    return int(1 + (o > score).sum())
