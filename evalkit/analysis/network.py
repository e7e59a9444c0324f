"""Network measures of collaboration between units, from weighted city-pair ties.

Pure numpy on weight matrices ``w[t, i, j]`` (year × unit × unit): the tie weight
from unit i to unit j in year t (0 = no tie; an undirected relation has a symmetric
matrix).  Everything is vectorised across years.  Python loops run over units only where
the algorithm is sequential — Floyd–Warshall's intermediate unit, the rank of distance in
the shortest-path counts, the unit updated by the core–periphery descent — each step a
whole-array operation; betweenness takes years in chunks so that its (year × unit³)
arrays stay small.

Unit measures come back as ``(n_units, n_years)`` arrays (axis 0 unit, axis 1 year),
whole-network measures as ``(n_years,)``.  A year that is not observed (no row of the
relation in that year) gives NaN everywhere: missing, not zero.  In an observed year
every unit is a node, and a unit without ties gets 0 strength, 0 betweenness, 0
clustering and 0 coreness.

This module imports nothing of evalkit, so the loader can turn a measure into an
indicator (``from_network``) before scoring (docs/architecture.md, the layers).

Source: docs/methods.md#network; Wasserman & Faust (1994) *Social Network Analysis*;
Opsahl, Agneessens & Skvoretz (2010) Social Networks 32:245–251 (strength, weighted
paths); Brandes (2001) J. Math. Sociol. 25:163–177 (betweenness); Brin & Page (1998)
(PageRank); Onnela et al. (2005) Phys. Rev. E 71:065103 and Fagiolo (2007) Phys. Rev.
E 76:026107 (weighted clustering); Borgatti & Everett (1999) Social Networks
21:375–395 (continuous core–periphery).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

UNIT_MEASURES: dict[str, str] = {
    "strength": "total tie weight of the unit (in + out for a directed relation)",
    "strength_in": "tie weight received (= strength for an undirected relation)",
    "strength_out": "tie weight sent (= strength for an undirected relation)",
    "cross_strength": "tie weight with units of other groups (the cross-border part of strength)",
    "degree": "number of partners (units tied either way)",
    "betweenness": "share of shortest paths between other units through the unit (distance = 1/weight)",
    "pagerank": "PageRank centrality (damping 0.85; sums to 1 over units)",
    "clustering": "weighted clustering (Onnela; Fagiolo's form for directed relations)",
    "core": "continuous core–periphery coreness in [0, 1] (Borgatti–Everett)",
}
GRAPH_MEASURES: dict[str, str] = {
    "units": "number of units (nodes)",
    "ties": "number of ties (pairs for an undirected relation, arcs for a directed one)",
    "density": "ties / possible ties",
    "weight": "total tie weight",
    "components": "number of (weakly) connected components, isolated units included",
    "isolates": "number of units without a tie",
    "clustering": "mean weighted clustering over units (units without triangles count as 0)",
    "centralization": "Freeman degree centralisation of the partner counts",
    "cross_share": "share of tie weight between units of different groups (cross-border share)",
    "core_fit": "correlation of the ties with the ideal core–periphery pattern c_i·c_j",
}
DAMPING = 0.85
_CHUNK_CELLS = 2_000_000  # years per chunk × units³ in the betweenness step


@dataclass(frozen=True, eq=False)
class NetworkMeasures:
    """Measures of one relation: ``unit[name]`` is (n_units, n_years), ``graph[name]`` is (n_years,)."""

    unit: Mapping[str, np.ndarray]
    graph: Mapping[str, np.ndarray]


def network_measures(w: np.ndarray, *, directed: bool, groups: np.ndarray | None = None,
                     observed: np.ndarray | None = None, damping: float = DAMPING) -> NetworkMeasures:
    """Every unit and network measure of a (n_years, n, n) weight array.

    ``groups`` (n,) labels the units' groups (provinces) for the cross-border measures
    (None: one group, so nothing crosses); ``observed`` (n_years,) bool marks the years
    with data (None: all), the others get NaN.  Raises ValueError for a broken input
    (negative or non-finite weights, self-ties, an asymmetric undirected matrix): the
    loader has ruled these out.
    """
    w = _check(w, directed)
    Y, n = w.shape[:2]
    obs = np.ones(Y, bool) if observed is None else np.asarray(observed, bool)
    g = np.zeros(n, np.int64) if groups is None else np.asarray(groups)
    cross = g[:, None] != g[None, :]
    a = w > 0
    a_sym = a | np.swapaxes(a, 1, 2)

    s_out, s_in = w.sum(axis=2), w.sum(axis=1)
    c_w = w * cross
    if directed:
        strength = s_out + s_in
        cross_strength = c_w.sum(axis=2) + c_w.sum(axis=1)
    else:
        strength, cross_strength = s_out, c_w.sum(axis=2)
    degree = a_sym.sum(axis=2).astype(np.float64)

    ties = a.sum(axis=(1, 2)) / (1.0 if directed else 2.0)
    possible = n * (n - 1) / (1.0 if directed else 2.0)
    total = w.sum(axis=(1, 2)) / (1.0 if directed else 2.0)
    cross_total = c_w.sum(axis=(1, 2)) / (1.0 if directed else 2.0)
    clust = clustering(w, directed=directed)
    core, fit = core_periphery(w)
    unit = {
        "strength": strength, "strength_in": s_in, "strength_out": s_out, "cross_strength": cross_strength,
        "degree": degree, "betweenness": betweenness(w), "pagerank": pagerank(w, damping=damping),
        "clustering": clust, "core": core,
    }
    dmax = degree.max(axis=1) if n else np.zeros(Y)
    graph = {
        "units": np.full(Y, float(n)),
        "ties": ties.astype(np.float64),
        "density": ties / possible if possible > 0 else np.full(Y, np.nan),
        "weight": total,
        "components": components(a_sym),
        "isolates": (degree == 0).sum(axis=1).astype(np.float64),
        "clustering": clust.mean(axis=1) if n else np.full(Y, np.nan),
        # Freeman: sum of (max − k_i) over its largest value (a star), (n − 1)(n − 2)
        "centralization": ((dmax[:, None] - degree).sum(axis=1) / ((n - 1) * (n - 2))) if n > 2
        else np.full(Y, np.nan),
        "cross_share": _ratio(cross_total, total),
        "core_fit": fit,
    }
    unit = {k: np.where(obs[:, None], v, np.nan).T.copy() for k, v in unit.items()}
    graph = {k: np.where(obs, v, np.nan) for k, v in graph.items()}
    return NetworkMeasures(unit, graph)


def _check(w: np.ndarray, directed: bool) -> np.ndarray:
    w = np.asarray(w, dtype=np.float64)
    if w.ndim != 3 or w.shape[1] != w.shape[2]:
        raise ValueError(f"weights must be (years, n, n), got shape {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("tie weights must be finite and >= 0")
    if np.diagonal(w, axis1=1, axis2=2).any():
        raise ValueError("a unit cannot be tied to itself")
    if not directed and not np.array_equal(w, np.swapaxes(w, 1, 2)):
        raise ValueError("an undirected relation needs a symmetric weight matrix")
    return w


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(np.shape(num), np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def components(a_sym: np.ndarray) -> np.ndarray:
    """(n_years,) number of connected components of symmetric boolean adjacencies (isolated units count).

    Reachability by repeated squaring of I + A (⌈log2 n⌉ boolean products); a unit in a
    component of size m contributes 1/m, so the contributions sum to the number of components.
    """
    Y, n = a_sym.shape[:2]
    if n == 0:
        return np.zeros(Y)
    r = (a_sym | np.eye(n, dtype=bool)).astype(np.float64)
    for _ in range(max(1, int(np.ceil(np.log2(n))))):
        r = ((r @ r) > 0).astype(np.float64)
    return (1.0 / r.sum(axis=2)).sum(axis=1).round(9)


def shortest_paths(w: np.ndarray) -> np.ndarray:
    """(n_years, n, n) weighted shortest-path lengths with tie length 1/w (inf: unreachable).

    Floyd–Warshall, vectorised across years: one pass per intermediate unit.
    """
    Y, n = w.shape[:2]
    d = np.full(w.shape, np.inf)
    np.divide(1.0, w, out=d, where=w > 0)
    d[:, np.arange(n), np.arange(n)] = 0.0
    for k in range(n):
        d = np.minimum(d, d[:, :, k:k + 1] + d[:, k:k + 1, :])
    return d


def betweenness(w: np.ndarray, *, rtol: float = 1e-9) -> np.ndarray:
    """(n_years, n) normalised betweenness with distance 1/weight (a strong tie is a short one).

    b_v = Σ_{s≠v≠t} σ_st(v) / σ_st  /  ((n − 1)(n − 2)) over ordered pairs (s, t), which is
    networkx's normalisation for both directed and undirected graphs.  σ_st, the number of
    shortest s→t paths, solves σ_s = e_s + σ_s E_s with E_s[u, t] = 1 when the tie u→t lies on
    a shortest path from s (d_su + l_ut = d_st) — Brandes' path counting, by forward
    substitution in order of distance from s.  Path lengths that agree to ``rtol`` count as equal.
    Source: docs/methods.md#network; Brandes (2001); Opsahl et al. (2010).
    """
    w = np.asarray(w, dtype=np.float64)
    Y, n = w.shape[:2]
    out = np.zeros((Y, n))
    if n < 3:
        return out
    step = max(1, _CHUNK_CELLS // (n ** 3))
    for y0 in range(0, Y, step):
        out[y0:y0 + step] = _betweenness_chunk(w[y0:y0 + step], rtol) / ((n - 1) * (n - 2))
    return out


def _betweenness_chunk(w: np.ndarray, rtol: float) -> np.ndarray:
    n = w.shape[1]
    d = shortest_paths(w)
    length = np.full(w.shape, np.inf)
    np.divide(1.0, w, out=length, where=w > 0)
    reach = np.isfinite(d)
    # e[y, s, u, t]: the tie u -> t continues a shortest path from s
    via = d[:, :, :, None] + length[:, None, :, :]
    target = d[:, :, None, :]
    e = (np.isfinite(via) & reach[:, :, None, :] & np.isclose(via, target, rtol=rtol, atol=0.0))
    eye = np.eye(n)
    # σ_s = e_s + σ_s E_s, solved by forward substitution in order of distance from s (a predecessor
    # of t is strictly nearer to s): one step per rank, vectorised over years and sources
    ef = e.astype(np.float64)
    Y = w.shape[0]
    sigma = np.broadcast_to(eye, (Y, n, n)).copy()
    order = np.argsort(d, axis=2, kind="stable")  # order[..., 0] is s itself (distance 0)
    for k in range(1, n):
        t = order[:, :, k]
        into_t = np.take_along_axis(ef, t[:, :, None, None], axis=3)[..., 0]  # (Y, s, u): E_s[u, t]
        np.put_along_axis(sigma, t[:, :, None], (into_t * sigma).sum(axis=2)[:, :, None], axis=2)
    # on[y, s, v, t]: v lies on a shortest s -> t path
    through = d[:, :, :, None] + d[:, None, :, :]
    on = reach[:, :, :, None] & reach[:, None, :, :] & np.isclose(through, d[:, :, None, :], rtol=rtol, atol=0.0)
    distinct = (1.0 - eye)[:, :, None] * (1.0 - eye)[None, :, :] * (1.0 - eye)[:, None, :]  # s≠v, v≠t, s≠t
    sig_st = np.where(sigma > 0, sigma, 1.0)
    share = on * distinct * sigma[:, :, :, None] * sigma[:, None, :, :] / sig_st[:, :, None, :]
    return share.sum(axis=(1, 3))


def pagerank(w: np.ndarray, *, damping: float = DAMPING) -> np.ndarray:
    """(n_years, n) weighted PageRank, solved exactly: (I − d Pᵀ) x = (1 − d)/n · 1.

    P is w with rows scaled to sum 1; a unit with no outgoing tie ("dangling") spreads
    its rank evenly over all units (networkx's default), so x sums to 1.  An undirected
    relation is a directed one with both arcs.  A year without ties gives 1/n everywhere.
    Source: docs/methods.md#network; Brin & Page (1998).
    """
    w = np.asarray(w, dtype=np.float64)
    Y, n = w.shape[:2]
    if n == 0:
        return np.zeros((Y, 0))
    out_w = w.sum(axis=2, keepdims=True)
    p = np.where(out_w > 0, w / np.where(out_w > 0, out_w, 1.0), 1.0 / n)
    m = np.eye(n) - damping * np.swapaxes(p, 1, 2)
    rhs = np.full((Y, n, 1), (1.0 - damping) / n)
    return np.linalg.solve(m, rhs)[..., 0]


def clustering(w: np.ndarray, *, directed: bool) -> np.ndarray:
    """(n_years, n) weighted clustering on ŵ = (w / max w)^(1/3), the year's largest tie = 1.

    Undirected (Onnela et al. 2005): c_i = [Ŵ³]_ii / (k_i (k_i − 1)), k_i the partner count.
    Directed (Fagiolo 2007): c_i = [(Ŵ + Ŵᵀ)³]_ii / (2 (k_i^tot (k_i^tot − 1) − 2 k_i^↔)),
    k^tot = in- plus out-degree, k^↔ the reciprocated ties.  0 where the denominator is 0
    (fewer than two partners), as networkx.  Source: docs/methods.md#network.
    """
    w = np.asarray(w, dtype=np.float64)
    wmax = w.max(axis=(1, 2), keepdims=True) if w.size else np.ones((w.shape[0], 1, 1))
    wh = np.cbrt(_ratio(w, np.broadcast_to(wmax, w.shape)))
    wh = np.nan_to_num(wh)
    a = (w > 0).astype(np.float64)
    if directed:
        s = wh + np.swapaxes(wh, 1, 2)
        num = np.diagonal(s @ s @ s, axis1=1, axis2=2)
        ktot = a.sum(axis=1) + a.sum(axis=2)
        kbi = np.diagonal(a @ a, axis1=1, axis2=2)
        den = 2.0 * (ktot * (ktot - 1.0) - 2.0 * kbi)
    else:
        num = np.diagonal(wh @ wh @ wh, axis1=1, axis2=2)
        k = a.sum(axis=2)
        den = k * (k - 1.0)
    out = np.zeros(num.shape)
    np.divide(num, den, out=out, where=den > 0)
    return out


def core_periphery(w: np.ndarray, *, tol: float = 1e-10, max_sweeps: int = 5000) -> tuple[np.ndarray, np.ndarray]:
    """Continuous core–periphery (Borgatti & Everett 1999): ((n_years, n) coreness, (n_years,) fit).

    On a = (w + wᵀ)/2 scaled by its largest value (a directed relation is symmetrised:
    coreness is about being tied, either way), coreness c ∈ [0, 1] minimises
    Σ_{i≠j} (a_ij − c_i c_j)²: the ideal core–periphery pattern ties two units by the product
    of their coreness.  The bound c ≤ 1 (the scale of a) keeps the minimum attained: without it
    a star's centre drifts to infinity and its leaves to 0.  Solved by cyclic coordinate
    descent — each c_i in turn set to its exact minimiser clip(Σ_{j≠i} a_ij c_j / Σ_{j≠i} c_j²,
    0, 1), vectorised across years — from c_i = √(mean tie of i), until no c changes by more
    than ``tol``; every step lowers the loss.  A unit without ties gets 0.  The fit is the
    Pearson correlation of a_ij and c_i c_j over the pairs i < j (NaN when either is constant).
    Source: docs/methods.md#network; Borgatti & Everett (1999), the "continuous model".
    """
    w = np.asarray(w, dtype=np.float64)
    Y, n = w.shape[:2]
    a = (w + np.swapaxes(w, 1, 2)) / 2.0
    amax = a.max(axis=(1, 2), keepdims=True) if n else np.ones((Y, 1, 1))
    a = np.nan_to_num(_ratio(a, np.broadcast_to(amax, a.shape)))
    c = np.clip(np.sqrt(a.sum(axis=2) / max(n - 1, 1)), 0.0, 1.0)
    for _ in range(max_sweeps):
        old = c.copy()
        sq = (c ** 2).sum(axis=1)
        for i in range(n):  # Gauss–Seidel: each unit sees the others' latest values
            num = (a[:, i, :] * c).sum(axis=1)  # a_ii = 0
            den = sq - c[:, i] ** 2
            ci = np.clip(np.divide(num, den, out=np.zeros(Y), where=den > 0), 0.0, 1.0)
            sq += ci ** 2 - c[:, i] ** 2
            c[:, i] = ci
        if not c.size or np.max(np.abs(c - old)) <= tol:
            break
    core = c
    iu = np.triu_indices(n, 1)
    x, z = a[:, iu[0], iu[1]], (c[:, :, None] * c[:, None, :])[:, iu[0], iu[1]]
    xc, zc = x - x.mean(axis=1, keepdims=True), z - z.mean(axis=1, keepdims=True)
    num = (xc * zc).sum(axis=1)
    den = np.sqrt((xc ** 2).sum(axis=1) * (zc ** 2).sum(axis=1))
    fit = _ratio(num, den)
    return core, fit
