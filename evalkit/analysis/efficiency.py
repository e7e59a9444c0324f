"""Input-oriented DEA efficiency (CCR, BCC) and the simple outcome/input ratio.

Speed: the envelopment LPs are restricted to the units that can matter (see
:func:`nondominated` and :func:`dea`): dominated units never need a λ column,
and only frontier units (θ = 1) can carry λ > 0, so most LPs have a handful of
columns instead of K; they are solved as block-diagonal stacks in few HiGHS
calls. Without peers, θ comes from the vertices of the (tiny) dual polyhedron
of the restricted problem, with no LP at all for most sets.

Source: docs/methods.md#dea (efficiency.csv); Charnes, Cooper & Rhodes (1978)
Measuring the efficiency of decision making units, EJOR 2(6):429–444 (CCR);
Banker, Charnes & Cooper (1984) Some models for estimating technical and scale
inefficiencies in DEA, Management Science 30(9):1078–1092 (BCC); Cooper, Seiford
& Tone (2007) *Data Envelopment Analysis*, 2nd ed., ch. 3–4; Dulá & López (2009)
Preprocessing DEA, Computers & OR 36(4):1204–1220 (dominance and frontier
pre-filters).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import comb
from typing import Any

import numpy as np

__all__ = ["DEA", "MODELS", "dea", "nondominated", "ratio"]

MODELS = ("ccr", "bcc")
PEER_TOL = 1e-9  # λ above this counts as a peer
EFFICIENT_TOL = 1e-9  # θ ≥ 1 − this counts as efficient
FRONTIER_TOL = 1e-6  # θ ≥ 1 − this keeps a unit as a reference column (a superset is always safe)
_MAX_STACK = 50_000  # λ variables per stacked LP (large K in chunks)
_MAX_BLOCKS = 1_000  # LPs per stacked call: beyond this HiGHS's pricing grows faster than the call overhead falls
_ONE_PASS = 40_000  # units × reference columns up to which every LP is solved in one pass
_MAX_SUBSETS = 60_000  # vertex enumeration only while it needs at most this many small solves
_SMALL_SUBSETS = 4_000  # ... and straight on the non-dominated units below this many (else frontier first)
_DOM_BLOCK = 256  # units per block of the dominance filter


@dataclass(frozen=True, slots=True, eq=False)
class DEA:
    """Result of :func:`dea`.

    theta : (K,) in (0, 1] (NaN for a unit with missing data);
    efficient : (K,) bool; peers : tuple of K tuples of unit indices (empty for NaN
    units), or None when :func:`dea` was called with ``peers=False``;
    lambdas : scipy.sparse.csr_array (K, K), row o = the optimal λ of unit o's LP
    (empty rows for NaN units); None from the closed forms (m = s = 1) and
    without peers, which need no λ.
    """

    theta: np.ndarray
    efficient: np.ndarray
    peers: tuple[tuple[int, ...], ...] | None
    lambdas: Any  # scipy.sparse.csr_array | None (scipy is imported where it is used: ~0.3 s)
    model: str


def _check(X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, None]
    if Y.ndim == 1:
        Y = Y[:, None]
    if X.ndim != 2 or Y.ndim != 2 or X.shape[0] != Y.shape[0] or X.shape[0] == 0:
        raise ValueError(f"X (K, m) and Y (K, s) need the same K ≥ 1, got {X.shape}, {Y.shape}")
    ok = np.isfinite(X).all(axis=1) & np.isfinite(Y).all(axis=1)
    if np.any(X[ok] <= 0) or np.any(Y[ok] <= 0):
        raise ValueError("DEA inputs and outputs must be > 0 (shift stage scores by +1 first)")
    return X, Y, ok


def _dominated_by(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """(len(B),) bool: some row of A is ≥ row b of B everywhere and > somewhere (larger is better)."""
    ge = np.ones((B.shape[0], A.shape[0]), dtype=bool)
    gt = np.zeros_like(ge)
    for c in range(A.shape[1]):
        a, b = A[None, :, c], B[:, None, c]
        ge &= a >= b
        gt |= a > b
    return (ge & gt).any(axis=1)


def nondominated(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Indices (ascending) of the units no other unit dominates, one per group of identical units.

    X : (K, m) inputs; Y : (K, s) outputs (finite). Unit j dominates unit k when
    x_j ≤ x_k and y_j ≥ y_k in every column and the two differ somewhere. Of
    identical units only the first (lowest index) is kept.

    Sort-filter: units sorted by a score strictly increasing under dominance
    (Σ y/ȳ − Σ x/x̄), then checked in blocks against the non-dominated units
    found so far and within the block: O(K · |ND| · (m + s)) time, O(block · K) memory.
    (Dominance is transitive, so checking against non-dominated units suffices; a
    rounding tie of the score can only keep a unit, never drop one wrongly.)

    Source: Dulá & López (2009) Computers & OR 36:1204–1220; Börzsönyi, Kossmann &
    Stocker (2001) The skyline operator, ICDE (sort-filter).
    """
    Z = np.hstack([-np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)])
    K = Z.shape[0]
    if K == 0:
        return np.empty(0, dtype=np.int64)
    _, first = np.unique(Z, axis=0, return_index=True)  # identical units: keep the first
    cand = np.sort(first)
    scale = np.abs(Z).mean(axis=0)
    scale[scale == 0] = 1.0
    key = (Z[cand] / scale).sum(axis=1)
    order = cand[np.argsort(-key, kind="stable")]
    kept: list[np.ndarray] = []
    front = Z[:0]
    for s in range(0, order.size, _DOM_BLOCK):
        ib = order[s:s + _DOM_BLOCK]
        B = Z[ib]
        if front.shape[0]:
            m = ~_dominated_by(front, B)
            ib, B = ib[m], B[m]
        if ib.size:
            m = ~_dominated_by(B, B)
            ib, B = ib[m], B[m]
            kept.append(ib)
            front = np.vstack([front, B])
    return np.sort(np.concatenate(kept)).astype(np.int64)


