"""Regional disparity 区域差异: Theil T and L, Dagum Gini, coefficient of variation.

Every function takes one cross-section y (n,) — the scores of one year and one
node — and optional group labels (n,), e.g. provinces. :func:`disparity_table`
loops over many cross-sections (years × nodes) for disparity.csv.

Source: docs/methods.md#theil, #dagum, #convergence (disparity.csv); Theil (1967) *Economics
and Information Theory*; Shorrocks (1980) Econometrica 48(3):613–625; Dagum (1997)
Empirical Economics 22:515–531.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "DISPARITY_COLUMNS",
    "PAIR_COLUMNS",
    "DagumGini",
    "Theil",
    "cv",
    "dagum_gini",
    "dagum_pairs",
    "disparity_table",
    "gini",
    "theil",
]

DISPARITY_COLUMNS = (
    "theil",
    "theil_within",
    "theil_between",
    "gini",
    "gini_within",
    "gini_between",
    "gini_trans",
    "cv",
    "theil_l",
    "theil_l_within",
    "theil_l_between",
    "gini_within_pct",
    "gini_between_pct",
    "gini_trans_pct",
    "n_units",
    "n_dropped_theil",
    "n_dropped_theil_l",
)

#: Columns of :func:`dagum_pairs` (dagum-pairs.csv after year and node).
PAIR_COLUMNS = ("group_j", "group_h", "n_j", "n_h", "mean_j", "mean_h", "G_jh", "D_jh", "d_jh", "p_jh",
                "contribution_nb", "contribution_t")


@dataclass(frozen=True, slots=True, eq=False)
class Theil:
    """Result of :func:`theil`; per-group arrays follow ``groups`` (first-appearance order)."""

    T: float
    T_within: float
    T_between: float
    L: float
    L_within: float
    L_between: float
    groups: tuple[Any, ...]
    n: np.ndarray
    mean: np.ndarray
    T_g: np.ndarray
    L_g: np.ndarray
    score_share: np.ndarray  # s_g = n_g μ_g / (n μ)
    pop_share: np.ndarray  # p_g = n_g / n
    contribution_T: np.ndarray  # s_g T_g
    contribution_L: np.ndarray  # p_g L_g
    n_used: int
    n_missing: int  # NaN units dropped
    n_nonpositive: int  # y ≤ 0: dropped from L (floor=None) or raised to the floor
    n_used_L: int = 0  # units in L (y > 0 unless floored)


@dataclass(frozen=True, slots=True, eq=False)
class DagumGini:
    """Result of :func:`dagum_gini`; groups ordered by mean, richest first.

    Per-group arrays (k,); pair arrays (k, k), symmetric, indexed in ``groups``
    order: G_jh (diagonal = G_jj), d_jh = E[(y_rich − y_poor)⁺],
    p_jh = E[(y_poor − y_rich)⁺], D_jh, weight = p_j s_h + p_h s_j
    (diagonals of d, p, D and weight are NaN).
    """

    G: float
    G_within: float
    G_net_between: float
    G_trans: float
    groups: tuple[Any, ...]
    n: np.ndarray
    mean: np.ndarray
    p: np.ndarray
    s: np.ndarray
    G_jj: np.ndarray
    G_jh: np.ndarray
    d_jh: np.ndarray
    p_jh: np.ndarray
    D_jh: np.ndarray
    weight: np.ndarray
    n_used: int
    n_missing: int

    @property
    def shares(self) -> dict[str, float]:
        """Contributions as shares of G: within, net_between, transvariation."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return {
                "within": self.G_within / self.G,
                "net_between": self.G_net_between / self.G,
                "transvariation": self.G_trans / self.G,
            }


