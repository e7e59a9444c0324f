"""The statistical audit of a composite index: correlations, Cronbach's alpha, PCA, effective importance.

Pure functions on arrays (rows = observations: units, or unit-years when pooled; columns =
a node's children).  NaN is missing: correlations and covariances use the pairwise-complete
observations of each pair (R's ``use = "pairwise.complete.obs"``, as COINr's ``get_corr`` and
``get_cronbach``); the PCA uses the complete rows (as COINr's ``get_PCA``), because a
pairwise correlation matrix need not be positive semi-definite.

Source: docs/methods.md#audit; OECD/JRC (2008) Handbook on Constructing Composite Indicators,
steps 4 (multivariate analysis) and 7 (links to the structure); Paruolo, Saisana & Saltelli
(2013), "Ratings and rankings: voodoo or science?", JRSS A 176(3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_SPLINE_VALUES = 10  # fewer distinct values of a child: the conditional means are taken directly


def _2d(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x[:, None] if x.ndim == 1 else x


def _centre(a: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Columns minus their mean over the present values; missing cells 0."""
    a0 = np.where(present > 0, a, 0.0)
    mu = a0.sum(axis=0) / np.maximum(present.sum(axis=0), 1.0)
    return np.where(present > 0, a0 - mu, 0.0)


def pearson(a: np.ndarray, b: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pearson r of every column of ``a`` (n, p) with every column of ``b`` (n, q), pairwise complete.

    r_ij = Σ (a_i − ā_i)(b_j − b̄_j) / √(Σ (a_i − ā_i)² Σ (b_j − b̄_j)²), every sum and mean over the
    rows where both a_i and b_j are present (R ``cor(a, b, use = "pairwise.complete.obs")``).
    Returns (r (p, q), n (p, q)); r is NaN where fewer than 3 pairs remain or a column is constant
    over them.  ``b=None``: ``a`` against itself.
    Source: docs/methods.md#audit.
    """
    a = _2d(a)
    b = a if b is None else _2d(b)
    ma, mb = np.isfinite(a).astype(np.float64), np.isfinite(b).astype(np.float64)
    # centre each column on its own mean first: the pairwise sums below then lose no precision
    ca, cb = _centre(a, ma), _centre(b, mb)
    n = ma.T @ mb
    sa, sb = ca.T @ mb, ma.T @ cb
    saa, sbb = (ca * ca).T @ mb, ma.T @ (cb * cb)
    sab = ca.T @ cb
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sab - sa * sb / n
        va = saa - sa * sa / n
        vb = sbb - sb * sb / n
        # a pair with no spread is constant there: no correlation, not 0/0
        tiny = 1e-12 * np.maximum(saa, sbb) + 1e-300
        r = np.where((n >= 3) & (va > tiny) & (vb > tiny), cov / np.sqrt(va * vb), np.nan)
    return np.clip(r, -1.0, 1.0), n


def _rank(v: np.ndarray) -> np.ndarray:
    """Average ranks (1..n) of the finite values of each column; NaN stays NaN."""
    from scipy.stats import rankdata

    return rankdata(v, axis=0, nan_policy="omit")


def spearman(a: np.ndarray, b: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Spearman ρ: Pearson r of the average ranks, ranked within each pair's complete rows (as R's ``cor``).

    Columns without gaps are ranked once; a pair whose complete rows differ from its columns' own
    is ranked again on those rows.  Returns (ρ (p, q), n (p, q)).
    Source: docs/methods.md#audit.
    """
    a = _2d(a)
    same = b is None
    b = a if same else _2d(b)
    r, n = pearson(_rank(a), None if same else _rank(b))
    fa, fb = np.isfinite(a), np.isfinite(b)
    # pairs whose complete rows are fewer than a column's own: the ranks must be taken on those rows
    redo = (n < fa.sum(axis=0)[:, None]) | (n < fb.sum(axis=0)[None, :])
    if same:  # a symmetric matrix: each pair once
        redo &= np.triu(np.ones(redo.shape, bool), 1)
    from scipy.stats import rankdata

    for i, j in zip(*np.nonzero(redo & (n >= 3))):
        ok = fa[:, i] & fb[:, j]
        ri, rj = rankdata(a[ok, i]), rankdata(b[ok, j])  # no gaps left on these rows
        r[i, j] = pearson(ri, rj)[0][0, 0]
        if same:
            r[j, i] = r[i, j]
    return r, n


def pairwise_cov(x: np.ndarray) -> np.ndarray:
    """(k, k) sample covariances (n − 1) on pairwise-complete rows (R ``cov(x, use = "pairwise.complete.obs")``)."""
    x = _2d(x)
    m = np.isfinite(x).astype(np.float64)
    c = _centre(x, m)
    n = m.T @ m
    s, st = c.T @ m, m.T @ c
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n >= 2, (c.T @ c - s * st / n) / (n - 1), np.nan)


