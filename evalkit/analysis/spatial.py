"""Spatial autocorrelation 空间自相关: global Moran's I and local Moran (LISA) clusters.

Written in numpy rather than with PySAL's esda/libpysal: the whole method is a weights
matrix, two quadratic forms and a permutation loop (about a hundred lines), while esda
pulls in libpysal, geopandas-era dependencies and numba; the tests check the numbers
against hand-computed cases and the textbook moments. The conditional randomisation
of LISA follows esda's scheme (one set of draws reused for every unit, skipping the
unit itself), so p-values behave alike.

Sources: Moran, P. A. P. (1950) Biometrika 37:17–23; Cliff, A. D. & Ord, J. K. (1981)
*Spatial Processes*, ch. 1–2 (moments under normality); Anselin, L. (1995) Local
indicators of spatial association — LISA, Geographical Analysis 27(2):93–115.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["WEIGHTS", "Moran", "Lisa", "contiguity_weights", "distance_weights", "haversine_km", "lisa", "moran"]

WEIGHTS = ("knn", "inverse_distance", "contiguity")
EARTH_KM = 6371.0088  # mean Earth radius (IUGG)
_SMALL = 200  # units up to which the permutation products use einsum
_CHUNK = 4_000_000  # draws gathered at once by LISA
_TIE = 1e-12  # a permuted statistic equal to the observed one up to summation order counts as ≥ it


def haversine_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """(n, n) great-circle distances in km between points given in decimal degrees."""
    la, lo = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    dla = la[:, None] - la[None, :]
    dlo = lo[:, None] - lo[None, :]
    h = np.sin(dla / 2) ** 2 + np.cos(la)[:, None] * np.cos(la)[None, :] * np.sin(dlo / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _row_standardise(W: np.ndarray) -> np.ndarray:
    rs = W.sum(axis=1, keepdims=True)
    return np.divide(W, rs, out=np.zeros_like(W), where=rs > 0)


def distance_weights(lat: np.ndarray, lon: np.ndarray, *, kind: str = "knn", k: int = 4,
                     power: float = 1.0) -> np.ndarray:
    """Row-standardised spatial weights from coordinates.

    kind="knn": w_ij = 1 for the k nearest other units (ties broken by order);
    kind="inverse_distance": w_ij = d_ij^(−power) for every j ≠ i. Rows sum to 1.
    """
    D = haversine_km(lat, lon)
    n = D.shape[0]
    np.fill_diagonal(D, np.inf)
    if kind == "knn":
        if not 1 <= k < n:
            raise ValueError(f"k must be in 1 … {n - 1}, got {k}")
        nearest = np.argsort(D, axis=1, kind="stable")[:, :k]
        W = np.zeros((n, n))
        W[np.repeat(np.arange(n), k), nearest.ravel()] = 1.0
    elif kind == "inverse_distance":
        with np.errstate(divide="ignore"):
            W = np.where(np.isfinite(D), D ** (-power), 0.0)
    else:
        raise ValueError(f"kind must be 'knn' or 'inverse_distance', got {kind!r}")
    return _row_standardise(W)


def contiguity_weights(ids: Sequence[str], neighbours: Sequence[Sequence[str]]) -> np.ndarray:
    """Row-standardised binary contiguity weights from neighbour lists, made symmetric
    (i lists j or j lists i); a unit with no neighbour keeps a row of zeros."""
    pos = {u: i for i, u in enumerate(ids)}
    n = len(ids)
    W = np.zeros((n, n))
    for i, nbs in enumerate(neighbours):
        for j in (pos[b] for b in nbs if b in pos and b != ids[i]):
            W[i, j] = W[j, i] = 1.0
    return _row_standardise(W)


@dataclass(frozen=True, slots=True)
class Moran:
    """Result of :func:`moran`."""

    I: float
    expected: float  # E[I] = −1/(n − 1)
    z_norm: float  # (I − E[I]) / sd under normality
    p_norm: float  # two-sided
    p_sim: float  # permutation pseudo p-value (folded, as esda)
    n: int
    permutations: int


@lru_cache(maxsize=8)
def _draws(n: int, permutations: int, seed: int) -> np.ndarray:
    """(permutations, n) random permutations of 0 … n−1: argsort of uniforms from default_rng(seed).

    Cached (read-only): every cross-section of a run uses the same seed and size, so the
    draws are made once, and reruns give the same p-values."""
    out = np.argsort(np.random.default_rng(seed).random((permutations, n)), axis=1)
    out.flags.writeable = False
    return out


def _z(y: np.ndarray) -> np.ndarray:
    return y - y.mean() if y.size else y.copy()


def _fold_p(above: np.ndarray, permutations: int) -> np.ndarray:
    """esda's pseudo p-value: (min(#≥, #<) + 1) / (permutations + 1)."""
    larger = np.minimum(above, permutations - above)
    return (larger + 1.0) / (permutations + 1.0)