def _codes(groups: Sequence[Any] | np.ndarray | None, n: int) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Integer group codes (first-appearance order) and the labels."""
    if groups is None:
        return np.zeros(n, dtype=np.int64), (None,)
    if isinstance(groups, np.ndarray) and groups.dtype.kind in "iub" and groups.ndim == 1:
        if groups.size != n:
            raise ValueError(f"groups has {groups.size} labels for {n} values")
        uniq, first, inv = np.unique(groups, return_index=True, return_inverse=True)
        order = np.argsort(first)
        rank = np.empty(order.size, dtype=np.int64)
        rank[order] = np.arange(order.size)
        return rank[inv.ravel()], tuple(uniq[order].tolist())
    labels = list(groups.tolist() if isinstance(groups, np.ndarray) else groups)
    if len(labels) != n:
        raise ValueError(f"groups has {len(labels)} labels for {n} values")
    index: dict[Any, int] = {}
    codes = np.fromiter((index.setdefault(g, len(index)) for g in labels), dtype=np.int64, count=n)
    return codes, tuple(index)


def _clean(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"y must be one cross-section (n,), got shape {y.shape}")
    return y


def _xlogx(r: np.ndarray) -> np.ndarray:
    """r ln r with 0 ln 0 = 0 (its limit), NaN kept."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(r > 0, r * np.log(np.where(r > 0, r, 1.0)), np.where(np.isnan(r), np.nan, 0.0))


def _theil_t(y: np.ndarray, c: np.ndarray, k: int) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """T, per-group T_g, mean μ_g, counts n_g and score shares s_g of y ≥ 0 (0 ln 0 = 0)."""
    n = y.size
    n_g = np.bincount(c, minlength=k).astype(np.float64)
    mu = y.mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        mu_g = np.bincount(c, weights=y, minlength=k) / n_g
        T = float(np.mean(_xlogx(y / mu))) if mu > 0 else float("nan")
        rg = np.where(mu_g[c] > 0, y / mu_g[c], 0.0)  # a group of zeros has no inequality
        T_g = np.bincount(c, weights=_xlogx(rg), minlength=k) / n_g
        s_g = np.where(n_g > 0, n_g * mu_g / (n * mu), 0.0)
    return T, T_g, mu_g, n_g, s_g


