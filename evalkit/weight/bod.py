"""Benefit of the doubt (BoD): each unit's most favourable weights, by a DEA-like LP.

Source: docs/methods.md#bod; Cherchye, Moesen, Rogge & Van Puyenbroeck (2007)
Social Indicators Research 82:111–145; OECD/JRC Handbook (2008) §6.1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True, eq=False)
class BodResult:
    """Benefit-of-the-doubt scores and each unit's own weights.

    ci : (n,) composite scores in [0, 1] (1 = on the frontier)
    w : (n, m) each unit's weights (multipliers, in 1/units of y)
    share : (n, m) each child's share w_ij y_ij / ci_i of the unit's score (NaN when ci = 0)
    """

    ci: np.ndarray
    w: np.ndarray
    share: np.ndarray


def bod(y: np.ndarray, *, reference: np.ndarray | None = None,
        share: tuple[np.ndarray, np.ndarray] | None = None) -> BodResult:
    """BoD composite of every row of ``y`` against the rows of ``reference``.

    y : ndarray of shape (n, m), sub-indicator values >= 0 ("larger is
        better"; NaN counts as 0: a missing child adds nothing).
    reference : (n_ref, m) the rows that bound the weights (default ``y``).
    share : (lo, hi), each (m,): bounds on each child's share of the unit's
        score (Cherchye et al.'s pie-share restrictions), or None.

    For each unit o, with HiGHS (scipy.optimize.linprog)::

        ci_o = max_w Σ_j w_j y_oj
               s.t. Σ_j w_j y_kj ≤ 1        for every reference unit k
                    lo_j ≤ w_j y_oj / Σ_l w_l y_ol ≤ hi_j       (if share is given)
                    w_j ≥ 0

    Each unit is scored with the weights that favour it most, under the one
    condition that no reference unit scores above 1 with them.  Scale-free
    per child (multiplying a column by c divides its weight by c).  Without
    share bounds a unit may put all its weight on its best child; the optimal
    weights need not be unique (the score is).  A unit with every y = 0 gets
    ci = 0 and weights 0.  A child at 0 cannot hold a share: its lower share
    bound is dropped for that unit (and the upper bounds too if the others'
    no longer reach 1).

    Source: Cherchye et al. (2007) eqs. (1)–(3) and the pie-share
    restrictions of §4; Melyn & Moesen (1991); OECD/JRC Handbook (2008) §6.1.
    """
    from scipy.optimize import linprog

    y = np.nan_to_num(np.asarray(y, dtype=np.float64), nan=0.0)
    if y.ndim != 2 or y.shape[1] == 0:
        raise ValueError(f"y must be (n, m) with m >= 1, got shape {y.shape}")
    if (y < 0).any():
        raise ValueError("BoD needs values >= 0")
    ref = y if reference is None else np.nan_to_num(np.asarray(reference, dtype=np.float64), nan=0.0)
    n, m = y.shape
    lo = hi = None
    if share is not None:
        lo, hi = (np.broadcast_to(np.asarray(v, dtype=np.float64), (m,)) for v in share)
        if (lo < 0).any() or (hi > 1).any() or (lo > hi).any() or lo.sum() > 1 + 1e-12 or hi.sum() < 1 - 1e-12:
            raise ValueError("share bounds need 0 <= lo <= hi <= 1, Σ lo <= 1 <= Σ hi")
    # columns that are 0 in every reference row do not bound their weight: leave them out of the LP
    top = ref.max(axis=0)
    live = top > 0
    # BoD is scale-free per column: solve on y / max (coefficients near 1, which the LP solver
    # handles best) and scale the weights back
    unit = np.where(live, top, 1.0)
    y, ref = y / unit, ref / unit
    ci = np.zeros(n)
    w = np.zeros((n, m))
    eye = np.eye(m)
    for o in range(n):  # one small LP per unit (as DEA)
        yo = y[o]
        if not (yo[live] > 0).any():
            continue
        a_ub = [ref]
        b_ub = [np.ones(ref.shape[0])]
        if share is not None:
            # a child at 0 cannot hold a share > 0: its lower bound is dropped for this unit, and if the
            # upper bounds of the others no longer reach 1 they are dropped too (else only w = 0 is feasible)
            on = yo > 0
            lo_o = np.where(on, lo, 0.0)
            hi_o = hi if hi[on].sum() >= 1 - 1e-12 else np.ones(m)
            # lo_j Σ_l w_l y_ol − w_j y_oj ≤ 0   and   w_j y_oj − hi_j Σ_l w_l y_ol ≤ 0
            a_ub.append(lo_o[:, None] * yo[None, :] - eye * yo[None, :])
            a_ub.append(eye * yo[None, :] - hi_o[:, None] * yo[None, :])
            b_ub.append(np.zeros(2 * m))
        bounds = [(0, None) if live[j] else (0, 0) for j in range(m)]
        res = linprog(-yo, A_ub=np.vstack(a_ub), b_ub=np.concatenate(b_ub), bounds=bounds, method="highs")
        if res.status != 0:
            raise ValueError(f"BoD LP for row {o} failed: {res.message}")
        w[o] = res.x
        ci[o] = min(float(yo @ res.x), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        sh = np.where(ci[:, None] > 0, w * y / ci[:, None], np.nan)
    w = w / unit  # back to multipliers of the values as given
    return BodResult(ci=ci, w=w, share=sh)
