"""Coupling coordination degree 耦合协调度 of the domain indices U.

The corrected coupling degree of 王淑佳 et al. (2021) is the default; the
traditional (normative) form is kept for comparability with the literature.

Source: docs/methods.md#coordination (coordination.csv); 王淑佳、孔伟、
任亮、治丹丹、戴彬婷 (2021) 国内耦合协调度模型的误区及修正,《自然资源学报》36(3):793–810.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "CLASSES",
    "VARIANTS",
    "Coordination",
    "coordination_level",
    "coupling_coordination",
    "coupling_degree",
    "COUPLING_STAGES",
    "coupling_stage",
    "relative_development",
    "RelativeDevelopment",
]

#: Coupling stages by the coupling degree C: (upper bound, zh, en), classes (lo, hi]
#: with C = 0 in the first. The thresholds 0.3 / 0.5 / 0.8 are those of 刘耀彬、李仁东、
#: 宋学锋 (2005) 中国城市化与生态环境耦合度分析,《自然资源学报》20(1):105–112,
#: the ones most Chinese coupling studies use.
COUPLING_STAGES: tuple[tuple[float, str, str], ...] = (
    (0.3, "低水平耦合", "low-level coupling"),
    (0.5, "拮抗", "antagonism"),
    (0.8, "磨合", "running-in"),
    (1.0, "高水平耦合", "high-level coupling"),
)

#: Relative development degree E = U_min / U_max at or above this is synchronous development.
SYNC_E = 0.8

#: (level, lower, upper, class_zh, class_en) — docs/methods.md#coordination, as reproduced in
#: 《地理学报》 2021, 76(4).
CLASSES: tuple[tuple[int, float, float, str, str], ...] = (
    (1, 0.0, 0.1, "极度失调", "extreme imbalance"),
    (2, 0.1, 0.2, "严重失调", "serious imbalance"),
    (3, 0.2, 0.3, "中度失调", "moderate imbalance"),
    (4, 0.3, 0.4, "轻度失调", "mild imbalance"),
    (5, 0.4, 0.5, "濒临失调", "on the verge of imbalance"),
    (6, 0.5, 0.6, "勉强协调", "barely coordinated"),
    (7, 0.6, 0.7, "初级协调", "primary coordination"),
    (8, 0.7, 0.8, "中级协调", "intermediate coordination"),
    (9, 0.8, 0.9, "良好协调", "good coordination"),
    (10, 0.9, 1.0, "优质协调", "high-quality coordination"),
)

#: C variants accepted by :func:`coupling_coordination`.  ``coupling_degree``
#: also accepts ``"no_coefficient"`` (a documented misuse, for replication only).
VARIANTS = ("corrected", "traditional")

# Inner class boundaries 0.1 … 0.9, written as the same float literals as CLASSES
# so that D = 0.3 meets the boundary exactly.
_EDGES = np.array([c[1] for c in CLASSES[1:]])
_ZH = np.array([None] + [c[3] for c in CLASSES], dtype=object)
_EN = np.array([None] + [c[4] for c in CLASSES], dtype=object)
_U_TOL = 1e-9  # U may exceed 1 by float rounding of a weighted sum, not more


@dataclass(frozen=True, slots=True, eq=False)
class Coordination:
    """Result of :func:`coupling_coordination`; every array has U's leading shape.

    level is 1–10 (0 where U had a NaN), class_zh / class_en are object arrays
    (None where level is 0), lagging is the index of the lowest U (−1 for NaN).
    """

    C: np.ndarray
    T: np.ndarray
    D: np.ndarray
    level: np.ndarray
    class_zh: np.ndarray
    class_en: np.ndarray
    lagging: np.ndarray
    variant: str
    closed: str


def _check_u(U: np.ndarray) -> np.ndarray:
    U = np.asarray(U, dtype=np.float64)
    if U.ndim < 1 or U.shape[-1] < 2:
        raise ValueError(f"U needs a last axis of at least 2 systems, got shape {U.shape}")
    finite = U[~np.isnan(U)]
    if finite.size and (finite.min() < 0.0 or finite.max() > 1.0 + _U_TOL):
        raise ValueError(
            f"U must lie in [0, 1], got min {finite.min()!r}, max {finite.max()!r}"
        )
    return U


def coupling_degree(U: np.ndarray, *, variant: str = "corrected") -> np.ndarray:
    """Coupling degree C of n systems along the last axis of ``U``.

    U : ndarray of shape (..., n_systems), values in [0, 1], n_systems ≥ 2.
    Returns C of shape U.shape[:-1], in [0, 1].

    ``variant="corrected"`` (default; 王淑佳 et al. 2021, docs/methods.md#coordination)::

        C = √{ [1 − Σ_{i<j} |U_i − U_j| / (n(n−1)/2)] × [Π_i (U_i / max_j U_j)]^{1/(n−1)} }

    ``variant="traditional"`` (normative form, docs/methods.md#coordination)::

        C = n · (Π_i U_i)^{1/n} / Σ_i U_i

    ``variant="no_coefficient"`` is the misuse 丢失系数 of docs/methods.md#coordination,
    ``(Π U)^{1/n} / Σ U ≤ 1/n``; it exists only to reproduce flawed published
    numbers (and the vector ``C_no_coefficient_WRONG``). Do not report it.

    Both proper forms give C = 1 iff all U_i are equal (and > 0) and C = 0 if any
    U_i = 0; all U_i = 0 gives C = 0 (0/0 defined as 0). A NaN anywhere in a row
    gives NaN. The mean pairwise gap is computed from the sorted row,
    Σ_{i<j} |U_i − U_j| = Σ_{k=1}^{n−1} k (n − k) (U_(k) − U_(k−1)), in O(n log n)
    (non-negative terms: exactly 0, so C exactly 1, for equal U).

    Source: docs/methods.md#coordination; 王淑佳 et al. (2021)《自然资源学报》36(3):793–810
    (corrected C; ratio reading of the product checked against their Table 8).
    """
    U = _check_u(U)
    n = U.shape[-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        if variant == "corrected":
            u = np.sort(U, axis=-1)  # NaN sorts last; the row is NaN anyway
            k = np.arange(1, n, dtype=np.float64)
            gap = (np.diff(u, axis=-1) * (k * (n - k))).sum(axis=-1) / (n * (n - 1) / 2.0)
            umax = U.max(axis=-1)
            ratio = np.where(umax[..., None] > 0, U / umax[..., None], 0.0)
            ratio = np.where(np.isnan(U), np.nan, ratio)
            prod = np.prod(ratio, axis=-1) ** (1.0 / (n - 1))
            C = np.sqrt(np.clip(1.0 - gap, 0.0, 1.0) * prod)
        elif variant in ("traditional", "no_coefficient"):
            gm = np.prod(U, axis=-1) ** (1.0 / n)
            total = U.sum(axis=-1)
            C = np.where(total > 0, gm / np.where(total > 0, total, 1.0), 0.0)
            C = np.where(np.isnan(total), np.nan, C)
            if variant == "traditional":
                C = np.minimum(n * C, 1.0)  # AM–GM: ≤ 1 up to rounding
        else:
            raise ValueError(
                f"variant must be one of corrected, traditional, no_coefficient; got {variant!r}"
            )
    return np.asarray(C, dtype=np.float64)


def coordination_level(D: np.ndarray, *, closed: str = "left") -> np.ndarray:
    """Level 1–10 of the coupling coordination degree D (0 for NaN).

    D : ndarray of any shape, values in [0, 1].
    ``closed="left"`` (default): classes [lo, hi), D = 1 in level 10.
    ``closed="right"``: classes (lo, hi], D = 0 in level 1.
    E.g. D = 0.3 is level 4 under [lo, hi) and level 3 under (lo, hi].
    Labels: ``CLASSES[level - 1][3]`` (zh) and ``[4]`` (en).

    Source: docs/methods.md#coordination (10 classes of width 0.1); vectors/coupling_coordination.json
    case class_boundaries.
    """
    if closed not in ("left", "right"):
        raise ValueError(f"closed must be 'left' or 'right', got {closed!r}")
    D = np.asarray(D, dtype=np.float64)
    side = "right" if closed == "left" else "left"
    level = np.searchsorted(_EDGES, np.nan_to_num(D, nan=0.0), side=side) + 1
    return np.where(np.isnan(D), 0, level).astype(np.int64)


def coupling_coordination(
    U: np.ndarray,
    *,
    a: np.ndarray | None = None,
    variant: str = "corrected",
    closed: str = "left",
    floor: float | None = None,
) -> Coordination:
    """Coupling coordination degree D = √(C·T) of the systems on U's last axis.

    U : ndarray of shape (..., n_systems), e.g. (n_units, n_years, 5 domains), in [0, 1].
    a : ndarray of shape (n_systems,), T weights ≥ 0 summing to 1; default equal 1/n.
    variant : "corrected" (王淑佳 et al. 2021, default) or "traditional" — see
        :func:`coupling_degree`.
    closed : class boundaries, "left" = [lo, hi) (default) or "right" = (lo, hi].
    floor : None, or e.g. 0.01: U ← max(U, floor) before anything else. Sample
        min–max gives a unit that is the minimum of every indicator of a domain
        U = 0, hence C = D = 0 whatever its other domains do (芜湖 in the worked example of docs/methods.md#coordination);
        a declared floor avoids that. NaN stays NaN.

    ::

        C  as coupling_degree(U, variant)
        T  = Σ_i a_i U_i
        D  = √(C · T)
        level, class_zh, class_en from docs/methods.md#coordination;  lagging = argmin_i U_i (first on ties)

    A NaN in any U_i of a row gives NaN C, T, D, level 0, labels None, lagging −1.

    Source: docs/methods.md#coordination (coordination.csv); 王淑佳 et al. (2021)
    《自然资源学报》36(3):793–810.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}; got {variant!r}")
    U = _check_u(U)
    n = U.shape[-1]
    if floor is not None:
        U = np.maximum(U, float(floor))  # np.maximum keeps NaN
    if a is None:
        a = np.full(n, 1.0 / n)
    else:
        a = np.asarray(a, dtype=np.float64)
        if a.shape != (n,) or not np.all(np.isfinite(a)) or np.any(a < 0):
            raise ValueError(f"a must be {n} finite non-negative weights, got {a!r}")
        if abs(a.sum() - 1.0) > 1e-9:
            raise ValueError(f"T weights a must sum to 1, got sum {a.sum()!r}")
    C = coupling_degree(U, variant=variant)
    T = U @ a
    D = np.sqrt(np.clip(C * T, 0.0, 1.0))  # NaN passes through clip
    level = coordination_level(D, closed=closed)
    nan_row = np.isnan(U).any(axis=-1)
    lagging = np.where(nan_row, -1, np.argmin(np.nan_to_num(U, nan=np.inf), axis=-1))
    return Coordination(
        C=C,
        T=T,
        D=D,
        level=level,
        class_zh=_ZH[level],
        class_en=_EN[level],
        lagging=lagging.astype(np.int64),
        variant=variant,
        closed=closed,
    )


def coupling_stage(C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coupling stage of C by :data:`COUPLING_STAGES`: (stage_zh, stage_en) object arrays, None for NaN.

    0 ≤ C ≤ 0.3 低水平耦合 low-level coupling; 0.3 < C ≤ 0.5 拮抗 antagonism;
    0.5 < C ≤ 0.8 磨合 running-in; 0.8 < C ≤ 1 高水平耦合 high-level coupling.

    Source: docs/methods.md#coordination; 刘耀彬、李仁东、宋学锋 (2005)
    《自然资源学报》20(1):105–112.
    """
    C = np.asarray(C, dtype=np.float64)
    edges = np.array([b[0] for b in COUPLING_STAGES[:-1]])
    i = np.searchsorted(edges, np.nan_to_num(C, nan=0.0), side="left")
    zh = np.array([b[1] for b in COUPLING_STAGES], dtype=object)[i]
    en = np.array([b[2] for b in COUPLING_STAGES], dtype=object)[i]
    nan = np.isnan(C)
    return np.where(nan, None, zh), np.where(nan, None, en)


@dataclass(frozen=True, slots=True, eq=False)
class RelativeDevelopment:
    """Result of :func:`relative_development`; arrays of U's leading shape."""

    E: np.ndarray  # U_min / U_max (1 = equal; NaN for a NaN row or all zeros)
    leading: np.ndarray  # index of the highest U (−1 for NaN)
    lagging: np.ndarray  # index of the lowest U (−1 for NaN)
    synchronous: np.ndarray  # E ≥ threshold


def relative_development(U: np.ndarray, *, threshold: float = SYNC_E) -> RelativeDevelopment:
    """Relative development degree of the systems on U's last axis, naming which side lags::

        E = min_i U_i / max_i U_i ∈ [0, 1];   E ≥ 0.8: synchronous (同步发展),
        else the system with the lowest U lags (…滞后型)

    For two systems this is the classic ratio E = U_2 / U_1 of 廖重斌 (1999) read from
    the leader's side: E ≤ 0.8 means the lower system lags.

    Source: 廖重斌 (1999) 环境与经济协调发展的定量评判及其分类体系,《热带地理》19(2):171–177.
    """
    U = _check_u(U)
    nan_row = np.isnan(U).any(axis=-1)
    hi = np.nanmax(np.where(nan_row[..., None], 0.0, U), axis=-1)
    lo = np.nanmin(np.where(nan_row[..., None], 0.0, U), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        E = np.where(nan_row | (hi <= 0), np.nan, lo / np.where(hi > 0, hi, 1.0))
    filled = np.nan_to_num(U, nan=0.0)
    leading = np.where(nan_row, -1, np.argmax(filled, axis=-1))
    lagging = np.where(nan_row, -1, np.argmin(filled, axis=-1))
    return RelativeDevelopment(E=E, leading=leading.astype(np.int64), lagging=lagging.astype(np.int64),
                               synchronous=E >= threshold)