def theil(
    y: np.ndarray,
    groups: Sequence[Any] | np.ndarray | None = None,
    *,
    floor: float | None = None,
) -> Theil:
    """Theil T (GE(1)) and Theil L (GE(0), MLD) with within/between decomposition.

    y : ndarray (n,), scores of one year; groups : labels (n,) or None (one group).
    Each unit counts once (no population weights)::

        T   = (1/n) Σ_i (y_i/μ) ln(y_i/μ)          (0 · ln 0 = 0: defined for y ≥ 0)
        T_w = Σ_g s_g T_g ,  T_b = Σ_g s_g ln(μ_g/μ),   s_g = n_g μ_g / (n μ)
        L   = (1/n) Σ_i ln(μ/y_i)                   (needs y > 0)
        L_w = Σ_g p_g L_g ,  L_b = Σ_g p_g ln(μ/μ_g),   p_g = n_g / n
        T = T_w + T_b and L = L_w + L_b exactly.

    NaN units are dropped from both (``n_missing``). T is defined at y = 0 through
    its limit 0 · ln 0 = 0, so zeros stay in T; negative y are dropped from T
    (``n_used`` units left). L needs y > 0: with ``floor=None`` units with y ≤ 0 are
    dropped from L only (``n_used_L``; ``n_nonpositive`` counts them), otherwise
    y ← max(y, floor) for both indices. A one-unit group has T_g = L_g = 0, a group
    of zeros T_g = 0 and s_g = 0. A group left empty has n 0 and NaN mean, T_g and
    L_g, and shares 0. Nothing left at all: every index is NaN. The per-group
    arrays n, mean, T_g, score_share, contribution_T are those of T; L_g,
    pop_share, contribution_L those of L.

    Source: docs/methods.md#theil; Theil (1967); Shorrocks (1980) Econometrica 48:613–625
    (additive decomposability of GE(0), GE(1); GE(1) defined at zero incomes,
    GE(0) not); vectors/theil.json.
    """
    y = _clean(y)
    codes, labels = _codes(groups, y.size)
    k = len(labels)
    valid = ~np.isnan(y)
    n_missing = int((~valid).sum())
    nonpos = valid & (y <= 0)
    n_nonpositive = int(nonpos.sum())
    if floor is not None:
        if not floor > 0:
            raise ValueError(f"floor must be > 0, got {floor!r}")
        y = np.where(nonpos, floor, y)
        keep_T = keep_L = valid
    else:
        keep_T = valid & (y >= 0)
        keep_L = valid & ~nonpos
    nan = float("nan")
    z = np.full(k, nan)
    yT, cT_codes = y[keep_T], codes[keep_T]
    if yT.size:
        T, T_g, mu_g, n_g, s_g = _theil_t(yT, cT_codes, k)
    else:
        T, T_g, mu_g, n_g, s_g = nan, z, z, np.zeros(k), np.zeros(k)
    yL, cL_codes = y[keep_L], codes[keep_L]
    nL = yL.size
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # subnormal y: L = inf, as it should
        nL_g = np.bincount(cL_codes, minlength=k).astype(np.float64)
        if nL:
            muL = yL.mean()
            muL_g = np.bincount(cL_codes, weights=yL, minlength=k) / nL_g
            L = float(np.mean(np.log(muL / yL)))
            L_g = np.bincount(cL_codes, weights=np.log(muL_g[cL_codes] / yL), minlength=k) / nL_g
            p_g = nL_g / nL
            lnL = np.where(nL_g > 0, np.log(muL_g / muL), 0.0)
        else:
            L, L_g, p_g, lnL = nan, z, np.zeros(k), np.zeros(k)
        ln_ratio = np.where(s_g > 0, np.log(mu_g / (yT.mean() if yT.size else nan)), 0.0)
    cT = np.where(n_g > 0, s_g * np.nan_to_num(T_g), 0.0)
    cL = np.where(nL_g > 0, p_g * np.nan_to_num(L_g), 0.0)
    has_T, has_L = yT.size > 0 and T == T, nL > 0
    return Theil(
        T=T,
        T_within=float(cT.sum()) if has_T else nan,
        T_between=float((s_g * ln_ratio).sum()) if has_T else nan,
        L=L,
        L_within=float(cL.sum()) if has_L else nan,
        L_between=float(-(p_g * lnL).sum()) if has_L else nan,
        groups=labels,
        n=n_g,
        mean=mu_g,
        T_g=T_g,
        L_g=L_g,
        score_share=s_g,
        pop_share=p_g,
        contribution_T=cT,
        contribution_L=cL,
        n_used=int(yT.size),
        n_missing=n_missing,
        n_nonpositive=n_nonpositive,
        n_used_L=int(nL),
    )


def _abs_sum_within(y_sorted: np.ndarray) -> float:
    """Σ_i Σ_r |y_i − y_r| over ordered pairs of one sorted sample, O(n).

    As 2 Σ_k k (n − k) (y_(k) − y_(k−1)): non-negative terms, so exactly 0 for equal values.
    """
    n = y_sorted.size
    k = np.arange(1, n, dtype=np.float64)
    return float(2.0 * np.dot(k * (n - k), np.diff(y_sorted)))


def _pair_pos_sums(y: np.ndarray, g: np.ndarray, k: int) -> np.ndarray:
    """P[j, h] = Σ_{a ∈ j} Σ_{b ∈ h} (a − b)⁺ for all groups at once, O(n log n + n k).

    One global sort; cumulative counts and sums of each group along it give, for
    every unit a, #{b ∈ h : b < a} and Σ_{b ∈ h, b < a} b, so Σ_b (a − b)⁺ =
    a · count − sum. Values below a only: (a − b)⁺ of an overlap-free pair is an exact 0.
    """
    order = np.argsort(y, kind="stable")
    ys, gs = y[order], g[order]
    onehot = np.zeros((y.size, k))
    onehot[np.arange(y.size), gs] = 1.0
    cnt = np.zeros((y.size + 1, k))
    tot = np.zeros((y.size + 1, k))
    np.cumsum(onehot, axis=0, out=cnt[1:])
    np.cumsum(onehot * ys[:, None], axis=0, out=tot[1:])
    pos = np.searchsorted(ys, ys, side="left")  # units strictly below each unit
    R = ys[:, None] * cnt[pos] - tot[pos]  # (n, k): Σ_{b ∈ h} (a − b)⁺ per unit a
    by_group = np.argsort(gs, kind="stable")  # every code 0 … k−1 occurs
    starts = np.flatnonzero(np.r_[True, np.diff(gs[by_group]) != 0])
    return np.add.reduceat(R[by_group], starts, axis=0)  # (k, k), rows j = group of a


