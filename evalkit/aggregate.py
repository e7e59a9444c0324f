"""Aggregation: children's scores to a node's score, one node at a time.

Every method has one signature::

    score, share = METHOD(s, w, *, lo, hi, min_share=2/3)

s : ndarray of shape (n_units, n_years, n_children)
    Children's scores on the project scale [lo, hi], NaN = missing.  Never modified.
w : ndarray of shape (n_children,), or (n_years, n_children)
    Local weights, non-negative, summing to 1 (± 1e-6); one row per year when
    the node's weights are learned per year (``by: year``).
lo, hi : float
    The project scale (``arithmetic`` ignores them).
min_share : float
    The least share of the weight the present children must hold; below it the
    unit-year is missing (NaN), never guessed.  A share equal to ``min_share``
    passes: the comparison allows the rounding error of a sum of n weights.

Returns ``score`` (n_units, n_years) on [lo, hi], NaN where missing, and
``share`` (n_units, n_years), the weight share of the present children.
A method may take further keyword options with defaults (``geometric``'s
``shift``); the registry call with the shared keywords always works.

The walk over the tree (post-order, per node) lives in ``pipeline.py``;
:func:`global_weights` is the pure helper it uses for products of local weights.

Source: docs/methods.md#arithmetic (missing values in aggregation), #geometric, #topsis;
COINr ``Aggregate``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

_EPS = np.finfo(np.float64).eps
_WEIGHT_SUM_TOL = 1e-6  # fixed weights sum to 1 ± 1e-6 (docs/methods.md#equal-fixed)


# --------------------------------------------------------------------------- helpers


def _check(s, w, min_share):
    s = np.asarray(s, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if s.ndim != 3:
        raise ValueError(f"s must be (n_units, n_years, n_children), got shape {s.shape}")
    if w.shape != (s.shape[2],) and w.shape != s.shape[1:]:
        raise ValueError(f"w must have shape ({s.shape[2]},) or {s.shape[1:]} (per year), got {w.shape}")
    if not (np.isfinite(w).all() and (w >= 0).all()
            and (np.abs(w.sum(axis=-1) - 1.0) <= _WEIGHT_SUM_TOL).all()):
        raise ValueError(f"weights must be finite, >= 0 and sum to 1, got {w.tolist()}")
    if not 0.0 <= min_share <= 1.0:
        raise ValueError(f"min_share must be in [0, 1], got {min_share}")
    return s, w


def _check_scale(s, lo, hi):
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise ValueError(f"scale needs finite lo < hi, got [{lo}, {hi}]")
    tol = 1e-9 * (hi - lo)
    if (np.fmin.reduce(s, axis=None) < lo - tol) or (np.fmax.reduce(s, axis=None) > hi + tol):
        raise ValueError(f"children's scores must lie on the scale [{lo}, {hi}]")


def _wdot(a, w):
    """Σ_j a_j w_j over the children: ``a @ w`` for one weight vector, per year for (n_years, k) weights."""
    if w.ndim == 1:
        return a @ w
    return np.einsum("...k,...k->...", a, w)


def _wsum(w):
    """Σ w (a number, or one per year)."""
    return w.sum() if w.ndim == 1 else w.sum(axis=-1)


def _share(s, w, min_share):
    """Present weight share per unit-year, and the mask of unit-years that are scored.

    The share is a sum of at most n weights, each rounded once: comparing with
    ``min_share`` allows 4·n·eps so that a share of exactly 2/3 passes.
    """
    present = ~np.isnan(s)
    if w.ndim == 1:
        share = present @ (w / w.sum())  # (n_units, n_years)
    else:
        share = _wdot(present, w / w.sum(axis=-1, keepdims=True))
    ok = (share >= min_share - 4 * s.shape[2] * _EPS) & (share > 0)
    return present, share, ok


def _over_children(ufunc, s):
    """NaN-ignoring ufunc fold over the children axis, as a loop over the (few) children.

    numpy's ``reduce`` along a short inner axis is ~10× slower than this.
    """
    return functools.reduce(ufunc, np.moveaxis(s, 2, 0))


def _over_rows(ufunc, a):
    """ufunc reduce over the rows of a tall 2-D array (contiguous copy first: faster)."""
    return ufunc.reduce(np.ascontiguousarray(a.T), axis=1)


def _hull_clip(score, s):
    """A mean lies within its children's range: put back a ulp of rounding overshoot."""
    with np.errstate(invalid="ignore"):
        return np.clip(score, _over_children(np.fmin, s), _over_children(np.fmax, s))


