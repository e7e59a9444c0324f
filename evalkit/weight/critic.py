"""CRITIC and coefficient-of-variation weights.

Source: docs/methods.md#critic, docs/methods.md#cv.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .simple import EPS, _as_matrix, _constant_columns, _normalise_or_equal, equal


@dataclass(frozen=True, slots=True, eq=False)
class CriticResult:
    """CRITIC weights and what they were made of.

    w : (m,) weights, >= 0, sum 1
    sigma : (m,) σ_j of z over the complete rows (0 for a constant column)
    r : (m, m) Pearson r_jk (NaN in the row and column of a constant column)
    conflict : (m,) Σ_k (1 − r_jk) over the non-constant k (or 1 − |r_jk|)
    c : (m,) information amount C_j = σ_j · conflict_j
    n_rows : number of complete rows used
    fallback : "" normally; "sigma" when every C_j is 0 although some column
        varies (one varying column, or varying columns perfectly correlated):
        then w ∝ σ; "equal" when every column is constant
    """

    w: np.ndarray
    sigma: np.ndarray
    r: np.ndarray
    conflict: np.ndarray
    c: np.ndarray
    n_rows: int
    fallback: str


def critic(z: np.ndarray, *, abs_corr: bool = False, ddof: int = 1) -> CriticResult:
    """CRITIC weights (Diakoulaki, Mavrotas & Papayannakis 1995) of the columns of ``z``.

    z : ndarray of shape (n_obs, n_children)
        Direction-adjusted min–max scores (direction alignment matters: a
        flipped column flips the sign of its correlations).  NaN = missing.
    abs_corr : bool, default=False
        Use 1 − |r_jk| so that strong negative correlation is not conflict.
    ddof : int, default=1
        Delta degrees of freedom of σ (does not change the weights).

        σ_j  = sd(z_j)               r_jk = Pearson correlation of z_j, z_k
        C_j  = σ_j Σ_k (1 − r_jk)    w_j = C_j / Σ_k C_k

    NaN: rows with any missing cell are dropped (listwise), so σ and r use
    the same rows; pairwise-complete r would not give a consistent
    correlation matrix and is not worth it for weights.
    Constant column: σ = 0, so C = 0 and w = 0; it is also left out of the
    other columns' conflict sums (r with a constant is undefined), so adding
    a constant column changes no other weight.  Every column constant (or
    fewer than 2 complete rows): equal weights.  Every C = 0 while some
    column varies: w ∝ σ (``fallback="sigma"``).

    Source: docs/methods.md#critic;
    Diakoulaki, Mavrotas & Papayannakis (1995) Comput. Oper. Res. 22(7):763–770; tested
    on vectors/critic_cv.json.
    """
    z = _as_matrix(z, "CRITIC input z")
    if np.isinf(z).any():
        raise ValueError("CRITIC input z contains ±inf; z must be in [0, 1] or NaN")
    m = z.shape[1]
    zc = z if np.isfinite(np.einsum("ij->", z)) else z[~np.isnan(z).any(axis=1)]
    n_rows = zc.shape[0]
    if n_rows < 2 or n_rows - ddof <= 0:
        nan = np.full(m, np.nan)
        return CriticResult(
            w=equal(m), sigma=np.zeros(m), r=np.full((m, m), np.nan), conflict=nan,
            c=np.zeros(m), n_rows=n_rows, fallback="equal",
        )
    const = _constant_columns(zc.max(axis=0), zc.min(axis=0))
    dev = zc - zc.mean(axis=0)
    ss = np.einsum("ij,ij->j", dev, dev)
    sigma = np.sqrt(ss / (n_rows - ddof))
    sigma[const] = 0.0

    r = np.full((m, m), np.nan)
    var = ~const
    if var.any():
        dv = dev[:, var]
        norm = np.sqrt(ss[var])
        rv = (dv.T @ dv) / np.outer(norm, norm)
        np.clip(rv, -1.0, 1.0, out=rv)
        np.fill_diagonal(rv, 1.0)
        r[np.ix_(var, var)] = rv
        dist = 1.0 - (np.abs(rv) if abs_corr else rv)
        conflict = np.zeros(m)
        conflict[var] = dist.sum(axis=1)
    else:
        conflict = np.zeros(m)
    c = sigma * conflict

    fallback = ""
    # Rounding bound on r is ~ sqrt(n)·eps per entry; below it C carries no signal.
    if var.any() and np.all(conflict[var] <= 8.0 * m * np.sqrt(n_rows) * EPS):
        w = _normalise_or_equal(sigma)
        fallback = "sigma"
    else:
        w = _normalise_or_equal(c)
        if not var.any():
            fallback = "equal"
    return CriticResult(w=w, sigma=sigma, r=r, conflict=conflict, c=c, n_rows=n_rows,
                        fallback=fallback)


@dataclass(frozen=True, slots=True, eq=False)
class CvResult:
    """Coefficient-of-variation weights and their ingredients.

    w : (m,) weights, >= 0, sum 1
    v : (m,) V_j = σ_j / |μ_j| (0 for a constant column or one with μ_j = 0)
    mean, sd : (m,) μ_j and σ_j of the non-missing raw values
    n : (m,) int, non-missing count per column
    nonpositive_mean : (m,) bool, μ_j <= 0: V_j used |μ_j| (μ_j < 0) or was set
        to 0 (μ_j = 0); the loader turns each True into a warning
    """

    w: np.ndarray
    v: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    n: np.ndarray
    nonpositive_mean: np.ndarray


def cv(x: np.ndarray, *, ddof: int = 1) -> CvResult:
    """Coefficient-of-variation weights 变异系数法 on raw values.

    x : ndarray of shape (n_obs, n_children), raw (not min–max) values, NaN = missing.
    ddof : int, default=1 (does not change the weights)

        V_j = σ_j / |μ_j| ,   w_j = V_j / Σ_k V_k

    CV is a dispersion measure, so direction is irrelevant; it is meant for
    raw positive data (on min–max z the mean is arbitrary).  NaN: left out
    per column.  Constant column (or N_j <= ddof): V = 0, w = 0.  μ_j < 0:
    V uses |μ_j| and is flagged; μ_j = 0 (within rounding of the values'
    magnitude) with a varying column: V undefined, set to 0 and flagged.
    Every V = 0: equal weights.

    Source: docs/methods.md#cv (σ_j/μ_j of raw values);
    tested on vectors/critic_cv.json.
    """
    x = _as_matrix(x, "cv input x")
    if np.isinf(x).any():
        raise ValueError("cv input x contains ±inf")
    with np.errstate(invalid="ignore", divide="ignore"):
        if np.isfinite(np.einsum("ij->", x)):  # no missing cell: no masks
            n = np.full(x.shape[1], x.shape[0])
            mean = np.einsum("ij->j", x) / n
            dev = x - mean
        else:
            mask = ~np.isnan(x)
            n = mask.sum(axis=0)
            mean = np.where(mask, x, 0.0).sum(axis=0) / n
            dev = np.where(mask, x - mean, 0.0)
        sd = np.sqrt(np.einsum("ij,ij->j", dev, dev) / (n - ddof))
    m = x.shape[1]
    hi = np.fmax.reduce(x, axis=0) if x.shape[0] else np.full(m, np.nan)
    lo = np.fmin.reduce(x, axis=0) if x.shape[0] else np.full(m, np.nan)
    const = _constant_columns(hi, lo) | (n <= ddof) | (n < 2)
    scale = np.maximum(np.abs(hi), np.abs(lo))
    zero_mean = ~const & (np.abs(mean) <= 10.0 * EPS * np.sqrt(np.maximum(n, 1)) * scale)
    v = np.zeros(m)
    ok = ~const & ~zero_mean
    v[ok] = sd[ok] / np.abs(mean[ok])
    nonpos = ~const & ((mean <= 0) | zero_mean)
    sd = np.where(const & (n > ddof), 0.0, sd)
    return CvResult(w=_normalise_or_equal(v), v=v, mean=mean, sd=sd,
                    n=n.astype(np.int64), nonpositive_mean=nonpos)
