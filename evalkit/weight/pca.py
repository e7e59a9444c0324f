"""PCA weights, as COINr computes them: the loadings of the first principal component.

Source: docs/methods.md#pca; COINr 1.1.14 ``get_PCA`` (R/PCA.R).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .simple import _as_matrix, _constant_columns, equal


@dataclass(frozen=True, slots=True, eq=False)
class PcaResult:
    """PCA weights and what they came from.

    w : (m,) weights, >= 0, sum 1
    loadings : (m,) the first principal component's loadings (unit length, Σ > 0)
    explained : share of the total variance the first component explains
    negative : (m,) bool, loadings < 0 set to weight 0 (evalkit needs weights >= 0)
    n_rows : complete rows used
    fallback : "" normally; "equal" when fewer than 2 complete rows or no column varies
    """

    w: np.ndarray
    loadings: np.ndarray
    explained: float
    negative: np.ndarray
    n_rows: int
    fallback: str


def pca(z: np.ndarray) -> PcaResult:
    """Weights from the first principal component of the columns of ``z``.

    z : ndarray of shape (n_obs, n_children), NaN = missing; direction-adjusted
        (a cost column turned round), since the sign of a loading follows it.

    COINr's ``get_PCA`` runs ``prcomp(X, center = TRUE, scale = TRUE)`` on the
    rows without missing values (``na.omit``) and takes ``rotation[, 1]``, the
    first eigenvector of the correlation matrix, as the weights; its
    aggregation divides by Σw.  So::

        R  = corr(z)  (complete rows),   R v₁ = λ₁ v₁,  ‖v₁‖ = 1,  largest λ₁
        w_j = v₁j / Σ_k v₁k      (the sign of v₁ chosen so that Σ v₁ > 0)

    The loadings are not squared (some texts square them; COINr does not).
    A loading < 0 (a child running against the others) would be a negative
    weight, which COINr keeps; evalkit sets it to 0, renormalises, and flags it
    in ``negative`` (the pipeline warns).  A constant column gets loading 0.
    Fewer than 2 complete rows, or no varying column: equal weights.

    Source: COINr 1.1.14 ``get_PCA`` (R/PCA.R: prcomp, rotation[, 1]);
    OECD/JRC Handbook (2008) §6.1 (factor analysis weights).
    """
    z = _as_matrix(z, "PCA input z")
    m = z.shape[1]
    zc = z[~np.isnan(z).any(axis=1)]
    n = zc.shape[0]
    const = _constant_columns(zc.max(axis=0), zc.min(axis=0)) if n else np.ones(m, bool)
    sd = zc.std(axis=0, ddof=1) if n >= 2 else np.zeros(m)
    var = ~const & (sd > 0) & np.isfinite(1.0 / np.where(sd > 0, sd, 1.0))  # a subnormal sd is no spread
    if n < 2 or not var.any():
        return PcaResult(w=equal(m), loadings=np.zeros(m), explained=float("nan"), negative=np.zeros(m, bool),
                         n_rows=n, fallback="equal")
    x = zc[:, var]
    x = (x - x.mean(axis=0)) / sd[var]
    r = (x.T @ x) / (n - 1)
    vals, vecs = np.linalg.eigh(r)  # ascending eigenvalues
    v = vecs[:, -1]
    if v.sum() < 0:
        v = -v
    loadings = np.zeros(m)
    loadings[var] = v
    negative = loadings < 0
    pos = np.where(negative, 0.0, loadings)
    total = pos.sum()
    w = pos / total if total > 0 else equal(m)
    return PcaResult(w=w, loadings=loadings, explained=float(vals[-1] / vals.sum()), negative=negative,
                     n_rows=n, fallback="" if total > 0 else "equal")