# --------------------------------------------------------------------------- methods


def arithmetic(s, w, *, lo=None, hi=None, min_share=2 / 3):
    """Weighted arithmetic mean over the present children, weights renormalised.

    ::

        score = Σ_{j present} w_j s_j / Σ_{j present} w_j     if Σ_{present} w_j ≥ min_share
              = NaN                                          otherwise

    Decomposable (needed by obstacle analysis) and fully compensatory.
    ``lo`` and ``hi`` are accepted for the shared signature and ignored.

    Source: docs/methods.md#arithmetic (missing values; weighted
    linear sum S = Σ w z); OECD/JRC Handbook (2008) §6.1.
    """
    s, w = _check(s, w, min_share)
    present, share, ok = _share(s, w, min_share)
    total = _wdot(np.where(present, s, 0.0), w)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(ok, total / (share * _wsum(w)), np.nan)
    return _hull_clip(score, s), share


def geometric(s, w, *, lo, hi, min_share=2 / 3, shift=1.0):
    """Weighted geometric mean over the present children, on shifted scores.

    ::

        score = exp( Σ_{j present} w_j ln(s_j − lo + shift) / Σ_{j present} w_j ) + lo − shift

    With the default ``shift = 1`` the scores are moved onto [1, hi − lo + 1]
    before the geometric mean and moved back afterwards, so one child at the
    bottom of the scale does not force the node to the bottom (ln 0) while a low
    child is still penalised more than by the arithmetic mean.  COINr's
    ``a_gmean`` takes positive values only, and its aggregation vignette
    normalises onto [1, 100] (``n_minmax``, ``l_u = c(1, 100)``) before using it;
    here the same shift is done inside, so the project scale stays [lo, hi].
    The shift is in scale units: on [0, 100] it is 1 point; on [0, 1] it is the
    whole range, and the result is close to arithmetic.  ``shift = 0`` gives the
    textbook weighted geometric mean (UNDP HDI), where a child at ``lo`` makes
    the node ``lo``.  Missing and min_share as in :func:`arithmetic`.  In YAML:
    ``aggregate: {geometric_shift: 0}`` in the project (every geometric node) or
    ``geometric_shift: 0`` on a tree node (that node, winning over the project's);
    examples/hdi uses the latter.

    Source: COINr 1.1.14 ``a_gmean`` and vignettes/aggregate.Rmd; UNDP HDR
    technical notes (HDI = geometric mean; tested on vectors/normalisation.json
    with ``shift=0``); OECD/JRC Handbook (2008) §6.1.
    """
    s, w = _check(s, w, min_share)
    _check_scale(s, lo, hi)
    if not shift >= 0:
        raise ValueError(f"shift must be >= 0, got {shift}")
    present, share, ok = _share(s, w, min_share)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.log(np.maximum(s - lo, 0.0) + shift)  # s − lo ≥ −1e-9·(hi − lo) rounding only
        t = np.where(present & (w > 0), t, 0.0)  # 0·ln 0 (zero weight) counts as 0
        score = np.exp(_wdot(t, w) / (share * _wsum(w))) + lo - shift
    score = np.where(ok, score, np.nan)
    return _hull_clip(score, s), share


