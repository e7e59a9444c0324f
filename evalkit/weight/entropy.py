"""Entropy weights 熵权法: panel (min–max z) and ratio-scale variants.

Source: SPEC.md "Reference definitions" (entropy); METHODS.md §1.2–1.5.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .simple import _as_matrix, _constant_columns, _normalise_or_equal


@dataclass(frozen=True, slots=True, eq=False)
class EntropyResult:
    """What the entropy method learned about each child (column).

    w : (n_children,) weights, >= 0, sum 1
    e : (n_children,) entropies e_j in [0, 1] (1 for a constant or too short column)
    d : (n_children,) divergences d_j = 1 − e_j (差异系数), 0 for a constant column
    n : (n_children,) int, N_j = non-missing observations of column j (k_j = 1/ln N_j)
    constant : (n_children,) bool, columns treated as constant (incl. N_j < 2)
    """

    w: np.ndarray
    e: np.ndarray
    d: np.ndarray
    n: np.ndarray
    constant: np.ndarray


def entropy(
    z: np.ndarray,
    *,
    shift: float = 0.0,
    rescale: tuple[float, float] | None = None,
) -> EntropyResult:
    """Panel entropy weights of the columns of ``z``.

    z : ndarray of shape (n_obs, n_children)
        Direction-adjusted min–max scores in [0, 1]; rows are all unit-years
        of the panel (reshape (n_units, n_years, n) to (-1, n)).  NaN = missing.
    shift : float, default=0.0
        Translation 平移 added to z first (0.0001, 0.01 or 0.001 in papers).
    rescale : (lo, hi) or None, default=None
        Map z to lo + (hi − lo)·z first (``(0.01, 1.0)``: z' = 0.01 + 0.99 z;
        ``(0.002, 0.998)``: the [ε, 1−ε] of zhjx19/mathmodels).  Applied
        before ``shift``.

        p_ij = (z_ij + shift) / Σ_i (z_ij + shift)
        e_j  = −(1 / ln N_j) Σ_i p_ij ln p_ij      with 0·ln 0 = 0
        d_j  = 1 − e_j ,   w_j = d_j / Σ_k d_k

    Computed as e_j = (ln S_j − T_j / S_j) / ln N_j with S_j = Σ_i q_ij and
    T_j = Σ_i q_ij ln q_ij (q = shifted z), one log pass, no p matrix.

    NaN: missing cells are left out of column j, N_j counts the rest.
    Constant: a column whose non-missing values are all equal (incl. all 0,
    where p is 0/0), or with N_j < 2 (k undefined), has e = 1, d = 0, w = 0;
    if every column has d = 0 the weights are equal.  Negative z + shift is a
    bug upstream (the normaliser's contract) and raises ValueError.
    Caveat: entropy rewards dispersion, not importance; one outlier can take
    half the weight (METHODS.md §1.5).

    Source: SPEC.md "Reference definitions" (entropy); METHODS.md §1.2–1.3
    (panel entropy, k = 1/ln(r·n), 杨丽 & 孙之淳 2015); tested on
    vectors/entropy_weight.json, entropy_panel.json, entropy_hierarchical.json.
    """
    z = _as_matrix(z, "entropy input z")
    if rescale is not None:
        lo_r, hi_r = (float(v) for v in rescale)
        if not hi_r > lo_r:
            raise ValueError(f"rescale needs lo < hi, got {rescale!r}")
    shift = float(shift)
    if not np.isfinite(shift) or shift < 0:
        raise ValueError(f"shift must be a finite number >= 0, got {shift!r}")

    n_obs, m = z.shape
    total = np.einsum("ij->", z)
    has_nan = not np.isfinite(total)
    if has_nan and np.isinf(z).any():
        raise ValueError("entropy input z contains ±inf; z must be in [0, 1] or NaN")
    mask = ~np.isnan(z) if has_nan else None
    n = mask.sum(axis=0) if has_nan else np.full(m, n_obs)

    # fmax/fmin ignore NaN without warnings; an all-NaN column gives NaN (-> constant).
    hi = np.fmax.reduce(z, axis=0) if n_obs else np.full(m, np.nan)
    lo = np.fmin.reduce(z, axis=0) if n_obs else np.full(m, np.nan)
    constant = _constant_columns(hi, lo) | (n < 2)

    q = z
    if rescale is not None:
        q = lo_r + (hi_r - lo_r) * q
        lo = lo_r + (hi_r - lo_r) * lo
    if shift:
        q = q + shift
        lo = lo + shift
    if np.any(lo[~np.isnan(lo)] < 0):
        raise ValueError(
            "entropy input z + shift has negative values; z must be min–max scores in [0, 1]"
        )
    if has_nan:
        q = np.where(mask, q, 0.0)
    return _entropy_from_q(q, n, constant)


def entropy_ratio(x: np.ndarray) -> EntropyResult:
    """Ratio-scale entropy weights (Zeleny 1982; Hwang & Yoon 1981) on raw positive data.

    x : ndarray of shape (n_obs, n_children), raw values >= 0; NaN = missing.

        p_ij = x_ij / Σ_i x_ij          (no min–max, no direction handling)
        e_j  = −(1 / ln N_j) Σ_i p_ij ln p_ij ,   d_j = 1 − e_j ,   w_j = d_j / Σ d

    Entropy here measures dispersion only: a cost and a benefit column with
    the same values get the same e.  Constant columns (incl. all 0) and
    N_j < 2 give d = 0; all d = 0 gives equal weights.  Negative values are
    outside the method (ValueError).  For replication only (pyDecision,
    pymcdm's ``entropy_weights``); evalkit's default is :func:`entropy` on z.

    Source: METHODS.md §1.2 (ratio scale, worked example 3); Hwang & Yoon
    (1981) pp. 133–134; tested on vectors/entropy_weight.json
    (fighter_aircraft_ratio_scale).
    """
    x = _as_matrix(x, "ratio-scale entropy input x")
    n_obs, m = x.shape
    if np.isinf(x).any():
        raise ValueError("ratio-scale entropy input contains ±inf")
    mask = ~np.isnan(x)
    has_nan = not mask.all()
    n = mask.sum(axis=0)
    hi = np.fmax.reduce(x, axis=0) if n_obs else np.full(m, np.nan)
    lo = np.fmin.reduce(x, axis=0) if n_obs else np.full(m, np.nan)
    if np.any(lo[~np.isnan(lo)] < 0):
        raise ValueError("ratio-scale entropy needs values >= 0 (p = x / Σx)")
    constant = _constant_columns(hi, lo) | (n < 2)
    q = np.where(mask, x, 0.0) if has_nan else x
    # Work on p itself: raw magnitudes (e.g. 20000) would make ln S − T/S cancel.
    s = q.sum(axis=0)
    q = q / np.where(s > 0, s, 1.0)
    return _entropy_from_q(q, n, constant)


def _entropy_from_q(q: np.ndarray, n: np.ndarray, constant: np.ndarray) -> EntropyResult:
    """Entropies of the non-negative columns of q (missing cells already 0)."""
    m = q.shape[1]
    ones = np.ones(q.shape[0])
    s = ones @ q if q.shape[0] else np.zeros(m)
    logq = np.zeros_like(q)
    np.log(q, out=logq, where=q > 0)  # 0·ln 0 = 0: zero cells keep log 0 -> term 0
    t = np.einsum("ij,ij->j", q, logq)

    e = np.ones(m)
    ok = ~constant & (s > 0)
    if ok.any():
        h = np.log(s[ok]) - t[ok] / s[ok]  # Shannon entropy of p = q / s
        e[ok] = h / np.log(n[ok])
    # 0 <= e <= 1 in exact arithmetic; clip the last-ulp excursions.
    np.clip(e, 0.0, 1.0, out=e)
    d = 1.0 - e
    d[~ok] = 0.0
    e[~ok] = 1.0
    w = _normalise_or_equal(d)
    return EntropyResult(w=w, e=e, d=d, n=np.asarray(n, dtype=np.int64), constant=~ok)
