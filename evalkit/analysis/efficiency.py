"""Input-oriented DEA efficiency (CCR, BCC) and the simple outcome/input ratio.

Source: SPEC.md "Outputs" (efficiency.csv); Charnes, Cooper & Rhodes (1978)
Measuring the efficiency of decision making units, EJOR 2(6):429–444 (CCR);
Banker, Charnes & Cooper (1984) Some models for estimating technical and scale
inefficiencies in DEA, Management Science 30(9):1078–1092 (BCC); Cooper, Seiford
& Tone (2007) *Data Envelopment Analysis*, 2nd ed., ch. 3–4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

__all__ = ["DEA", "MODELS", "dea", "ratio"]

MODELS = ("ccr", "bcc")
PEER_TOL = 1e-9  # λ above this counts as a peer
EFFICIENT_TOL = 1e-9  # θ ≥ 1 − this counts as efficient
_MAX_STACK = 50_000  # λ variables per stacked LP: all of 41 units in one call; large K in chunks


@dataclass(frozen=True, slots=True, eq=False)
class DEA:
    """Result of :func:`dea`.

    theta : (K,) in (0, 1] (NaN for a unit with missing data);
    efficient : (K,) bool; peers : tuple of K tuples of unit indices (empty for NaN units);
    lambdas : (K, K), row o = the optimal λ of unit o's LP (NaN rows for NaN units);
    None from the closed forms (m = s = 1), which need no λ (and K² memory).
    """

    theta: np.ndarray
    efficient: np.ndarray
    peers: tuple[tuple[int, ...], ...]
    lambdas: np.ndarray | None
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


def _solve_stacked(X: np.ndarray, Y: np.ndarray, units: np.ndarray, vrs: bool) -> np.ndarray:
    """θ and λ of the envelopment LPs of ``units``, stacked into one block-diagonal LP.

    Minimising Σ_o θ_o over independent blocks minimises every θ_o, so one HiGHS
    call replaces len(units) calls (linprog's per-call overhead dominates small LPs).
    Returns (len(units), 1 + K): θ_o then λ_o.
    """
    K, m = X.shape
    s = Y.shape[1]
    b = units.size
    M = np.vstack([X.T, -Y.T])  # (m + s, K), the λ part shared by every block
    rows_per, cols_per = m + s, K + 1
    # θ column: −x_io in the m input rows of block o
    r_theta = (np.arange(b)[:, None] * rows_per + np.arange(m)[None, :]).ravel()
    c_theta = np.repeat(np.arange(b) * cols_per, m)
    v_theta = -X[units].ravel()
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
    b_ub = np.hstack([np.zeros((b, m)), -Y[units]]).ravel()
    c = np.zeros(b * cols_per)
    c[::cols_per] = 1.0
    bounds = np.zeros((b * cols_per, 2))
    bounds[:, 1] = np.inf
    bounds[::cols_per, 0] = -np.inf  # θ free (optimum is in (0, 1] anyway)
    kw = {}
    if vrs:
        r_eq = np.repeat(np.arange(b), K)
        c_eq = (np.arange(b)[:, None] * cols_per + 1 + np.arange(K)[None, :]).ravel()
        kw["A_eq"] = sparse.csr_array((np.ones(b * K), (r_eq, c_eq)), shape=(b, b * cols_per))
        kw["b_eq"] = np.ones(b)
    # presolve off: ~40 % faster on these small, well-scaled blocks (benchmarks/bench_analysis.py)
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs",
                  options={"presolve": False}, **kw)
    if res.status != 0:
        raise ValueError(f"DEA LP failed: {res.message}")  # cannot happen for X, Y > 0
    return res.x.reshape(b, cols_per)


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


def dea(X: np.ndarray, Y: np.ndarray, *, model: str = "ccr", method: str = "auto") -> DEA:
    """Input-oriented DEA efficiency θ of K units (envelopment form, HiGHS).

    X : ndarray (K, m) inputs > 0; Y : ndarray (K, s) outputs > 0 (1-D arrays are
        one column). The caller shifts stage scores by +1 so a 0 never occurs.
    model : "ccr" (constant returns, Charnes–Cooper–Rhodes 1978) or "bcc"
        (variable returns, Banker–Charnes–Cooper 1984: adds Σλ = 1).

    For each unit o::

        θ_o = min θ  s.t.  Σ_j λ_j x_ij ≤ θ x_io  (i = 1…m)
                           Σ_j λ_j y_rj ≥ y_ro     (r = 1…s)
                           λ ≥ 0   [BCC: Σ_j λ_j = 1]

    θ ∈ (0, 1] (clipped at 1 against solver rounding); BCC θ ≥ CCR θ. Peers of an
    inefficient unit: the j with λ_j > 1e-9 in the solver's optimal λ (with
    alternative optima another peer set is possible); an efficient unit
    (θ ≥ 1 − 1e-9) is its own peer. Only the radial θ is computed (no second-stage
    slacks), so a weakly efficient unit also gets θ = 1.

    Units with a NaN input or output are left out of the reference set and get
    θ NaN and no peers. ``method="lp"``: the K LPs are solved as block-diagonal
    stacks in as few linprog calls as possible (41 units: one call per model).
    ``method="auto"`` (default) uses the exact closed forms when m = s = 1 (CCR:
    ratio over the best ratio; BCC: the lower convex hull of (y, x), O(K log K)),
    else the LPs; the tests check both give the same θ. Peers from the closed
    forms: CCR, every unit of maximal ratio; BCC, the hull vertices that span the
    unit's projection. ``lambdas`` comes from the LP path only (None otherwise).

    Source: Charnes, Cooper & Rhodes (1978) EJOR 2:429–444; Banker, Charnes &
    Cooper (1984) Mgmt Sci 30:1078–1092; Cooper, Seiford & Tone (2007) ch. 3
    (CCR envelopment form, hospital example of Table 1.5 in the tests).
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}; got {model!r}")
    if method not in ("auto", "lp"):
        raise ValueError(f"method must be 'auto' or 'lp', got {method!r}")
    X, Y, ok = _check(X, Y)
    K = X.shape[0]
    idx = np.flatnonzero(ok)
    theta = np.full(K, np.nan)
    if idx.size and method == "auto" and X.shape[1] == 1 and Y.shape[1] == 1:
        th, pv = _fast_1x1(X[idx, 0], Y[idx, 0], model == "bcc")
        theta[idx] = np.minimum(th, 1.0)
        efficient = theta >= 1.0 - EFFICIENT_TOL
        peers_fast: list[tuple[int, ...]] = [()] * K
        for o_v, o in enumerate(idx):
            peers_fast[o] = (int(o),) if efficient[o] else tuple(int(idx[j]) for j in pv[o_v])
        return DEA(theta=theta, efficient=efficient, peers=tuple(peers_fast), lambdas=None,
                   model=model)
    lambdas = np.full((K, K), np.nan)
    if idx.size:
        Xv, Yv = X[idx], Y[idx]
        kv = idx.size
        chunk = max(1, _MAX_STACK // kv)
        sol = np.empty((kv, kv + 1))
        for start in range(0, kv, chunk):
            units = np.arange(start, min(kv, start + chunk))
            sol[units] = _solve_stacked(Xv, Yv, units, model == "bcc")
        theta[idx] = np.minimum(sol[:, 0], 1.0)
        lam = np.zeros((kv, K))
        lam[:, idx] = sol[:, 1:]
        lambdas[idx] = lam
    efficient = theta >= 1.0 - EFFICIENT_TOL
    peers = []
    for o in range(K):
        if not ok[o]:
            peers.append(())
        elif efficient[o]:
            peers.append((o,))
        else:
            peers.append(tuple(int(j) for j in np.flatnonzero(lambdas[o] > PEER_TOL)))
    return DEA(theta=theta, efficient=efficient, peers=tuple(peers), lambdas=lambdas, model=model)


def ratio(outcome: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """Simple efficiency ratio outcome / input, element-wise (unbounded; NaN passes).

    Source: SPEC.md "Outputs" efficiency.csv (column ratio).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(outcome, dtype=np.float64) / np.asarray(inputs, dtype=np.float64)