def _solve_stacked(Xr: np.ndarray, Yr: np.ndarray, Xo: np.ndarray, Yo: np.ndarray,
                   vrs: bool) -> np.ndarray:
    """θ and λ of the envelopment LPs of the units (Xo, Yo) against the reference units (Xr, Yr).

    The LPs are stacked into one block-diagonal LP: minimising Σ_o θ_o over
    independent blocks minimises every θ_o, so one HiGHS call replaces b calls
    (linprog's per-call overhead dominates small LPs). Returns (b, 1 + n): θ_o then λ_o.
    """
    from scipy import sparse
    from scipy.optimize import linprog

    n, m = Xr.shape
    s = Yr.shape[1]
    b = Xo.shape[0]
    M = np.vstack([Xr.T, -Yr.T])  # (m + s, n), the λ part shared by every block
    rows_per, cols_per = m + s, n + 1
    # θ column: −x_io in the m input rows of block o
    r_theta = (np.arange(b)[:, None] * rows_per + np.arange(m)[None, :]).ravel()
    c_theta = np.repeat(np.arange(b) * cols_per, m)
    v_theta = -Xo.ravel()
    # λ part: M in every block
    rr, cc = np.nonzero(np.ones_like(M, dtype=bool))
    r_lam = (np.arange(b)[:, None] * rows_per + rr[None, :]).ravel()
    c_lam = (np.arange(b)[:, None] * cols_per + 1 + cc[None, :]).ravel()
    v_lam = np.tile(M.ravel(), b)
    A_ub = sparse.csr_array(
        (np.concatenate([v_theta, v_lam]), (np.concatenate([r_theta, r_lam]),
                                            np.concatenate([c_theta, c_lam]))),
        shape=(b * rows_per, b * cols_per),
    )
    b_ub = np.hstack([np.zeros((b, m)), -Yo]).ravel()
    c = np.zeros(b * cols_per)
    c[::cols_per] = 1.0
    bounds = np.zeros((b * cols_per, 2))
    bounds[:, 1] = np.inf
    bounds[::cols_per, 0] = -np.inf  # θ free (optimum is in (0, 1] anyway)
    kw = {}
    if vrs:
        r_eq = np.repeat(np.arange(b), n)
        c_eq = (np.arange(b)[:, None] * cols_per + 1 + np.arange(n)[None, :]).ravel()
        kw["A_eq"] = sparse.csr_array((np.ones(b * n), (r_eq, c_eq)), shape=(b, b * cols_per))
        kw["b_eq"] = np.ones(b)
    # presolve off: ~40 % faster on these small, well-scaled blocks (benchmarks/bench_analysis.py)
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs",
                  options={"presolve": False}, **kw)
    if res.status != 0:
        raise ValueError(f"DEA LP failed: {res.message}")  # cannot happen for X, Y > 0
    return res.x.reshape(b, cols_per)