def gini(y: np.ndarray) -> float:
    """Gini coefficient G = Σ_i Σ_r |y_i − y_r| / (2 n² μ) of one cross-section (NaN dropped).

    Sort-based, O(n log n). μ = 0 or no data gives NaN.

    Source: docs/methods.md#dagum (G of Dagum 1997).
    """
    y = _clean(y)
    y = np.sort(y[~np.isnan(y)])
    if y.size == 0 or y.mean() == 0:
        return float("nan")
    return _abs_sum_within(y) / (2.0 * y.size**2 * y.mean())


def dagum_gini(y: np.ndarray, groups: Sequence[Any] | np.ndarray | None = None) -> DagumGini:
    """Dagum (1997) Gini decomposition G = G_w + G_nb + G_t by groups.

    y : ndarray (n,), scores of one year (≥ 0); groups : labels (n,) or None.
    Groups are ordered by mean, richest first (ties: first appearance)::

        G    = Σ_j Σ_h Σ_i Σ_r |y_ji − y_hr| / (2 n² μ)
        G_jj = Σ_i Σ_r |y_ji − y_jr| / (2 n_j² μ_j)
        G_w  = Σ_j G_jj p_j s_j ,    p_j = n_j/n ,  s_j = n_j μ_j /(n μ)
        G_jh = Σ_i Σ_r |y_ji − y_hr| / (n_j n_h (μ_j + μ_h))  = (d_jh + p_jh)/(μ_j + μ_h)
        d_jh = E[(y_rich − y_poor)⁺],  p_jh = E[(y_poor − y_rich)⁺]  (cross-group pairs)
        D_jh = (d_jh − p_jh)/(d_jh + p_jh)   (0 when d_jh + p_jh = 0)
        G_nb = Σ_{j>h} G_jh (p_j s_h + p_h s_j) D_jh ,  G_t = Σ_{j>h} G_jh (p_j s_h + p_h s_j)(1 − D_jh)

    No n × n matrix is formed: within a sorted sample Σ|y_i − y_r| =
    2 Σ_k k (n − k) (y_(k) − y_(k−1)), and across groups Σ_{a∈j} Σ_{b∈h} (a − b)⁺ =
    Σ_{a∈j} (a · #{b ∈ h: b < a} − Σ_{b ∈ h, b < a} b), read for every unit and
    every group from per-group cumulative counts and sums along one global sort:
    O(n log n + n k) time and O(n k) memory for all k² pairs, not O(n²).

    NaN units are dropped (``n_missing``); an empty group is dropped. μ = 0 (or
    no data) gives NaN indices. A one-unit group has G_jj = 0.

    Source: docs/methods.md#dagum; Dagum, C. (1997) A new approach to the decomposition
    of the Gini income inequality ratio, Empirical Economics 22:515–531;
    vectors/dagum_gini.json.
    """
    y = _clean(y)
    codes, labels = _codes(groups, y.size)
    keep = ~np.isnan(y)
    n_missing = int((~keep).sum())
    y, codes = y[keep], codes[keep]
    n = y.size
    present = np.unique(codes)
    parts = [np.sort(y[codes == g]) for g in present]
    means = np.array([p.mean() for p in parts])
    order = np.argsort(-means, kind="stable")
    parts = [parts[i] for i in order]
    labels = tuple(labels[present[i]] for i in order)
    rank_of_code = np.zeros(int(codes.max()) + 1 if codes.size else 1, dtype=np.int64)
    rank_of_code[present[order]] = np.arange(order.size)
    k = len(parts)
    nan = float("nan")
    mu = y.mean() if n else nan
    n_g = np.array([p.size for p in parts], dtype=np.float64)
    mu_g = means[order]
    nanmat = np.full((k, k), nan)
    if n == 0 or mu == 0:
        vec = np.full(k, nan)
        return DagumGini(nan, nan, nan, nan, labels, n_g, mu_g, vec, vec, vec, nanmat,
                         nanmat, nanmat, nanmat, nanmat, n, n_missing)
    p_g = n_g / n
    s_g = n_g * mu_g / (n * mu)
    G = _abs_sum_within(np.sort(y)) / (2.0 * n * n * mu)
    with np.errstate(invalid="ignore", divide="ignore"):
        G_jj = np.array([_abs_sum_within(p) for p in parts]) / (2.0 * n_g**2 * mu_g)
    G_jj = np.where(mu_g == 0, 0.0, G_jj)  # a group of zeros has no inequality
    P = _pair_pos_sums(y, rank_of_code[codes], k)
    nn = np.outer(n_g, n_g)
    ju, hu = np.triu_indices(k, 1)  # j < h: j is the richer group
    G_jh, d_jh, p_jh, D_jh, weight = (nanmat.copy() for _ in range(5))
    np.fill_diagonal(G_jh, G_jj)
    a, b = P[ju, hu], P[hu, ju]  # Σ (y_rich − y_poor)⁺, Σ (y_poor − y_rich)⁺
    msum = mu_g[ju] + mu_g[hu]
    with np.errstate(invalid="ignore", divide="ignore"):
        g_up = np.where(msum > 0, (a + b) / (nn[ju, hu] * msum), 0.0)
        D_up = np.where(a + b > 0, (a - b) / (a + b), 0.0)
    w_up = p_g[ju] * s_g[hu] + p_g[hu] * s_g[ju]
    for M, v in ((G_jh, g_up), (d_jh, a / nn[ju, hu]), (p_jh, b / nn[ju, hu]), (D_jh, D_up),
                 (weight, w_up)):
        M[ju, hu] = v
        M[hu, ju] = v
    G_nb = float((g_up * w_up * D_up).sum())
    G_t = float((g_up * w_up * (1.0 - D_up)).sum())
    return DagumGini(
        G=float(G),
        G_within=float((G_jj * p_g * s_g).sum()),
        G_net_between=float(G_nb),
        G_trans=float(G_t),
        groups=labels,
        n=n_g,
        mean=mu_g,
        p=p_g,
        s=s_g,
        G_jj=G_jj,
        G_jh=G_jh,
        d_jh=d_jh,
        p_jh=p_jh,
        D_jh=D_jh,
        weight=weight,
        n_used=n,
        n_missing=n_missing,
    )


