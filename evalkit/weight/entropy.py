"""Entropy weights 熵权法: panel (min–max z) and ratio-scale variants.

Source: docs/methods.md#entropy.
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
    half the weight (docs/methods.md#entropy, pitfalls).

    Source: docs/methods.md#entropy (panel entropy)
    (panel entropy, k = 1/ln(r·n), 杨丽 & 孙之淳 2015); tested on
    vectors/entropy_weight.json, entropy_panel.json, entropy_hierarchical.json.
    """
    z = _as_matrix(z, "entropy input z")
    lo_r, hi_r = (0.0, 1.0) if rescale is None else (float(v) for v in rescale)
    if not hi_r > lo_r:
        raise ValueError(f"rescale needs lo < hi, got {rescale!r}")
    shift = float(shift)
    if not np.isfinite(shift) or shift < 0:
        raise ValueError(f"shift must be a finite number >= 0, got {shift!r}")
    # q = offset + slope·z: rescale first, then shift
    scan = _scan(z, offset=lo_r + shift, factor=hi_r - lo_r, what="entropy input z")
    if np.any(scan.q_lo < 0):
        raise ValueError(
            "entropy input z + shift has negative values; z must be min–max scores in [0, 1]"
        )
    return _finish(scan)


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

    Source: docs/methods.md#entropy (ratio-scale variant); Hwang & Yoon
    (1981) pp. 133–134; tested on vectors/entropy_weight.json
    (fighter_aircraft_ratio_scale).
    """
    x = _as_matrix(x, "ratio-scale entropy input x")
    # Scale each column by 1/max first: raw magnitudes (e.g. 20000) would make
    # ln S − T/S cancel; p is unchanged by a per-column factor.
    hi = np.fmax.reduce(x, axis=0) if x.shape[0] else np.ones(x.shape[1])
    factor = np.where(np.isfinite(hi) & (hi > 0), 1.0 / np.where(hi > 0, hi, 1.0), 1.0)
    scan = _scan(x, offset=0.0, factor=factor, what="ratio-scale entropy input x")
    if np.any(scan.lo[~np.isnan(scan.lo)] < 0):
        raise ValueError("ratio-scale entropy needs values >= 0 (p = x / Σx)")
    return _finish(scan)


# Rows per block of the single pass: ~2 MB of float64, so a block stays in
# cache between its reductions, the log and the products, and no temporary
# of the full matrix's size is ever allocated.
_BLOCK_CELLS = 1 << 18
_TINY = np.finfo(np.float64).tiny


@dataclass(frozen=True, slots=True, eq=False)
class _Scan:
    """Column statistics of one pass: counts, raw range, Σq, Σ q ln q, min of q."""

    n: np.ndarray
    hi: np.ndarray
    lo: np.ndarray
    s: np.ndarray
    t: np.ndarray
    q_lo: np.ndarray


def _scan(x: np.ndarray, *, offset: float, factor, what: str) -> _Scan:
    """One blocked pass over the rows of x with q = offset + factor·x (NaN -> left out)."""
    n_obs, m = x.shape
    rows = max(1, _BLOCK_CELLS // m)
    n = np.zeros(m, dtype=np.int64)
    hi = np.full(m, np.nan)
    lo = np.full(m, np.nan)
    s = np.zeros(m)
    t = np.zeros(m)
    plain = offset == 0.0 and np.all(np.asarray(factor) == 1.0)
    buf = np.empty((min(rows, n_obs), m))
    qbuf = None if plain else np.empty((min(rows, n_obs), m))
    with np.errstate(invalid="ignore", divide="ignore"):
        for start in range(0, n_obs, rows):
            blk = x[start:start + rows]
            k = blk.shape[0]
            if np.isfinite(np.einsum("ij->", blk)):
                mask = None
                n += k
            else:
                if np.isinf(blk).any():
                    raise ValueError(f"{what} contains ±inf; expected finite values or NaN")
                mask = np.isnan(blk)
                n += k - mask.sum(axis=0)
            np.fmax(hi, np.fmax.reduce(blk, axis=0), out=hi)
            np.fmin(lo, np.fmin.reduce(blk, axis=0), out=lo)
            if plain:
                q = blk
            else:
                q = np.multiply(blk, factor, out=qbuf[:k])
                q += offset
            if mask is not None:
                q = np.where(mask, 0.0, q)
            s += np.einsum("ij->j", q)
            # 0·ln 0 = 0: ln(max(q, tiny)) is finite, and 0 times it is 0
            lq = np.maximum(q, _TINY, out=buf[:k])
            np.log(lq, out=lq)
            t += np.einsum("ij,ij->j", q, lq)
    q_lo = offset + np.asarray(factor) * lo
    return _Scan(n=n, hi=hi, lo=lo, s=s, t=t, q_lo=q_lo[~np.isnan(q_lo)])


def _finish(scan: _Scan) -> EntropyResult:
    """Entropies from the pass statistics; constant and short columns get d = 0."""
    m = scan.n.size
    constant = _constant_columns(scan.hi, scan.lo) | (scan.n < 2)
    e = np.ones(m)
    ok = ~constant & (scan.s > 0)
    if ok.any():
        s = scan.s[ok]
        h = np.log(s) - scan.t[ok] / s  # Shannon entropy of p = q / S
        e[ok] = h / np.log(scan.n[ok])
    # 0 <= e <= 1 in exact arithmetic; clip the last-ulp excursions.
    np.clip(e, 0.0, 1.0, out=e)
    d = 1.0 - e
    d[~ok] = 0.0
    e[~ok] = 1.0
    return EntropyResult(w=_normalise_or_equal(d), e=e, d=d, n=scan.n, constant=~ok)