def _solve_lp(Xr: np.ndarray, Yr: np.ndarray, Xo: np.ndarray, Yo: np.ndarray, vrs: bool) -> np.ndarray:
    """:func:`_solve_stacked` in chunks of at most ``_MAX_STACK`` λ variables and ``_MAX_BLOCKS`` LPs."""
    n, b = Xr.shape[0], Xo.shape[0]
    chunk = max(1, min(_MAX_BLOCKS, _MAX_STACK // max(n, 1)))
    sol = np.empty((b, n + 1))
    for start in range(0, b, chunk):
        sl = slice(start, min(b, start + chunk))
        sol[sl] = _solve_stacked(Xr, Yr, Xo[sl], Yo[sl], vrs)
    return sol


def _lp_filtered(Xv: np.ndarray, Yv: np.ndarray, vrs: bool, prefilter: bool
                 ) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """θ (kv,) and the λ as blocks (units, columns, λ (len(units), len(columns))), by the restricted LPs."""
    kv = Xv.shape[0]
    R = nondominated(Xv, Yv) if prefilter else np.arange(kv)
    theta = np.empty(kv)
    if not prefilter or kv * R.size <= _ONE_PASS:
        sol = _solve_lp(Xv[R], Yv[R], Xv, Yv, vrs)
        theta[:] = sol[:, 0]
        return theta, [(np.arange(kv), R, sol[:, 1:])]
    # 1) the non-dominated units against each other: their θ, hence the frontier E
    sol_R = _solve_lp(Xv[R], Yv[R], Xv[R], Yv[R], vrs)
    theta[R] = sol_R[:, 0]
    blocks = [(R, R, sol_R[:, 1:])]
    E = R[sol_R[:, 0] >= 1.0 - FRONTIER_TOL]
    # 2) every other unit against the frontier only
    rest = np.setdiff1d(np.arange(kv), R, assume_unique=True)
    if rest.size:
        sol = _solve_lp(Xv[E], Yv[E], Xv[rest], Yv[rest], vrs)
        theta[rest] = sol[:, 0]
        blocks.append((rest, E, sol[:, 1:]))
    return theta, blocks


def _theta_vertices(Xr: np.ndarray, Yr: np.ndarray, Xo: np.ndarray, Yo: np.ndarray, vrs: bool,
                    with_lambda: bool = False):
    """θ of (Xo, Yo) against (Xr, Yr) from the extreme rays of the dual cone; None if too costly.

    The multiplier (dual) LP of unit o is max u·y_o + w s.t. v·x_o = 1, and
    u·y_j − v·x_j + w ≤ 0 (j reference), u, v ≥ 0, w free (BCC) or 0 (CCR). Its
    feasible set is the cone C = {(u, v, w): those rows} cut by v·x_o = 1; C is
    pointed and does not depend on o, so θ_o = max over the extreme rays r of C
    with v_r·x_o > 0 of (u_r·y_o + w_r) / (v_r·x_o). An extreme ray of C (dimension
    d = s + m [+ 1]) is the one-dimensional null space of d − 1 of its rows: every
    (d − 1)-subset is tried (cofactors, vectorised), the feasible ones kept. Used
    only while there are at most ``_MAX_SUBSETS`` subsets (small reference sets);
    a result above 1 (impossible in exact arithmetic) is left to the LP.

    ``with_lambda``: also a primal λ, returned as (θ, λ (b, n), ok (b,)): for the
    units sharing an optimal ray (the first maximiser), the minimum-norm solution
    of complementary slackness on the reference units tight at that ray — input
    rows with v_i > 0 and output rows with u_r > 0 as equalities (BCC: Σλ = 1).
    Where that λ is ≥ 0 and feasible at θ_o (1e-9), (θ_o, λ) and the ray are a
    primal–dual pair with equal objectives, hence optimal (ok); else ok is False.
    """
    n, m = Xr.shape
    s = Yr.shape[1]
    d = s + m + (1 if vrs else 0)
    N = n + s + m
    if comb(N, d - 1) > _MAX_SUBSETS:
        return None
    # scale every input and output column to mean 1 (θ and λ are unit-invariant): rows O(1)
    sx, sy = Xr.mean(axis=0), Yr.mean(axis=0)
    Xs, Ys, Xos, Yos = Xr / sx, Yr / sy, Xo / sx, Yo / sy
    A = np.zeros((N, d))
    A[:n, :s] = Ys
    A[:n, s:s + m] = -Xs
    if vrs:
        A[:n, -1] = 1.0
    A[n:, :s + m] = -np.eye(s + m)  # u ≥ 0, v ≥ 0
    sub = np.array(list(combinations(range(N), d - 1)), dtype=np.int64).reshape(-1, d - 1)
    Ms = A[sub]  # (S, d − 1, d)
    rays = np.empty((sub.shape[0], d))
    cols = np.arange(d)
    for k in range(d):
        rays[:, k] = (-1) ** k * np.linalg.det(Ms[:, :, cols != k])
    norm = np.abs(rays).max(axis=1)
    good = norm > 0
    rays = rays[good] / norm[good, None]
    rays = np.vstack([rays, -rays])
    val = rays @ A.T  # (R, N) ≤ 0 for a ray of C
    tol = 1e-10 * (np.abs(rays) @ np.abs(A).T + 1e-300)
    rays = rays[(val <= tol).all(axis=1)]
    rays = rays[(rays[:, s:s + m] > 1e-12).any(axis=1)]  # v = 0: recession directions
    if rays.shape[0] == 0:
        return None
    vx = rays[:, s:s + m] @ Xos.T  # (R, b)
    num = rays[:, :s] @ Yos.T + (rays[:, -1:] if vrs else 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(vx > 1e-12, num / vx, -np.inf)
    best = q.argmax(axis=0)
    theta = q[best, np.arange(q.shape[1])]
    if not np.all(np.isfinite(theta)) or np.any(theta > 1.0 + 1e-9) or np.any(theta <= 0):
        return None
    if not with_lambda:
        return theta
    b = Xo.shape[0]
    lam = np.zeros((b, n))
    ok = np.zeros(b, dtype=bool)
    Ar = A[:n]
    for g in np.unique(best):
        og = np.flatnonzero(best == g)
        r = rays[g]
        act = np.flatnonzero(np.abs(Ar @ r) <= 1e-9 * (np.abs(Ar) @ np.abs(r)))
        if act.size == 0:
            continue
        vi, ur = r[s:s + m] > 1e-12, r[:s] > 1e-12
        th = theta[og]
        M = np.vstack([Xs[act].T[vi], Ys[act].T[ur]] + ([np.ones((1, act.size))] if vrs else []))
        B = np.vstack([(Xos[og] * th[:, None]).T[vi], Yos[og].T[ur]] + ([np.ones((1, og.size))] if vrs else []))
        L = np.linalg.lstsq(M, B, rcond=None)[0]  # (|act|, |og|)
        good = (L >= -1e-10).all(axis=0)
        L = np.maximum(L, 0.0)
        good &= (Xs[act].T @ L <= (Xos[og] * th[:, None]).T + 1e-9 * np.maximum(1.0, Xos[og].T)).all(axis=0)
        good &= (Ys[act].T @ L >= Yos[og].T - 1e-9 * np.maximum(1.0, Yos[og].T)).all(axis=0)
        if vrs:
            good &= np.abs(L.sum(axis=0) - 1.0) <= 1e-9
        lam[np.ix_(og[good], act)] = L[:, good].T
        ok[og[good]] = True
    return theta, lam, ok


def _vertex_path(Xv: np.ndarray, Yv: np.ndarray, vrs: bool, want_lambda: bool
                 ) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """θ (and λ blocks) by vertex enumeration on the non-dominated or frontier units; LPs where it fails.

    Reference set: the non-dominated units while their enumeration is small
    (``_SMALL_SUBSETS``), else the frontier found by one stacked LP of the
    non-dominated units against each other (those keep their LP solution).
    """
    kv, m = Xv.shape
    s = Yv.shape[1]
    d = s + m + (1 if vrs else 0)
    R = nondominated(Xv, Yv)
    theta = np.empty(kv)
    blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    if comb(R.size + m + s, d - 1) <= _SMALL_SUBSETS:
        refs, todo = R, np.arange(kv)
    else:
        sol_R = _solve_lp(Xv[R], Yv[R], Xv[R], Yv[R], vrs)
        theta[R] = sol_R[:, 0]
        blocks.append((R, R, sol_R[:, 1:]))
        refs = R[sol_R[:, 0] >= 1.0 - FRONTIER_TOL]
        todo = np.setdiff1d(np.arange(kv), R, assume_unique=True)
    if not todo.size:
        return theta, blocks
    out = _theta_vertices(Xv[refs], Yv[refs], Xv[todo], Yv[todo], vrs, with_lambda=want_lambda)
    if out is None:
        bad = todo
    elif not want_lambda:
        theta[todo] = out
        return theta, blocks
    else:
        th, lam, ok = out
        theta[todo] = th
        blocks.append((todo[ok], refs, lam[ok]))
        bad = todo[~ok]
    if bad.size:
        sol = _solve_lp(Xv[refs], Yv[refs], Xv[bad], Yv[bad], vrs)
        theta[bad] = sol[:, 0]
        blocks.append((bad, refs, sol[:, 1:]))
    return theta, blocks


def _lower_chain(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Indices of the lower convex chain of the points (y_j, x_j), y strictly increasing."""
    order = np.lexsort((x, y))
    first = np.r_[True, y[order][1:] != y[order][:-1]]  # keep the smallest x per y
    chain: list[int] = []
    for j in order[first]:
        while len(chain) >= 2:
            a, b = chain[-2], chain[-1]
            # drop b unless it lies strictly below the segment a–j
            if (y[b] - y[a]) * (x[j] - x[a]) - (x[b] - x[a]) * (y[j] - y[a]) <= 0:
                chain.pop()
            else:
                break
        chain.append(int(j))
    return np.array(chain, dtype=np.int64)


def _fast_1x1(x: np.ndarray, y: np.ndarray, vrs: bool) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """Closed forms for one input and one output (exactly the LP's θ).

    CCR: θ_o = (y_o/x_o) / max_j (y_j/x_j); peers: the units of maximal ratio.
    BCC: the input needed for y_o is the lowest point at Y ≥ y_o of the convex hull
    of (y_j, x_j): x_min while y_o ≤ Y* (the largest y among the units of least
    input), else the lower hull interpolated at y_o; peers: the hull vertices used.
    """
    K = x.size
    if not vrs:
        q = y / x
        qmax = q.max()
        theta = q / qmax
        best = tuple(int(j) for j in np.flatnonzero(q >= qmax * (1 - 1e-12)))
        return theta, [best] * K
    x_min = x.min()
    at_min = np.flatnonzero(x == x_min)
    star = int(at_min[np.argmax(y[at_min])])
    right = np.flatnonzero(y >= y[star])
    chain = right[_lower_chain(y[right], x[right])]
    cy, cx = y[chain], x[chain]
    need = np.interp(y, cy, cx)
    need = np.where(y <= y[star], x_min, need)
    theta = need / x
    pos = np.searchsorted(cy, y, side="left")
    peers: list[tuple[int, ...]] = []
    for o in range(K):
        if y[o] <= y[star]:
            peers.append((star,))
        elif cy[pos[o]] == y[o]:
            peers.append((int(chain[pos[o]]),))
        else:
            peers.append((int(chain[pos[o] - 1]), int(chain[pos[o]])))
    return theta, peers


def dea(X: np.ndarray, Y: np.ndarray, *, model: str = "ccr", method: str = "auto",
        peers: bool = True, prefilter: bool = True) -> DEA:
    """Input-oriented DEA efficiency θ of K units (envelopment form, HiGHS).

    X : ndarray (K, m) inputs > 0; Y : ndarray (K, s) outputs > 0 (1-D arrays are
        one column). The caller shifts stage scores by +1 so a 0 never occurs.
    model : "ccr" (constant returns, Charnes–Cooper–Rhodes 1978) or "bcc"
        (variable returns, Banker–Charnes–Cooper 1984: adds Σλ = 1).

    For each unit o::

        θ_o = min θ  s.t.  Σ_j λ_j x_ij ≤ θ x_io  (i = 1…m)
                           Σ_j λ_j y_rj ≥ y_ro     (r = 1…s)
                           λ ≥ 0   [BCC: Σ_j λ_j = 1]

    θ ∈ (0, 1] (clipped at 1 against solver rounding); BCC θ ≥ CCR θ. An
    efficient unit (θ ≥ 1 − 1e-9) is its own peer. Only the radial θ is computed
    (no second-stage slacks), so a weakly efficient unit also gets θ = 1.

    Which columns the LPs need (``prefilter=True``, the default; results as
    without it, checked to 1e-9 in tests/unit/test_efficiency_filter.py):

    1. *Dominated units.* Let j dominate k (x_j ≤ x_k, y_j ≥ y_k, different).
       Given an optimal (θ*, λ*) with λ*_k > 0, put λ' = λ* + λ*_k (e_j − e_k):
       Xλ' = Xλ* + λ*_k (x_j − x_k) ≤ θ* x_o, Yλ' ≥ Yλ* ≥ y_o and Σλ' = Σλ*, so
       (θ*, λ') is feasible (also for BCC) with the same objective, i.e. optimal,
       and λ'_k = 0. Dominance is a strict partial order on finitely many units,
       so every dominated unit has a non-dominated dominator and the LP restricted
       to the non-dominated columns (:func:`nondominated`; of identical units the
       first) has the same optimum θ_o, for every o (o itself need not be a column).
    2. *Frontier units.* If λ*_j > 0 in an optimal solution of unit o, complementary
       slackness with an optimal dual (u, v, w) gives u·y_j − v·x_j + w = 0 with
       v·x_o = 1, v ≥ 0, so v·x_j > 0 and (u, v, w)/(v·x_j) is feasible for unit j's
       multiplier LP with value 1: θ_j = 1. So only frontier units (θ = 1) ever
       carry λ, in CCR and BCC alike: the non-dominated units are solved first
       against each other, the others against the frontier units only (a handful).
       Below 40,000 units × columns everything is solved in one pass instead.

    Peers of an inefficient unit: the j with λ_j > 1e-9 in the optimal λ HiGHS
    returns for the restricted LP — an optimal λ of the full LP. With alternative
    optima another peer set would be possible; this choice is deterministic (the
    same data give the same stacked LP and the same basis), and a group of
    identical units is represented by its first member.

    ``peers=False``: θ and ``efficient`` only (peers and lambdas None). θ then
    comes from the vertices of the dual of the restricted problem (see
    ``_theta_vertices``) while that needs at most 60,000 tiny solves, else the LPs.

    Units with a NaN input or output are left out of the reference set and get
    θ NaN and no peers. ``method="lp"``: always the LPs. ``method="auto"``
    (default) uses the exact closed forms when m = s = 1 (CCR: ratio over the best
    ratio; BCC: the lower convex hull of (y, x), O(K log K)); the tests check both
    give the same θ. Peers from the closed forms: CCR, every unit of maximal ratio;
    BCC, the hull vertices that span the unit's projection. ``lambdas`` (a sparse
    K × K array) comes from the LP path with peers only (None otherwise).
    ``prefilter=False`` solves every LP against all K columns (for tests).

    Source: Charnes, Cooper & Rhodes (1978) EJOR 2:429–444; Banker, Charnes &
    Cooper (1984) Mgmt Sci 30:1078–1092; Cooper, Seiford & Tone (2007) ch. 3
    (CCR envelopment form, hospital example of Table 1.5 in the tests); Dulá &
    López (2009) Computers & OR 36:1204–1220 (pre-processing).
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}; got {model!r}")
    if method not in ("auto", "lp"):
        raise ValueError(f"method must be 'auto' or 'lp', got {method!r}")
    X, Y, ok = _check(X, Y)
    K = X.shape[0]
    vrs = model == "bcc"
    idx = np.flatnonzero(ok)
    theta = np.full(K, np.nan)
    if idx.size and method == "auto" and X.shape[1] == 1 and Y.shape[1] == 1:
        th, pv = _fast_1x1(X[idx, 0], Y[idx, 0], vrs)
        theta[idx] = np.minimum(th, 1.0)
        efficient = theta >= 1.0 - EFFICIENT_TOL
        if not peers:
            return DEA(theta=theta, efficient=efficient, peers=None, lambdas=None, model=model)
        peers_fast: list[tuple[int, ...]] = [()] * K
        for o_v, o in enumerate(idx):
            peers_fast[o] = (int(o),) if efficient[o] else tuple(int(idx[j]) for j in pv[o_v])
        return DEA(theta=theta, efficient=efficient, peers=tuple(peers_fast), lambdas=None,
                   model=model)
    Xv, Yv = X[idx], Y[idx]
    if not peers:
        if idx.size:
            th = _vertex_path(Xv, Yv, vrs, False)[0] if prefilter and method == "auto" \
                else _lp_filtered(Xv, Yv, vrs, prefilter)[0]
            theta[idx] = np.minimum(th, 1.0)
        return DEA(theta=theta, efficient=theta >= 1.0 - EFFICIENT_TOL, peers=None, lambdas=None,
                   model=model)
    peer_list: list[tuple[int, ...]] = [()] * K
    rows, cols, vals = [np.empty(0, np.int64)], [np.empty(0, np.int64)], [np.empty(0)]
    if idx.size:
        th, blocks = _vertex_path(Xv, Yv, vrs, True) if prefilter and method == "auto" \
            else _lp_filtered(Xv, Yv, vrs, prefilter)
        theta[idx] = np.minimum(th, 1.0)
        for units, refs, lam in blocks:
            r, c = np.nonzero(lam)
            rows.append(idx[units[r]])
            cols.append(idx[refs[c]])
            vals.append(lam[r, c])
            o_p, j_p = np.nonzero(lam > PEER_TOL)  # row-major: units in order, columns ascending
            split = np.searchsorted(o_p, np.arange(1, units.size))
            for o_v, js in zip(units, np.split(idx[refs[j_p]], split)):
                peer_list[idx[o_v]] = tuple(sorted(js.tolist()))
    efficient = theta >= 1.0 - EFFICIENT_TOL
    for o in np.flatnonzero(efficient):
        peer_list[o] = (int(o),)
    from scipy import sparse

    lambdas = sparse.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                               shape=(K, K))
    return DEA(theta=theta, efficient=efficient, peers=tuple(peer_list), lambdas=lambdas, model=model)


def ratio(outcome: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """Simple efficiency ratio outcome / input, element-wise (unbounded; NaN passes).

    Source: docs/methods.md#dea (efficiency.csv, column ratio).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(outcome, dtype=np.float64) / np.asarray(inputs, dtype=np.float64)
