"""Obstacle degree model 障碍度模型: which indicators hold a unit back.

Source: docs/methods.md#obstacle (obstacles.csv); the obstacle model as
implemented in zhjx19/mathmodels ``obstacle_degree`` (read to confirm, not copied).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Obstacle", "group_obstacle", "obstacle_degree", "top_factors"]


@dataclass(frozen=True, slots=True, eq=False)
class Obstacle:
    """Result of :func:`obstacle_degree`.

    I, O : (n_units, n_years, n_ind); deficit : (n_units, n_years).
    """

    I: np.ndarray
    O: np.ndarray
    deficit: np.ndarray


def obstacle_degree(z: np.ndarray, F: np.ndarray) -> Obstacle:
    """Obstacle degree O of every indicator for every unit-year.

    z : ndarray of shape (n_units, n_years, n_ind), standardised values in [0, 1]
        from the SAME standardisation as the score (larger = better).
    F : ndarray of shape (n_ind,), global weights of the indicators (factor
        contribution 因子贡献度, F_j = W_domain(j) × w_local(j)), ≥ 0; or
        (n_years, n_ind) when the weights are learned per year.

    ::

        I_ij   = 1 − z_ij                                   (deviation 偏离度)
        deficit_i = Σ_j F_j I_ij                            (absolute deficit)
        O_ij   = F_j I_ij / Σ_j F_j I_ij                    (a share, not a %)

    A unit best on every indicator has deficit 0: O = 0 there (docs/methods.md#obstacle).
    Shares of a leader look large on a small total: report ``deficit`` beside O.

    NaN z (missing): the cell is excluded — its I and O are NaN, it adds nothing
    to the deficit, and the other shares of the row still sum to 1. A row with
    every z missing has deficit NaN.

    Source: docs/methods.md#obstacle; vectors/obstacle_degree.json.
    """
    z = np.asarray(z, dtype=np.float64)
    F = np.asarray(F, dtype=np.float64)
    if z.ndim != 3:
        raise ValueError(f"z must be (n_units, n_years, n_ind), got shape {z.shape}")
    if F.shape not in ((z.shape[2],), z.shape[1:]) or not np.all(np.isfinite(F)) or np.any(F < 0):
        raise ValueError(f"F must be {z.shape[2]} finite non-negative weights, got shape {F.shape}")
    I = 1.0 - z
    FI = F * I
    missing = np.isnan(z)
    deficit = np.where(missing, 0.0, FI).sum(axis=2)
    deficit = np.where(missing.all(axis=2), np.nan, deficit)
    positive = deficit > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        O = np.where(positive[..., None], FI / np.where(positive, deficit, 1.0)[..., None], 0.0)
    O = np.where(missing, np.nan, O)
    return Obstacle(I=I, O=O, deficit=deficit)


def _group_index(groups: Sequence[int] | Mapping[int, int] | np.ndarray, n_ind: int) -> np.ndarray:
    if isinstance(groups, Mapping):
        g = np.full(n_ind, -1, dtype=np.int64)
        for j, k in groups.items():
            g[int(j)] = int(k)
    else:
        g = np.asarray(groups, dtype=np.int64)
    if g.shape != (n_ind,) or np.any(g < 0):
        raise ValueError(f"groups must map each of the {n_ind} indicators to a group index ≥ 0")
    return g


def group_obstacle(
    O: np.ndarray,
    groups: Sequence[int] | Mapping[int, int] | np.ndarray,
    *,
    n_groups: int | None = None,
) -> np.ndarray:
    """Obstacle degree of groups of indicators (stages, domains): sums of O.

    O : ndarray of shape (n_units, n_years, n_ind), from :func:`obstacle_degree`.
    groups : group index (0 … n_groups−1) of each indicator, as a sequence of
        length n_ind or a mapping indicator index → group index (every indicator).
    Returns (n_units, n_years, n_groups)::

        U_ik = Σ_{j ∈ group k} O_ij          (准则层障碍度)

    Missing indicators (NaN O) count as 0; a group whose indicators are all
    missing for a unit-year is NaN; an empty group is 0.

    Source: docs/methods.md#obstacle (domain-level obstacle degree).
    """
    O = np.asarray(O, dtype=np.float64)
    g = _group_index(groups, O.shape[-1])
    k = int(g.max()) + 1 if n_groups is None else int(n_groups)
    if g.size and g.max() >= k:
        raise ValueError(f"group index {g.max()} out of range for n_groups={k}")
    member = np.zeros((O.shape[-1], k))
    member[np.arange(O.shape[-1]), g] = 1.0
    present = ~np.isnan(O)
    sums = np.where(present, O, 0.0) @ member
    n_present = present.astype(np.float64) @ member
    empty = member.sum(axis=0) == 0
    return np.where((n_present == 0) & ~empty, np.nan, sums)


def top_factors(O: np.ndarray, *, k: int = 3) -> np.ndarray:
    """Indices of the k largest obstacle degrees per unit-year (主要障碍因子).

    O : ndarray of shape (..., n_ind). Returns int array (..., k), largest first;
    ties keep indicator order. Only factors with O > 0 count as obstacles: slots
    beyond them (a unit best on most indicators, a missing value) are −1.

    Source: docs/methods.md#obstacle ("rank the O_ij within each city to report its top-3").
    """
    O = np.asarray(O, dtype=np.float64)
    if k < 1:
        raise ValueError(f"k must be ≥ 1, got {k}")
    # k passes of argmax (first index on ties = indicator order): O(k n), no full sort
    key = np.where(O > 0, O, -np.inf)  # NaN > 0 is False: missing never counts
    out = np.full(O.shape[:-1] + (k,), -1, dtype=np.int64)
    for r in range(min(k, O.shape[-1])):
        j = np.argmax(key, axis=-1)
        best = np.take_along_axis(key, j[..., None], axis=-1)
        out[..., r] = np.where(best[..., 0] > 0, j, -1)
        np.put_along_axis(key, j[..., None], -np.inf, axis=-1)
    return out.astype(np.int64)