def dagum_pairs(y: np.ndarray, groups: Sequence[Any] | np.ndarray) -> list[tuple[Any, ...]]:
    """The between-group terms of :func:`dagum_gini`, one row per pair j ≠ h (j richer), as
    :data:`PAIR_COLUMNS`: group_j, group_h, n_j, n_h, mean_j, mean_h, G_jh, D_jh, d_jh,
    p_jh, contribution_nb = G_jh (p_j s_h + p_h s_j) D_jh and contribution_t =
    G_jh (p_j s_h + p_h s_j)(1 − D_jh). The contributions sum to G_nb and G_t.

    Source: Dagum (1997) Empirical Economics 22:515–531, eqs. for G_jh, D_jh.
    """
    g = dagum_gini(y, groups)
    rows = []
    k = len(g.groups)
    for j in range(k):
        for h in range(j + 1, k):
            w, G, D = g.weight[j, h], g.G_jh[j, h], g.D_jh[j, h]
            rows.append((g.groups[j], g.groups[h], int(g.n[j]), int(g.n[h]), float(g.mean[j]), float(g.mean[h]),
                         float(G), float(D), float(g.d_jh[j, h]), float(g.p_jh[j, h]),
                         float(G * w * D), float(G * w * (1.0 - D))))
    return rows