def cronbach_alpha(x: np.ndarray) -> float:
    """Cronbach's alpha of the k columns of x (n, k): α = k/(k−1) · (1 − Σ σ_i² / Σ_ij σ_ij).

    σ from :func:`pairwise_cov` — COINr's ``get_cronbach`` (k² · mean off-diagonal covariance /
    sum of the covariance matrix, the same number).  NaN when k < 2 or the total variance is
    not positive.  α ≤ 1 whenever the covariance matrix is positive semi-definite (complete data).
    Source: docs/methods.md#audit; Cronbach (1951), Psychometrika 16(3).
    """
    x = _2d(x)
    k = x.shape[1]
    if k < 2:
        return float("nan")
    c = pairwise_cov(x)
    total = np.nansum(c)
    if not total > 0:
        return float("nan")
    return float(k / (k - 1) * (1.0 - np.nansum(np.diag(c)) / total))


@dataclass(frozen=True, slots=True)
class Pca:
    """PCA of a correlation matrix: components sorted by eigenvalue, largest first."""

    eigenvalues: np.ndarray  # (k,)
    share: np.ndarray  # (k,) eigenvalue / k: share of the standardised variance
    loadings: np.ndarray  # (k, k) column c = unit eigenvector of component c (prcomp's rotation)
    n_obs: int  # complete rows used
    n_above_one: int  # components with eigenvalue > 1 (Kaiser)


def pca(x: np.ndarray) -> Pca:
    """PCA of the correlation matrix of x's complete rows (x: (n, k)).

    The eigen-decomposition R = V Λ Vᵀ of the Pearson correlation matrix of the rows with every
    column present (``prcomp(center = TRUE, scale = TRUE)`` on ``na.omit``, as COINr's
    ``get_PCA``); Σ λ = k.  Each eigenvector's sign is fixed so that its entries sum to ≥ 0
    (a PCA's sign is arbitrary).  Fewer than 3 complete rows, or a column constant on them:
    every number NaN.
    Source: docs/methods.md#audit; Jolliffe (2002), Principal Component Analysis, ch. 2.
    """
    x = _2d(x)
    k = x.shape[1]
    rows = np.isfinite(x).all(axis=1)
    xc = x[rows]
    nan = Pca(np.full(k, np.nan), np.full(k, np.nan), np.full((k, k), np.nan), int(rows.sum()), 0)
    if xc.shape[0] < 3:
        return nan
    r, _ = pearson(xc)
    if not np.isfinite(r).all():
        return nan
    np.fill_diagonal(r, 1.0)
    lam, v = np.linalg.eigh(r)
    order = np.argsort(-lam, kind="stable")
    lam, v = np.clip(lam[order], 0.0, None), v[:, order]
    v = v * np.where(v.sum(axis=0) < 0, -1.0, 1.0)
    return Pca(lam, lam / k, v, int(rows.sum()), int((lam > 1.0 + 1e-12).sum()))