def harmonic(s, w, *, lo, hi, min_share=2 / 3):
    """Weighted harmonic mean over the present children, measured from ``lo``.

    ::

        score = lo + Σ_{j present} w_j / Σ_{j present} w_j / (s_j − lo)

    A child at ``lo`` (with weight > 0) makes the node ``lo``: the harmonic mean
    is the least compensatory of the three Pythagorean means (H ≤ G ≤ A).
    Missing and min_share as in :func:`arithmetic`.  COINr's ``a_hmean``
    (1 / Σ(w/x) with Σw = 1) on s − lo.

    Source: docs/methods.md#harmonic; COINr 1.1.14 ``a_hmean``; OECD/JRC
    Handbook (2008) §6.
    """
    s, w = _check(s, w, min_share)
    _check_scale(s, lo, hi)
    present, share, ok = _share(s, w, min_share)
    d = np.maximum(s - lo, 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        inv = np.where(present & (w > 0), w / d, 0.0)  # w/0 = inf: the mean goes to 0
        den = inv.sum(axis=2)
        score = np.where(np.isinf(den), 0.0, (share * _wsum(w)) / den) + lo
    score = np.where(ok, score, np.nan)
    return _hull_clip(score, s), share


def power(s, w, *, lo, hi, min_share=2 / 3, p=2.0):
    """Weighted generalised (power) mean of order ``p``, measured from ``lo``.

    ::

        score = lo + ( Σ_{j present} w_j (s_j − lo)^p / Σ_{j present} w_j )^(1/p)      p ≠ 0

    p = 1 is the arithmetic mean, p = −1 the harmonic mean, p → 0 the geometric
    mean (use ``geometric`` with ``geometric_shift: 0`` for it), p → ∞ the
    maximum; larger p rewards a unit's best children more.  For p < 0 a child
    at ``lo`` makes the node ``lo``.  COINr's ``a_genmean(x, w, p)``.

    Source: docs/methods.md#power-mean; COINr 1.1.14 ``a_genmean``.
    """
    s, w = _check(s, w, min_share)
    _check_scale(s, lo, hi)
    p = float(p)
    if p == 0 or not np.isfinite(p):
        raise ValueError(f"power mean needs a finite p != 0 (p = 0 is the geometric mean), got {p}")
    present, share, ok = _share(s, w, min_share)
    d = np.maximum(s - lo, 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        t = np.where(present & (w > 0), d ** p, 0.0)
        m = _wdot(t, w) / (share * _wsum(w))
        score = np.where(np.isinf(m), 0.0, m) ** (1.0 / p) + lo
    score = np.where(ok, score, np.nan)
    return _hull_clip(score, s), share


def copeland(s, w, *, lo, hi, min_share=2 / 3):
    """Copeland score of each unit among the units of the same year, mapped onto the scale.

    ::

        o_ab = Σ_j w_j [s_aj > s_bj] + ½ Σ_j w_j [s_aj = s_bj]      (children present for both)
        c_a  = Σ_{b ≠ a} sign(o_ab − ½)                             (+1 win, −1 loss, 0 draw)
        score = lo + (c_a + (n − 1)) / (2(n − 1)) · (hi − lo)        n = units scored that year

    A non-compensatory aggregation (Condorcet–Copeland): only which unit is
    better on each child counts, not by how much.  c ranges over
    [−(n − 1), n − 1]; the mapping onto the scale keeps COINr's order and gaps.
    Weights are those of the year; unit-years below ``min_share`` are NaN and
    take no part in that year's comparisons.  A year with one scored unit gives
    it the middle of the scale.  O(n² k) per year.

    Source: docs/methods.md#copeland; COINr 1.1.14 ``a_copeland`` and
    ``outrankMatrix``; Munda & Nardo (2009) Applied Economics 41(12).
    """
    s, w = _check(s, w, min_share)
    _check_scale(s, lo, hi)
    present, share, ok = _share(s, w, min_share)
    n_units, n_years, k = s.shape
    score = np.full((n_units, n_years), np.nan)
    for t in range(n_years):  # a loop over years; the pairwise comparison is one array operation
        rows = np.flatnonzero(ok[:, t])
        if rows.size == 0:
            continue
        if rows.size == 1:
            score[rows, t] = (lo + hi) / 2.0
            continue
        a = s[rows, t, :]
        wt = w if w.ndim == 1 else w[t]
        both = ~np.isnan(a)[:, None, :] & ~np.isnan(a)[None, :, :]
        gt = (a[:, None, :] > a[None, :, :]) & both
        eq = (a[:, None, :] == a[None, :, :]) & both
        o = gt @ wt + 0.5 * (eq @ wt)
        sign = np.sign(np.round(o - 0.5, 12))  # rounding of a sum of weights is no win
        np.fill_diagonal(sign, 0.0)
        c = sign.sum(axis=1)
        m = rows.size - 1
        score[rows, t] = lo + (c + m) / (2.0 * m) * (hi - lo)
    return score, share


def proportions(s, w, *, lo, hi, min_share=2 / 3):
    """Weighted proportions Σ_j w_j p_ij, the score several entropy-method papers report, on the scale.

    ::

        q_ij = (s_ij − lo) / (hi − lo)                  (children's scores on [0, 1])
        p_ij = q_ij / Σ_{i scored that year} q_ij         (each unit's proportion of the year's total)
        score = lo + (hi − lo) Σ_{j present} w_j p_ij / Σ_{j present} w_j

    The entropy method's own p (熵值法综合得分 S_i = Σ_j w_j p_ij); the scores
    of a year sum to 1 on [0, 1] (use ``scale: [0, 1]`` to print the papers'
    numbers), so they rank units within a year but do not compare across
    years.  A child that is 0 for every unit of a year adds nothing that year.
    Missing and min_share as in :func:`arithmetic`; unit-years below
    ``min_share`` take no part in the year's totals.

    Source: docs/methods.md#weighted-proportions; 杨丽 & 孙之淳 (2015)
    (panel entropy, S = Σ w p).
    """
    s, w = _check(s, w, min_share)
    _check_scale(s, lo, hi)
    present, share, ok = _share(s, w, min_share)
    q = np.where(present & ok[..., None], (s - lo) / (hi - lo), 0.0)
    col = q.sum(axis=0, keepdims=True)  # (1, n_years, n_children): the year's total of each child
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(col > 0, q / np.where(col > 0, col, 1.0), 0.0)
        score = np.where(ok, lo + (hi - lo) * _wdot(p, w) / (share * _wsum(w)), np.nan)
    return np.clip(score, lo, hi), share


#: TOPSIS normalisations of the children's scores: vector (Hwang–Yoon), min–max (pymcdm's and
#: pyrepo-mcda's default), none (the scores as they are, already normalised).
TOPSIS_NORMALIZE = ("vector", "minmax", "none")


def topsis(s, w, *, lo, hi, min_share=2 / 3, normalize="vector"):
    """Hwang–Yoon TOPSIS closeness, panel version, mapped onto the scale.

    ::

        r_ij = (s_ij − lo) / √(Σ_i (s_ij − lo)²)      i over all present unit-years (panel)
        v_ij = w_j r_ij
        A⁺_j = max_i v_ij,  A⁻_j = min_i v_ij          (children are "larger is better")
        D±_i = √(Σ_{j present} (v_ij − A±_j)²)
        C_i  = D⁻_i / (D⁺_i + D⁻_i),   score = lo + C_i·(hi − lo)

    Scores are measured from ``lo`` so the result does not depend on where the
    scale starts (identical to the plain formula lo + C·(hi − lo) for [0, 100]; the
    same closeness on [0, 1] and [0, 100]).  Missing children: the distances
    run over the present children only; renormalising their weights would
    scale D⁺ and D⁻ alike and leave C unchanged, so it is implicit.  A child
    that is 0 everywhere contributes nothing (no 0/0).  D⁺ + D⁻ = 0 (the
    present children are constant over the panel) gives the middle of the
    scale.  Unit-years below ``min_share`` are NaN.  Caveat: C is relative to
    the panel's ideal and anti-ideal; adding a unit can reverse ranks.

    ``normalize``: ``"vector"`` (above, the default), ``"minmax"``
    r_ij = (s_ij − min_i s_ij) / (max_i s_ij − min_i s_ij) over the panel (a
    constant child is 0: it adds no distance), as pymcdm's and pyrepo-mcda's
    TOPSIS do by default, or ``"none"``: r = s − lo, the children's scores as
    they are (they are already normalised).  Weights of shape (n_years, k)
    weight each year's rows with that year's weights; the ideal stays the panel's.

    Source: docs/methods.md#topsis; Hwang & Yoon
    (1981) pp. 128–134; tested on vectors/topsis.json.
    """
    s, w = _check(s, w, min_share)
    _check_scale(s, lo, hi)
    if normalize not in TOPSIS_NORMALIZE:
        raise ValueError(f"normalize {normalize!r} is not one of {', '.join(TOPSIS_NORMALIZE)}")
    present, share, ok = _share(s, w, min_share)
    flat = (s - lo).reshape(-1, s.shape[2])
    if normalize == "minmax":
        cmin, cmax = _over_rows(np.fmin, flat), _over_rows(np.fmax, flat)
        rng = cmax - cmin
        with np.errstate(invalid="ignore"):
            flat = np.where(rng > 0, (flat - cmin) / np.where(rng > 0, rng, 1.0), 0.0 * flat)
    wr = w if w.ndim == 1 else np.broadcast_to(w, s.shape).reshape(-1, s.shape[2])
    res = _closeness(flat, wr, normalise=normalize == "vector", weights_inside=False,
                     cost=np.zeros(s.shape[2], dtype=bool))
    c = res.closeness.reshape(s.shape[:2])
    score = np.where(ok, lo + c * (hi - lo), np.nan)
    return np.clip(score, lo, hi), share


METHODS = {"arithmetic": arithmetic, "geometric": geometric, "topsis": topsis, "harmonic": harmonic,
           "power": power, "copeland": copeland, "proportions": proportions}


# --------------------------------------------------------------------------- TOPSIS variants


@dataclass(frozen=True, slots=True, eq=False)
class TopsisResult:
    """All intermediate TOPSIS quantities (rows = alternatives, columns = criteria)."""

    closeness: np.ndarray  # (n,) C = D⁻/(D⁺ + D⁻); NaN if no criterion present, 0.5 if D⁺ + D⁻ = 0
    d_plus: np.ndarray  # (n,)
    d_minus: np.ndarray  # (n,)
    ideal: np.ndarray  # (m,) A⁺ in the space distances are taken in
    anti_ideal: np.ndarray  # (m,) A⁻
    r: np.ndarray  # (n, m) the normalised matrix (the input itself without vector normalisation)
    v: np.ndarray  # (n, m) the weighted matrix w·r (for "weights_inside": r, weights enter the distance)


#: variant → (vector-normalise the input?, weights inside the distance?)
TOPSIS_VARIANTS = {
    "hwang_yoon": (True, False),
    "weighted_matrix": (False, False),
    "weights_inside": (False, True),
}


def topsis_closeness(x, w, *, variant="hwang_yoon", cost=None):
    """TOPSIS closeness of the rows of a decision matrix, in three published variants.

    x : ndarray of shape (n_alternatives, n_criteria)
        Raw values (``hwang_yoon``) or already standardised values, e.g. the
        direction-aligned min–max z (the other two variants).  NaN = missing:
        that criterion is left out of the row's distances.
    w : ndarray of shape (n_criteria,)
    cost : bool array of shape (n_criteria,), optional
        Cost criteria: their ideal is the column min (Hwang–Yoon).  Leave it
        None for direction-aligned z.

    ::

        hwang_yoon       r = x/√Σx²,  v = w r,  D = √Σ (v − A)²           (evalkit's aggregation)
        weighted_matrix  v = w z,                D = √Σ (v − A)²           (熵权TOPSIS, Hwang–Yoon form)
        weights_inside   D = √Σ w (z − z*)²                               (teaching-code form)

    A⁺ = column max of v (min for cost), A⁻ the opposite; C = D⁻/(D⁺ + D⁻).
    The weighted-matrix forms square the weights, ``weights_inside`` does not,
    so rankings differ (docs/methods.md#topsis).

    Source: docs/methods.md#topsis; Hwang & Yoon (1981) pp. 128–134;
    tested on vectors/topsis.json (every variant).
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if x.ndim != 2 or w.shape != (x.shape[1],):
        raise ValueError(f"x must be (n, m) and w (m,), got {x.shape} and {w.shape}")
    if variant not in TOPSIS_VARIANTS:
        raise ValueError(f"variant {variant!r} is not one of {', '.join(TOPSIS_VARIANTS)}")
    cost = np.zeros(x.shape[1], dtype=bool) if cost is None else np.asarray(cost, dtype=bool)
    normalise, inside = TOPSIS_VARIANTS[variant]
    return _closeness(x, w, normalise=normalise, weights_inside=inside, cost=cost)


def _closeness(x, w, *, normalise, weights_inside, cost):
    """TOPSIS on a 2-D matrix with NaN = missing (left out of that row's distances)."""
    present = ~np.isnan(x)
    if normalise:
        norm = np.sqrt(np.einsum("ij,ij->j", np.where(present, x, 0.0), np.where(present, x, 0.0)))
        r = x / np.where(norm > 0, norm, 1.0)  # an all-zero column stays 0
    else:
        r = x.copy()
    v = r if weights_inside else r * w
    col_max, col_min = _over_rows(np.fmax, v), _over_rows(np.fmin, v)
    ideal = np.where(cost, col_min, col_max)
    anti = np.where(cost, col_max, col_min)
    dw = w if weights_inside else np.ones(w.shape[-1])
    dp2 = np.where(present, (v - ideal) ** 2, 0.0) @ dw
    dm2 = np.where(present, (v - anti) ** 2, 0.0) @ dw
    d_plus, d_minus = np.sqrt(dp2), np.sqrt(dm2)
    tot = d_plus + d_minus
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(tot > 0, d_minus / np.where(tot > 0, tot, 1.0), 0.5)
    c = np.where(present.any(axis=1), c, np.nan)
    return TopsisResult(closeness=c, d_plus=d_plus, d_minus=d_minus, ideal=ideal,
                        anti_ideal=anti, r=r, v=v)


# --------------------------------------------------------------------------- tree helper


def global_weights(parent_index, local_weight) -> np.ndarray:
    """Global weight of every node: the product of local weights from the root down.

    parent_index : int array of shape (n_nodes,)
        Parent position of each node, −1 for the root; nodes in topological
        order (every parent before its children), e.g. the tree's pre-order.
    local_weight : float array of shape (n_nodes,)
        Local weight of each node among its siblings (the root's is 1).

    ::

        gw_root = lw_root,   gw_i = lw_i · gw_parent(i)

    Source: docs/methods.md#ahp (a node's global weight is the product of
    local weights down the tree: hierarchy synthesis).
    """
    parent = np.asarray(parent_index, dtype=np.int64)
    lw = np.asarray(local_weight, dtype=np.float64)
    if parent.ndim != 1 or lw.shape != parent.shape:
        raise ValueError(f"parent_index and local_weight must be 1-D of one length, "
                         f"got {parent.shape} and {lw.shape}")
    idx = np.arange(parent.size)
    if ((parent >= idx) | (parent < -1)).any():
        raise ValueError("nodes must be in topological order: parent_index[i] in [-1, i)")
    gw = lw.copy()
    for i in idx:  # a loop over nodes (tens to hundreds), not cells
        if parent[i] >= 0:
            gw[i] *= gw[parent[i]]
    return gw
