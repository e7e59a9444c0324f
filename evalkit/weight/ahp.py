"""AHP 层次分析法: priorities, consistency, completion and group aggregation.

Source: docs/methods.md#ahp.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from .simple import _as_weight_vector

#: Random consistency index RI(n) for n = 1..15, by table name (docs/methods.md#ahp).
RI_TABLES: dict[str, tuple[float, ...]] = {
    # Saaty's values for n <= 10, then the monotonic 1.52 .. 1.59 (evalkit's default).
    "cn_textbook": (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49,
                    1.52, 1.54, 1.56, 1.58, 1.59),
    # Saaty (1980); n = 11..15 from the extended simulation (note 1.48 at n = 12).
    "saaty1980": (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49,
                  1.51, 1.48, 1.56, 1.57, 1.59),
    # 龚木森、许树柏 (1986) / 许树柏 (1988) re-simulation.
    "cn_xu": (0.0, 0.0, 0.52, 0.89, 1.12, 1.26, 1.36, 1.41, 1.46, 1.49,
              1.52, 1.54, 1.56, 1.58, 1.59),
    # Saaty (2005) Theory and Applications of the ANP, p. 31 (AHPy's 'saaty').
    "saaty2005": (0.0, 0.0, 0.52, 0.89, 1.11, 1.25, 1.35, 1.40, 1.45, 1.49,
                  1.52, 1.54, 1.56, 1.58, 1.59),
    # Alonso & Lamata (2006) IJUFKBS 14(4), 500 000 matrices per n.
    "alonso_lamata2006": (0.0, 0.0, 0.5245, 0.8815, 1.1086, 1.2479, 1.3417, 1.4056,
                          1.4499, 1.4854, 1.5141, 1.5365, 1.5551, 1.5713, 1.5838),
}

#: Priority derivation methods: YAML word -> description.
AHP_METHODS: tuple[str, ...] = ("eigenvector", "geometric", "arithmetic")

#: GCI acceptance thresholds (Aguarón & Moreno-Jiménez 2003): n = 3, n = 4, n > 4.
GCI_THRESHOLDS: dict[int, float] = {3: 0.31, 4: 0.35, 5: 0.37}

_RECIPROCITY_TOL = 1e-8


@dataclass(frozen=True, slots=True, eq=False)
class AhpResult:
    """Priorities and consistency of one pairwise comparison matrix.

    w : (n,) priorities, > 0, sum 1
    lambda_max : principal eigenvalue (eigenvector method) or the estimate
        (1/n) Σ_i (A w)_i / w_i (geometric, arithmetic)
    ci : (λ_max − n)/(n − 1), 0 for n <= 2 (and never below 0)
    cr : ci / ri, 0 when ri = 0
    ri : RI(n) of table ``ri_table``
    ri_table : the table's name, reported beside every CR
    n : matrix order
    method : the priority method used
    """

    w: np.ndarray
    lambda_max: float
    ci: float
    cr: float
    ri: float
    ri_table: str
    n: int
    method: str


def ri_value(n: int, table: str = "cn_textbook") -> float:
    """RI(n) from ``RI_TABLES[table]`` (1-based n, no off-by-one: RI(3) = 0.58 in cn_textbook).

    Raises ValueError for an unknown table or n outside 1..15 (the loader
    refuses matrices larger than 15 before this point).

    Source: docs/methods.md#ahp (RI tables; the off-by-one pitfall).
    """
    if table not in RI_TABLES:
        raise ValueError(f"unknown RI table {table!r} (allowed: {', '.join(RI_TABLES)})")
    values = RI_TABLES[table]
    if not 1 <= n <= len(values):
        raise ValueError(f"RI table {table!r} covers n = 1..{len(values)}, got n = {n}")
    return values[n - 1]


def check_matrix(a: np.ndarray) -> np.ndarray:
    """A validated float64 copy of a positive reciprocal matrix (ValueError otherwise).

    Checks: square, finite, > 0, a_ii = 1, |a_ij · a_ji − 1| < 1e-8.

    Source: docs/methods.md#ahp (reciprocity check).
    """
    a = np.array(a, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise ValueError(f"a comparison matrix must be square and non-empty, got shape {a.shape}")
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise ValueError("a comparison matrix must hold finite positive numbers")
    if np.any(np.abs(a * a.T - 1.0) >= _RECIPROCITY_TOL):
        raise ValueError("comparison matrix is not reciprocal (a_ij · a_ji != 1)")
    return a


def ahp(
    a: np.ndarray, *, method: str = "eigenvector", ri: str = "cn_textbook"
) -> AhpResult:
    """AHP priorities and consistency of a positive reciprocal matrix ``a``.

    a : ndarray of shape (n, n), a_ij = how many times i is as important as j
        (1/9 .. 9), a_ji = 1/a_ij, a_ii = 1.
    method : {"eigenvector", "geometric", "arithmetic"}, default="eigenvector"
    ri : name of the RI table (``RI_TABLES``), default="cn_textbook"

        eigenvector (Saaty):  A w = λ_max w ,  w ← |Re w| / Σ|Re w|
        geometric (方根法):    w_i ∝ (Π_j a_ij)^(1/n)
        arithmetic (和法):     w_i = (1/n) Σ_j a_ij / Σ_k a_kj
        λ (geometric, arithmetic) = (1/n) Σ_i (A w)_i / w_i
        CI = (λ_max − n)/(n − 1)  (0 for n <= 2) ,  CR = CI / RI(n)  (0 if RI = 0)

    CI is clipped at 0 (λ_max >= n for positive reciprocal matrices; a
    consistent matrix can come out a few ulps below).  The three methods agree
    on consistent matrices, and EV = geometric for n = 3.

    Source: docs/methods.md#ahp (priorities, consistency);
    Saaty (1980) (eigenvector, CI, RI); Crawford & Williams (1985) (RGMM);
    tested on vectors/ahp.json, combination_weighting.json.
    """
    if method not in AHP_METHODS:
        raise ValueError(f"unknown AHP method {method!r} (allowed: {', '.join(AHP_METHODS)})")
    a = check_matrix(a)
    n = a.shape[0]
    ri_n = ri_value(n, ri)
    if n == 1:
        w = np.ones(1)
        lam = 1.0
    elif method == "eigenvector":
        w, lam = _principal_eigenpair(a)
    else:
        if method == "geometric":
            g = np.exp(np.log(a).mean(axis=1))
            w = g / g.sum()
        else:
            w = (a / a.sum(axis=0)).mean(axis=1)
            w = w / w.sum()
        lam = lambda_estimate(a, w)
    ci = 0.0 if n <= 2 else max((lam - n) / (n - 1), 0.0)
    cr = ci / ri_n if ri_n > 0 else 0.0
    return AhpResult(w=w, lambda_max=float(lam), ci=float(ci), cr=float(cr), ri=float(ri_n),
                     ri_table=ri, n=n, method=method)


def lambda_estimate(a: np.ndarray, w: np.ndarray) -> float:
    """λ ≈ (1/n) Σ_i (A w)_i / w_i for approximate priorities w (docs/methods.md#ahp)."""
    return float(np.mean((a @ w) / w))


def _principal_eigenpair(a: np.ndarray) -> tuple[np.ndarray, float]:
    """Perron eigenpair: real part, abs, normalised (the eigenvector's sign is arbitrary)."""
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    v = np.abs(vecs[:, k].real)
    return v / v.sum(), float(vals[k].real)


def gci(a: np.ndarray, w: np.ndarray) -> float:
    """Geometric consistency index (Aguarón & Moreno-Jiménez 2003), natural for RGMM.

        GCI = 2 / ((n − 1)(n − 2)) Σ_{i<j} ln²(a_ij w_j / w_i)     (0 for n <= 2)

    Thresholds: 0.31 (n = 3), 0.35 (n = 4), 0.37 (n > 4) (``GCI_THRESHOLDS``).

    Source: docs/methods.md#ahp; Aguarón & Moreno-Jiménez (2003) EJOR 147 (GCI and thresholds).
    """
    a = check_matrix(a)
    n = a.shape[0]
    if n <= 2:
        return 0.0
    w = np.asarray(w, dtype=np.float64)
    e = np.log(a) + np.log(w)[None, :] - np.log(w)[:, None]
    iu = np.triu_indices(n, 1)
    return float(2.0 / ((n - 1) * (n - 2)) * np.sum(e[iu] ** 2))


def most_inconsistent(a: np.ndarray, w: np.ndarray, k: int = 3) -> list[tuple[int, int, float]]:
    """The ``k`` upper-triangle judgments most out of line with priorities ``w``.

    Returns [(i, j, score), ...] with score = |ln(a_ij · w_j / w_i)| (0 for a
    judgment the priorities reproduce exactly), largest first; ties by (i, j).

    Source: docs/methods.md#ahp (the CR > max_cr error names the three
    judgments most out of line; pitfalls).
    """
    a = np.asarray(a, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    n = a.shape[0]
    iu, ju = np.triu_indices(n, 1)
    score = np.abs(np.log(a[iu, ju]) + np.log(w[ju]) - np.log(w[iu]))
    order = sorted(range(score.size), key=lambda t: (-score[t], iu[t], ju[t]))
    return [(int(iu[t]), int(ju[t]), float(score[t])) for t in order[: max(k, 0)]]


def matrix_from_judgments(
    names: Sequence[str], judgments: Iterable[tuple[str, str, float]]
) -> tuple[np.ndarray, np.ndarray]:
    """Build the comparison matrix from ``(a, b, x)`` judgments: a is x times as important as b.

    names : the children, in tree order (matrix rows/columns)
    judgments : triples with x a positive float (the loader converts "1/3")
    Returns ``(A, missing)``: A (n, n) with a_ab = x, a_ba = 1/x, a_ii = 1 and
    NaN where no judgment covers the pair; ``missing`` the bool mask of those
    NaN cells.  An unknown name, x <= 0, a pair judged twice or a self pair
    with x != 1 raise ValueError: the loader reports those as Problems first.

    Source: docs/methods.md#ahp (judgment scale); README.md "File formats by example".
    """
    index = {name: i for i, name in enumerate(names)}
    if len(index) != len(names):
        raise ValueError(f"duplicate names in {list(names)!r}")
    n = len(names)
    a = np.full((n, n), np.nan)
    np.fill_diagonal(a, 1.0)
    seen: set[frozenset[int]] = set()
    for left, right, value in judgments:
        if left not in index or right not in index:
            raise ValueError(f"judgment ({left!r}, {right!r}) names an unknown child")
        x = float(value)
        if not (math.isfinite(x) and x > 0):
            raise ValueError(f"judgment ({left!r}, {right!r}, {value!r}) needs a positive value")
        i, j = index[left], index[right]
        if i == j:
            if x != 1.0:
                raise ValueError(f"judgment of {left!r} against itself must be 1, got {value!r}")
            continue
        pair = frozenset((i, j))
        if pair in seen:
            raise ValueError(f"pair ({left!r}, {right!r}) is judged more than once")
        seen.add(pair)
        a[i, j] = x
        a[j, i] = 1.0 / x
    return a, np.isnan(a)


def complete_harker(a: np.ndarray) -> np.ndarray:
    """Complete a reciprocal matrix with missing judgments (NaN) by Harker's method.

    a : (n, n) with a_ii = 1, known a_ij > 0 reciprocal, NaN where missing.
    Returns a full positive reciprocal matrix: the known entries unchanged,
    a missing a_ij set to w_i / w_j where w is the principal eigenvector of

        c_ij = a_ij (known) ,  c_ij = 0 (missing) ,  c_ii = 1 + m_i
        (m_i = number of missing entries in row i)

    If the known entries are consistent (a_ij = v_i/v_j), C v = n v, so the
    completion recovers the removed judgments exactly.  The known judgments
    must connect all children (else the completion is not unique:
    ValueError).  The eigenvector of C is what Harker (1987) proposes; it is
    not the λ_max-minimal completion of Bozóki, Fülöp & Rónyai (2010) (AHPy),
    which needs an iterative optimisation; both agree on consistent data.

    Source: docs/methods.md#ahp (incomplete judgments); Harker (1987) Math. Modelling
    9(11):837–848 (the modified matrix C and its eigenvector).
    """
    a = np.array(a, dtype=np.float64)
    n = a.shape[0]
    if a.ndim != 2 or a.shape[1] != n:
        raise ValueError(f"a comparison matrix must be square, got shape {a.shape}")
    missing = np.isnan(a)
    if np.any(np.diag(missing)):
        raise ValueError("the diagonal of a comparison matrix must be 1, not missing")
    if not np.array_equal(missing, missing.T):
        raise ValueError("missing judgments must be missing in both a_ij and a_ji")
    if not missing.any():
        return check_matrix(a)
    if not _connected(~missing):
        raise ValueError("the known judgments do not connect every child; completion is not unique")
    c = np.where(missing, 0.0, a)
    np.fill_diagonal(c, 1.0 + missing.sum(axis=1))
    check_matrix(np.where(missing, 1.0, a))
    w, _ = _principal_eigenpair(c)
    full = np.where(missing, w[:, None] / w[None, :], a)
    return full


def _connected(known: np.ndarray) -> bool:
    """Whether the graph of known comparisons connects all n nodes."""
    n = known.shape[0]
    seen = np.zeros(n, dtype=bool)
    seen[0] = True
    frontier = [0]
    while frontier:
        i = frontier.pop()
        for j in np.flatnonzero(known[i] & ~seen):
            seen[j] = True
            frontier.append(int(j))
    return bool(seen.all())


def group_aij(matrices: Sequence[np.ndarray], *, expert_weights: Sequence[float] | None = None
              ) -> np.ndarray:
    """Aggregate experts' matrices by the element-wise weighted geometric mean (AIJ).

    matrices : K matrices of shape (n, n), each positive reciprocal
    expert_weights : λ_k >= 0, default equal; used relative to their sum

        a_ij^G = Π_k (a_ij^(k))^(λ_k / Σλ)

    The result is reciprocal (Aczél & Saaty 1983); the arithmetic mean is not.

    Source: docs/methods.md#ahp (group AHP);
    Aczél & Saaty (1983) J. Math. Psych. 27 (the geometric mean keeps reciprocity);
    Forman & Peniwati (1998) EJOR 108.
    """
    mats = np.stack([check_matrix(m) for m in matrices]) if len(matrices) else None
    if mats is None:
        raise ValueError("group AHP needs at least one expert matrix")
    lam = _expert_weights(expert_weights, mats.shape[0])
    return np.exp(np.tensordot(lam, np.log(mats), axes=1))


def group_aip(priorities: Sequence[np.ndarray], *, expert_weights: Sequence[float] | None = None,
              mean: str = "geometric") -> np.ndarray:
    """Aggregate experts' priority vectors (AIP).

    priorities : K vectors of shape (n,), each > 0
    mean : "geometric" (w ∝ Π_k w_k^λ_k) or "arithmetic" (w = Σ_k λ_k w_k)

    Source: docs/methods.md#ahp (group AHP); Forman & Peniwati (1998) EJOR 108.
    """
    w = np.stack([np.asarray(p, dtype=np.float64) for p in priorities])
    lam = _expert_weights(expert_weights, w.shape[0])
    if mean == "geometric":
        g = np.exp(lam @ np.log(w))
    elif mean == "arithmetic":
        g = lam @ w
    else:
        raise ValueError(f"unknown AIP mean {mean!r} (allowed: geometric, arithmetic)")
    return g / g.sum()


def _expert_weights(expert_weights: Sequence[float] | None, k: int) -> np.ndarray:
    """Expert weights λ as a vector summing to 1 (equal when None)."""
    if expert_weights is None:
        return np.full(k, 1.0 / k)
    lam = _as_weight_vector(expert_weights, "expert_weights")
    if lam.size != k or lam.sum() <= 0:
        raise ValueError(f"need {k} expert weights with a positive sum, got {lam!r}")
    return lam / lam.sum()


def hierarchy_cr(parent_w: Sequence[float], cis: Sequence[float], ris: Sequence[float]) -> float:
    """Hierarchy (总排序) consistency ratio of the level below ``parent_w``.

        CR_total = Σ_j a_j CI_j / Σ_j a_j RI_j      (0 when the denominator is 0)

    parent_w : a_j, the weights of the upper level's elements
    cis, ris : CI_j and RI_j of the matrix under element j

    Source: docs/methods.md#ahp; Saaty (1980); tested on vectors/ahp.json
    (jiang_qiyuan_tourism, hierarchy_CR_level3_saaty1980).
    """
    a = np.asarray(parent_w, dtype=np.float64)
    den = float(a @ np.asarray(ris, dtype=np.float64))
    return float(a @ np.asarray(cis, dtype=np.float64)) / den if den > 0 else 0.0
