"""Kernel density of the scores by year 核密度估计: how the whole distribution moves.

A Gaussian kernel with Scott's bandwidth, as scipy.stats.gaussian_kde computes it, written
out in numpy: scipy.stats costs about a second to import on every run, and the
one-dimensional estimate is three lines (tests/unit/test_analysis_depth.py checks it
against gaussian_kde to 1e-12).

Source: Silverman, B. W. (1986) *Density Estimation for Statistics and Data Analysis*,
ch. 3; Scott, D. W. (1992) *Multivariate Density Estimation*, §6.3 (bandwidth σ̂ n^{-1/5}).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BW_METHODS", "KDE", "kde"]

BW_METHODS = ("scott", "silverman")


@dataclass(frozen=True, slots=True, eq=False)
class KDE:
    """Result of :func:`kde`: density (len(grid),), bandwidth h, units used n."""

    density: np.ndarray
    bandwidth: float
    n: int


def kde(y: np.ndarray, grid: np.ndarray, *, bw: str = "scott") -> KDE:
    """Gaussian kernel density of one cross-section y (NaN dropped) on ``grid``::

        f(x) = 1/(n h) Σ_i φ((x − y_i)/h),   h = σ̂ · n^{-1/5}            (bw="scott")
                                             h = σ̂ · (3n/4)^{-1/5}        (bw="silverman")

    σ̂ is the sample standard deviation (ddof 1), as scipy.stats.gaussian_kde uses
    (its ``factor`` times the data's sd). Fewer than 2 values or σ̂ = 0: NaN density.

    Source: scipy.stats.gaussian_kde (scott_factor, silverman_factor); Scott (1992) §6.3.
    """
    if bw not in BW_METHODS:
        raise ValueError(f"bw must be one of {', '.join(BW_METHODS)}; got {bw!r}")
    y = np.asarray(y, dtype=np.float64)
    y = y[np.isfinite(y)]
    grid = np.asarray(grid, dtype=np.float64)
    n = y.size
    sd = float(y.std(ddof=1)) if n >= 2 else 0.0
    if n < 2 or sd == 0:
        return KDE(np.full(grid.shape, np.nan), float("nan"), n)
    factor = n ** (-1 / 5) if bw == "scott" else (n * 3 / 4) ** (-1 / 5)
    h = sd * factor
    z = (grid[:, None] - y[None, :]) / h
    dens = np.exp(-0.5 * z * z).sum(axis=1) / (n * h * np.sqrt(2 * np.pi))
    return KDE(dens, float(h), n)