def cv(y: np.ndarray, *, ddof: int = 0) -> float:
    """Coefficient of variation CV = sd / mean of one cross-section (NaN dropped).

    ``ddof=0`` (default): population sd; ``ddof=1``: sample sd — report which.
    mean = 0 or fewer than ddof + 1 values: NaN.

    Source: docs/methods.md#convergence (CV and σ).
    """
    y = _clean(y)
    y = y[~np.isnan(y)]
    if y.size <= ddof:
        return float("nan")
    m = y.mean()
    if m == 0:
        return float("nan")
    return float(y.std(ddof=ddof) / m)


def disparity_table(
    Y: np.ndarray,
    groups: Sequence[Any] | np.ndarray | None = None,
    *,
    ddof: int = 0,
    floor: float | None = None,
) -> dict[str, np.ndarray]:
    """The disparity.csv columns for many cross-sections at once.

    Y : ndarray (n_units, ...) — e.g. (n_units, n_years) or (n_units, n_years, n_nodes);
    each slice Y[:, i...] is one cross-section. groups : labels (n_units,).
    Returns a dict keyed by :data:`DISPARITY_COLUMNS` (theil, theil_within,
    theil_between = T, T_w, T_b of :func:`theil`; gini, gini_within,
    gini_between, gini_trans = G, G_w, G_nb, G_t of :func:`dagum_gini`; cv;
    theil_l, theil_l_within, theil_l_between = L, L_w, L_b; gini_*_pct = 100 G_w/G,
    100 G_nb/G, 100 G_t/G; n_units = units with a score; n_dropped_theil = units
    left out of T (score < 0); n_dropped_theil_l = units left out of L (score ≤ 0,
    ln 0 undefined; 0 with a ``floor``), each of shape Y.shape[1:]. ``floor`` goes
    to :func:`theil`, ``ddof`` to :func:`cv`.

    Cost: O(k² n log n) per cross-section (k groups); the loop over
    cross-sections is in Python (one sort per group per cross-section).

    Source: docs/methods.md#theil, #dagum, #convergence (disparity.csv).
    """
    Y = np.asarray(Y, dtype=np.float64)
    flat = Y.reshape(Y.shape[0], -1)
    out = {c: np.full(flat.shape[1], np.nan) for c in DISPARITY_COLUMNS}
    if groups is not None:
        groups = _codes(groups, Y.shape[0])[0]  # int codes once: fast path in every call
    for i in range(flat.shape[1]):
        y = flat[:, i]
        t = theil(y, groups, floor=floor)
        g = dagum_gini(y, groups)
        out["theil"][i], out["theil_within"][i], out["theil_between"][i] = t.T, t.T_within, t.T_between
        out["gini"][i], out["gini_within"][i] = g.G, g.G_within
        out["gini_between"][i], out["gini_trans"][i] = g.G_net_between, g.G_trans
        out["cv"][i] = cv(y, ddof=ddof)
        out["theil_l"][i], out["theil_l_within"][i], out["theil_l_between"][i] = t.L, t.L_within, t.L_between
        with np.errstate(invalid="ignore", divide="ignore"):
            out["gini_within_pct"][i] = 100.0 * g.G_within / g.G
            out["gini_between_pct"][i] = 100.0 * g.G_net_between / g.G
            out["gini_trans_pct"][i] = 100.0 * g.G_trans / g.G
        n_units = y.size - t.n_missing
        out["n_units"][i] = n_units
        out["n_dropped_theil"][i] = n_units - t.n_used
        out["n_dropped_theil_l"][i] = n_units - t.n_used_L
    return {c: v.reshape(Y.shape[1:]) for c, v in out.items()}