def _conditional_mean(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """E[y | x] at each x: a penalised cubic regression spline (P-spline), its penalty chosen by GCV.

    Cubic B-splines on equally spaced knots over x's range (up to 20 segments), a second-order
    difference penalty λ‖Da‖² (Eilers & Marx 1996, Statistical Science 11(2)), λ the minimiser of
    GCV(λ) = n·RSS / (n − tr H)² over a grid of 49 values spanning 12 decades, all from one
    eigen-decomposition.  The penalty leaves straight lines free, so a linear relation is fitted exactly.
    Fewer than ``MIN_SPLINE_VALUES`` distinct x: the group means of y themselves.
    """
    from scipy.interpolate import BSpline

    # fit on the rows sorted by (x, y): every sum then runs in the same order whatever the units' order
    order = np.lexsort((y, x))
    back = np.empty_like(order)
    back[order] = np.arange(order.size)
    return _fit_sorted(x[order], y[order], BSpline)[back]


def _fit_sorted(x: np.ndarray, y: np.ndarray, BSpline) -> np.ndarray:
    ux, inv = np.unique(x, return_inverse=True)
    if ux.size < MIN_SPLINE_VALUES:
        return (np.bincount(inv, weights=y) / np.bincount(inv))[inv]
    nseg = int(min(20, max(4, ux.size // 3)))
    # x onto [0, nseg] and knots on the integers: every knot and both ends exact in floating point
    t = np.clip((x - ux[0]) / (ux[-1] - ux[0]) * nseg, 0.0, float(nseg))
    knots = np.arange(-3.0, nseg + 4.0)
    basis = BSpline.design_matrix(t, knots, 3).toarray()  # (n, nseg + 3)
    m = basis.shape[1]
    d = np.diff(np.eye(m), 2, axis=0)
    penalty = d.T @ d
    btb, bty = basis.T @ basis, basis.T @ y
    # one eigen-decomposition serves every λ (Demmler–Reinsch): with BᵀB = LLᵀ and
    # L⁻¹ P L⁻ᵀ = U diag(s) Uᵀ, (BᵀB + λP)⁻¹ = L⁻ᵀ U diag(1 / (1 + λs)) Uᵀ L⁻¹.
    # A tiny ridge keeps BᵀB invertible when a segment holds no data.
    scale = np.trace(btb) / m
    chol = np.linalg.cholesky(btb + 1e-10 * scale * np.eye(m))
    linv = np.linalg.inv(chol)
    s, u = np.linalg.eigh(linv @ penalty @ linv.T)
    s = np.clip(s, 0.0, None)
    lam = scale * 10.0 ** np.linspace(-6, 6, 49)  # λ relative to BᵀB: the grid does not depend on y's units
    shrink = 1.0 / (1.0 + lam[:, None] * s[None])  # (G, m)
    coef = (shrink * (u.T @ (linv @ bty))[None]) @ (linv.T @ u).T  # (G, m)
    fitted = coef @ basis.T  # (G, n)
    rss = ((y[None] - fitted) ** 2).sum(axis=1)
    edf = shrink.sum(axis=1)  # tr H = tr((BᵀB + λP)⁻¹ BᵀB)
    n = y.size
    with np.errstate(divide="ignore", invalid="ignore"):
        gcv = np.where(edf < n - 1e-9, n * rss / (n - edf) ** 2, np.inf)
    return fitted[int(np.argmin(gcv))]


def first_order(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Effective importance of each child: the squared correlation ratio S_i = V[E(y | x_i)] / V(y).

    x : (n, k) the children, y : (n,) the parent.  For each child, on the rows where both are
    present, E(y | x_i) is estimated by a penalised cubic regression spline of y on x_i with the
    penalty chosen by generalised cross-validation (:func:`_conditional_mean`; with fewer than
    10 distinct values of x_i, the group means of y), and S_i = var(fitted) / var(y),
    clipped to [0, 1].  S_i is the first-order sensitivity index of y on x_i: for a linear
    index of independent children, S_i = w_i² var(x_i) / var(y).  NaN where fewer than 5 rows
    remain or y or x_i is constant on them.
    Source: docs/methods.md#audit; Paruolo, Saisana & Saltelli (2013), JRSS A 176(3).
    """
    x = _2d(x)
    y = np.asarray(y, dtype=np.float64).ravel()
    out = np.full(x.shape[1], np.nan)
    for i in range(x.shape[1]):  # one smoother per child, each on its whole column
        ok = np.isfinite(x[:, i]) & np.isfinite(y)
        xi, yi = x[ok, i], y[ok]
        if xi.size < 5 or np.ptp(xi) <= 0:
            continue
        vy = yi.var()
        if not vy > 1e-300:
            continue
        out[i] = min(max(_conditional_mean(xi, yi).var() / vy, 0.0), 1.0)
    return out


def importance_ratio(s: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(share, ratio): S_i / Σ S_j beside the nominal weight, and share / (w_i / Σ w_j).

    A ratio near 1: the child matters as much as its weight says; well below 1: its weight
    is not felt in the parent's scores (Paruolo et al. 2013).  NaN where S is NaN,
    every S is 0 or the weight is 0.
    """
    s = np.asarray(s, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    tot = np.nansum(s)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(tot > 0, s / (tot if tot > 0 else 1.0), np.nan)
        wn = w / w.sum() if w.sum() > 0 else np.full(w.shape, np.nan)
        ratio = np.where(wn > 0, share / np.where(wn > 0, wn, 1.0), np.nan)
    return share, ratio


def skew_kurtosis(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Skewness G1 and excess kurtosis G2 of each column of x (n, k), NaN ignored.

    The bias-adjusted estimators of the outlier treatment (Excel SKEW / KURT, COINr's skew and
    kurt): see :func:`evalkit.prepare.treat.skew_kurt`.
    """
    from ..prepare.treat import skew_kurt

    return skew_kurt(_2d(x))