def moran(y: np.ndarray, W: np.ndarray, *, permutations: int = 999, seed: int = 0) -> Moran:
    """Global Moran's I of one cross-section y (n,) with spatial weights W (n, n)::

        I = (n / S0) · Σ_i Σ_j w_ij z_i z_j / Σ_i z_i²,   z = y − ȳ,   S0 = Σ_ij w_ij
        E[I] = −1/(n − 1);  Var_N[I] = (n² S1 − n S2 + 3 S0²) / ((n² − 1) S0²) − E[I]²
        S1 = ½ Σ_ij (w_ij + w_ji)²,  S2 = Σ_i (Σ_j w_ij + Σ_j w_ji)²

    p_norm from z under normality (two-sided); p_sim from ``permutations`` random
    relabellings of y (argsort of default_rng(seed) uniforms): (min(#{I* ≥ I}, #{I* < I}) + 1) /
    (permutations + 1). Rows of W with a NaN y must be dropped by the caller.

    Source: Moran (1950); Cliff & Ord (1981) eqs. 1.35–1.37 (moments under normality).
    """
    from scipy.special import ndtr

    y = np.asarray(y, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    n = y.size
    z = _z(y)
    zz = float(z @ z)
    S0 = float(W.sum())
    nan = float("nan")
    if n < 3 or zz == 0 or S0 == 0:
        return Moran(nan, nan, nan, nan, nan, n, permutations)
    I = n / S0 * float(z @ W @ z) / zz
    E = -1.0 / (n - 1)
    S1 = 0.5 * float(((W + W.T) ** 2).sum())
    S2 = float(((W.sum(axis=1) + W.sum(axis=0)) ** 2).sum())
    var = (n * n * S1 - n * S2 + 3 * S0 * S0) / ((n * n - 1) * S0 * S0) - E * E
    zn = (I - E) / np.sqrt(var) if var > 0 else nan
    pn = float(2 * ndtr(-abs(zn))) if zn == zn else nan
    p_sim = nan
    if permutations > 0:
        Zp = z[_draws(n, permutations, seed)]  # (P, n): random relabellings
        if n <= _SMALL:  # einsum, not BLAS: on small products threaded BLAS spends more time syncing; in two
            # steps (Zp W, then row-wise dots), four times faster than one three-operand einsum (the summation
            # order differs, which _TIE absorbs)
            quad = np.einsum("pj,pj->p", np.einsum("pi,ij->pj", Zp, W), Zp)
        else:  # large n: W is sparse (k neighbours a row) or BLAS pays off
            from scipy import sparse

            Ws = sparse.csr_array(W) if (W != 0).mean() < 0.1 else W
            quad = (Zp * (Ws @ Zp.T).T).sum(axis=1)
        Ip = n / S0 * quad / zz
        p_sim = float(_fold_p(np.array((Ip >= I - _TIE * abs(I)).sum()), permutations))
    return Moran(I=float(I), expected=E, z_norm=float(zn), p_norm=pn, p_sim=p_sim, n=n, permutations=permutations)


@dataclass(frozen=True, slots=True, eq=False)
class Lisa:
    """Result of :func:`lisa`, arrays (n,): local I, spatial lag of z, pseudo p, quadrant 1–4."""

    Is: np.ndarray
    lag: np.ndarray
    p_sim: np.ndarray
    quadrant: np.ndarray  # 1 HH, 2 LH, 3 LL, 4 HL (esda's numbering); 0 where z or lag is 0
    z: np.ndarray


def lisa(y: np.ndarray, W: np.ndarray, *, permutations: int = 999, seed: int = 0) -> Lisa:
    """Local Moran I_i and its conditional-permutation pseudo p-value::

        I_i = (z_i / m2) Σ_j w_ij z_j,   m2 = Σ_k z_k² / n,   z = y − ȳ
        quadrant: HH (z_i > 0, lag > 0), LH (z_i < 0, lag > 0), LL (both < 0), HL (z_i > 0, lag < 0)

    p_sim: unit i keeps its value while the others are drawn at random (without
    replacement) into its k_i neighbour places, ``permutations`` times; one set of draws
    (default_rng(seed)) serves every unit, skipping the unit itself, as esda does.
    With W row-standardised (S0 = n) the mean of the I_i is the global I.

    Source: Anselin (1995) Geographical Analysis 27(2):93–115, eqs. 6–7 and the
    conditional randomisation of §3.
    """
    y = np.asarray(y, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    n = y.size
    z = _z(y)
    m2 = float(z @ z) / n if n else 0.0  # n = 0: a year without scores
    nan = np.full(n, np.nan)
    if n < 3 or m2 == 0:
        return Lisa(nan, nan, nan, np.zeros(n, np.int64), z)
    lag = W @ z
    Is = z / m2 * lag
    quad = np.where(z > 0, np.where(lag > 0, 1, np.where(lag < 0, 4, 0)),
                    np.where(z < 0, np.where(lag > 0, 2, np.where(lag < 0, 3, 0)), 0))
    p = np.full(n, np.nan)
    if permutations > 0:
        k = (W != 0).sum(axis=1)
        kmax = int(k.max())
        if kmax:
            draws = _draws(n - 1, permutations, seed)[:, :kmax]  # (P, kmax) in 0 … n−2
            # neighbour weights of each unit, padded with 0 to kmax: (n, kmax)
            order = np.argsort(W == 0, axis=1, kind="stable")[:, :kmax]
            wk = np.take_along_axis(W, order, axis=1)
            above = np.zeros(n, dtype=np.int64)
            step = max(1, _CHUNK // (permutations * kmax))  # units per chunk: bounded memory
            for a in range(0, n, step):
                units = np.arange(a, min(n, a + step))
                idx = draws[None, :, :] + (draws[None, :, :] >= units[:, None, None])  # skip unit i
                lag_p = np.einsum("ipk,ik->ip", z[idx], wk[units])  # (units, P)
                Ip = (z[units] / m2)[:, None] * lag_p
                above[units] = (Ip >= (Is[units] - _TIE * np.abs(Is[units]))[:, None]).sum(axis=1)
            p = np.where(k > 0, _fold_p(above, permutations), np.nan)
    return Lisa(Is=Is, lag=lag, p_sim=p, quadrant=quad.astype(np.int64), z=z)
