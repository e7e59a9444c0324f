"""DEA on raw inputs and outputs: radial CCR/BCC with slacks, super-efficiency, SBM, the
range directional model, and the Malmquist productivity index.

Every model solves one small LP per evaluated unit; the LPs of one call are stacked
block-diagonally into one HiGHS call (minimising the sum of independent objectives
minimises each), and solved one by one only if the stack fails (an infeasible
super-efficiency LP under VRS, say). Units with a missing or non-positive value get
NaN and stay out of the reference set.

Sources: Charnes, Cooper & Rhodes (1978) EJOR 2:429–444 (CCR); Banker, Charnes & Cooper
(1984) Mgmt Sci 30:1078–1092 (BCC); Cooper, Seiford & Tone (2007) *Data Envelopment
Analysis*, 2nd ed., ch. 3 (two-phase slacks); Andersen & Petersen (1993) Mgmt Sci
39(10):1261–1264 (super-efficiency); Tone (2001) EJOR 130:498–509 (SBM); Silva Portela,
Thanassoulis & Simpson (2004) JORS 55:1111–1121 (range directional model); Färe,
Grosskopf, Norris & Zhang (1994) AER 84(1):66–83 (Malmquist, decomposition); Pastor &
Lovell (2005) Economics Letters 88:266–271 (global Malmquist).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ORIENTATIONS", "RTS", "Malmquist", "Radial", "SBM", "malmquist", "radial", "rdm", "sbm",
           "super_efficiency"]

RTS = ("crs", "vrs")
ORIENTATIONS = ("input", "output")
PEER_TOL = 1e-9
_MAX_STACK = 50_000  # variables per stacked LP
_ONE_PASS = 40_000  # units × reference columns up to which every LP is solved in one pass

_Block = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # c, A_ub, b_ub, A_eq, b_eq


def _as2d(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return a[:, None] if a.ndim == 1 else a


def _usable(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """(K,) bool: every input and output finite and > 0."""
    return (np.isfinite(X) & (X > 0)).all(axis=1) & (np.isfinite(Y) & (Y > 0)).all(axis=1)


def _solve_one(c, Au, bu, Ae, be) -> np.ndarray | None:
    from scipy.optimize import linprog

    r = linprog(c, A_ub=Au if Au.size else None, b_ub=bu if Au.size else None,
                A_eq=Ae if Ae.size else None, b_eq=be if Ae.size else None, bounds=(0, None), method="highs")
    return r.x if r.status == 0 else None


def _solve_many(blocks: list[_Block]) -> list[np.ndarray | None]:
    """Solve independent LPs min c·z s.t. A_ub z ≤ b_ub, A_eq z = b_eq, z ≥ 0; None where infeasible."""
    if not blocks:
        return []
    if len({(b[0].size, b[1].shape, b[3].shape) for b in blocks}) > 1:  # differently shaped LPs: one by one
        return [_solve_one(*b) for b in blocks]
    return _solve_arrays(*(np.stack([b[k] for b in blocks]) for k in range(5)))


def _solve_arrays(c: np.ndarray, Au: np.ndarray, bu: np.ndarray, Ae: np.ndarray, be: np.ndarray
                  ) -> list[np.ndarray | None]:
    """:func:`_solve_many` on equally shaped LPs given as stacked arrays: c (b, v), A_ub (b, r, v),
    b_ub (b, r), A_eq (b, q, v), b_eq (b, q). One block-diagonal HiGHS call per chunk of
    at most ``_MAX_STACK`` variables; the LPs one by one if a stack fails (an infeasible one)."""
    from scipy.optimize import linprog

    b, v = c.shape
    per = max(1, _MAX_STACK // v)
    if b > per:  # large sets in chunks: HiGHS slows down on huge stacks
        return [z for i in range(0, b, per)
                for z in _solve_arrays(c[i:i + per], Au[i:i + per], bu[i:i + per], Ae[i:i + per], be[i:i + per])]
    kw: dict[str, Any] = {}
    if Au.shape[1]:
        kw["A_ub"], kw["b_ub"] = _block_diag(Au), bu.ravel()
    if Ae.shape[1]:
        kw["A_eq"], kw["b_eq"] = _block_diag(Ae), be.ravel()
    r = linprog(c.ravel(), bounds=(0, None), method="highs", **kw)
    if r.status == 0:
        return list(r.x.reshape(b, v))
    return [_solve_one(c[k], Au[k], bu[k], Ae[k], be[k]) for k in range(b)]


def _block_diag(A: np.ndarray):
    """Sparse block-diagonal matrix of the equally shaped dense blocks A (b, r, c), from one COO index set."""
    from scipy import sparse

    b, r, c = A.shape
    k, i, j = np.nonzero(A)
    return sparse.csr_array((A[k, i, j], (k * r + i, k * c + j)), shape=(b * r, b * c))


@dataclass(frozen=True, slots=True, eq=False)
class Radial:
    """Result of :func:`radial` / :func:`super_efficiency`.

    efficiency : (K,) θ (input orientation) or 1/φ (output), in (0, 1] against a frontier
        the unit belongs to (above 1 for super-efficiency or another period's frontier);
    factor : (K,) θ or φ themselves; slack_x (K, m) input excesses and slack_y (K, s)
        output shortfalls of the second phase (NaN without slacks); lambdas : scipy.sparse
        csr_array (K, n), the intensities on the reference units; peers : per unit the reference indices with
        λ > 1e-9. NaN (and no peers) where a value is missing or ≤ 0 or the LP is infeasible.
    """

    efficiency: np.ndarray
    factor: np.ndarray
    slack_x: np.ndarray
    slack_y: np.ndarray
    lambdas: np.ndarray
    peers: tuple[tuple[int, ...], ...]
    rts: str
    orientation: str


def _check_opts(rts: str, orientation: str) -> None:
    if rts not in RTS:
        raise ValueError(f"rts must be one of {', '.join(RTS)}; got {rts!r}")
    if orientation not in ORIENTATIONS:
        raise ValueError(f"orientation must be one of {', '.join(ORIENTATIONS)}; got {orientation!r}")


def _phase1(Xo: np.ndarray, Yo: np.ndarray, Xr_of: Callable[[int], np.ndarray], Yr_of: Callable[[int], np.ndarray],
            vrs: bool, output: bool) -> list[np.ndarray | None]:
    """Envelopment LPs, variables z = [θ or φ, λ]: the radial factor and the λ of every unit o."""
    blocks: list[_Block] = []
    for o in range(Xo.shape[0]):
        Xr, Yr = Xr_of(o), Yr_of(o)
        n, m, s = Xr.shape[0], Xr.shape[1], Yr.shape[1]
        c = np.zeros(n + 1)
        if output:  # max φ: Xr'λ ≤ x_o, φ y_o − Yr'λ ≤ 0
            c[0] = -1.0
            Au = np.block([[np.zeros((m, 1)), Xr.T], [Yo[o][:, None], -Yr.T]])
            bu = np.r_[Xo[o], np.zeros(s)]
        else:  # min θ: Xr'λ − θ x_o ≤ 0, −Yr'λ ≤ −y_o
            c[0] = 1.0
            Au = np.block([[-Xo[o][:, None], Xr.T], [np.zeros((s, 1)), -Yr.T]])
            bu = np.r_[np.zeros(m), -Yo[o]]
        Ae = np.r_[0.0, np.ones(n)][None, :] if vrs else np.zeros((0, n + 1))
        be = np.ones(1) if vrs else np.zeros(0)
        blocks.append((c, Au, bu, Ae, be))
    return _solve_many(blocks)


def _phase2(Xo: np.ndarray, Yo: np.ndarray, Xr: np.ndarray, Yr: np.ndarray, factor: np.ndarray, vrs: bool,
            output: bool) -> list[np.ndarray | None]:
    """Max-slack LPs at the optimal factor, variables z = [λ, s⁻, s⁺] (Cooper, Seiford & Tone 2007 §3.3)."""
    n, m, s = Xr.shape[0], Xr.shape[1], Yr.shape[1]
    blocks: list[_Block] = []
    for o in range(Xo.shape[0]):
        c = np.r_[np.zeros(n), -np.ones(m + s)]
        Ae = np.block([[Xr.T, np.eye(m), np.zeros((m, s))], [Yr.T, np.zeros((s, m)), -np.eye(s)]])
        be = np.r_[Xo[o], Yo[o] * factor[o]] if output else np.r_[Xo[o] * factor[o], Yo[o]]
        if vrs:
            Ae = np.vstack([Ae, np.r_[np.ones(n), np.zeros(m + s)]])
            be = np.r_[be, 1.0]
        blocks.append((c, np.zeros((0, n + m + s)), np.zeros(0), Ae, be))
    return _solve_many(blocks)


def radial(X: np.ndarray, Y: np.ndarray, *, rts: str = "crs", orientation: str = "input",
           Xref: np.ndarray | None = None, Yref: np.ndarray | None = None, slacks: bool = True) -> Radial:
    """Radial DEA (CCR with ``rts="crs"``, BCC with ``"vrs"``) of K units against a reference set.

    X (K, m), Y (K, s) raw inputs and outputs (> 0); Xref (n, m), Yref (n, s) the
    reference technology (default: the units themselves; e.g. another year's units,
    or all years pooled). Input orientation, for each unit o::

        θ_o = min θ  s.t.  Σ_j λ_j x_ij ≤ θ x_io,  Σ_j λ_j y_rj ≥ y_ro,  λ ≥ 0  [VRS: Σ λ_j = 1]

    output orientation: φ_o = max φ s.t. Σ λ_j x_ij ≤ x_io, Σ λ_j y_rj ≥ φ y_ro, and the
    efficiency is 1/φ_o. Second phase (``slacks=True``): at the optimal θ (φ), max Σ s⁻ + Σ s⁺
    s.t. Σ λ x + s⁻ = θ x_o, Σ λ y − s⁺ = y_o (output: x_o, φ y_o). A unit is CCR/BCC
    efficient iff θ = 1 and every slack is 0. Under CRS θ = 1/φ exactly.

    Source: Charnes, Cooper & Rhodes (1978); Banker, Charnes & Cooper (1984); Cooper,
    Seiford & Tone (2007) ch. 3–4 (two-phase procedure; Example 3.2 in the tests).
    """
    _check_opts(rts, orientation)
    X, Y = _as2d(X), _as2d(Y)
    Xr, Yr = (X, Y) if Xref is None else (_as2d(Xref), _as2d(Yref))
    return _radial(X, Y, Xr, Yr, rts, orientation, slacks, exclude_self=False)


def super_efficiency(X: np.ndarray, Y: np.ndarray, *, rts: str = "crs", orientation: str = "input") -> Radial:
    """Andersen–Petersen super-efficiency: the radial model with unit o left out of its own reference set.

    Inefficient units keep their θ; efficient ones get θ ≥ 1 (how far they could worsen
    and stay on the frontier of the others), so they can be ranked. Under VRS the LP
    of an extreme unit can be infeasible: NaN. Output orientation reports 1/φ.

    Source: Andersen, P. & Petersen, N. C. (1993) A procedure for ranking efficient
    units in DEA, Management Science 39(10):1261–1264.
    """
    _check_opts(rts, orientation)
    X, Y = _as2d(X), _as2d(Y)
    return _radial(X, Y, X, Y, rts, orientation, False, exclude_self=True)


def _radial(X, Y, Xr, Yr, rts, orientation, slacks, *, exclude_self) -> Radial:
    """Radial scores; the LPs use only the non-dominated reference units (a dominated column can be
    swapped for its dominator without loss, in both phases: Dulá & López 2009). Super-efficiency
    solves the leave-one-out LP only for the efficient units: an inefficient unit's optimal λ
    never uses itself, so its θ stays."""
    from scipy import sparse

    from .efficiency import nondominated

    K, m, s = X.shape[0], X.shape[1], Y.shape[1]
    ok = _usable(X, Y)
    vrs, output = rts == "vrs", orientation == "output"
    ref = np.flatnonzero(_usable(Xr, Yr))
    ref = ref[nondominated(Xr[ref], Yr[ref])] if ref.size else ref
    todo = np.flatnonzero(ok)
    nan = np.nan
    factor = np.full(K, nan)
    rows: list[int] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    sx, sy = np.full((K, m), nan), np.full((K, s), nan)
    sols = _phase1(X[todo], Y[todo], lambda o: Xr[ref], lambda o: Yr[ref], vrs, output)
    for o, z in zip(todo, sols):
        if z is not None:
            factor[o] = z[0]
    lam_of: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for o, z in zip(todo, sols):
        if z is not None:
            lam_of[int(o)] = (ref, z[1:])
    if exclude_self:
        with np.errstate(divide="ignore", invalid="ignore"):
            eff_now = 1.0 / factor if output else factor
        top = todo[np.isfinite(eff_now[todo]) & (eff_now[todo] >= 1.0 - 1e-9)]
        refs = {int(o): (lambda r: r[nondominated(X[r], Y[r])])(np.setdiff1d(np.flatnonzero(ok), [o]))
                for o in top}
        sols_top = _phase1(X[top], Y[top], lambda k: X[refs[int(top[k])]], lambda k: Y[refs[int(top[k])]], vrs,
                           output)
        for o, z in zip(top, sols_top):
            factor[o] = nan if z is None else z[0]
            if z is None:
                lam_of.pop(int(o), None)
            else:
                lam_of[int(o)] = (refs[int(o)], z[1:])
    elif slacks and todo.size:
        good = todo[np.isfinite(factor[todo])]
        sol2 = _phase2(X[good], Y[good], Xr[ref], Yr[ref], factor[good], vrs, output)
        n = ref.size
        for o, z in zip(good, sol2):
            if z is None:
                continue
            lam_of[int(o)] = (ref, z[:n])
            sx[o], sy[o] = np.maximum(z[n:n + m], 0.0), np.maximum(z[n + m:], 0.0)  # −0 from the solver
    for o, (r, v) in lam_of.items():
        keep = v > 0
        rows.extend([o] * int(keep.sum()))
        cols.append(r[keep])
        vals.append(v[keep])
    lam = sparse.csr_array((np.concatenate(vals) if vals else np.zeros(0),
                            (np.array(rows, dtype=np.int64), np.concatenate(cols) if cols else np.zeros(0, np.int64))),
                           shape=(K, Xr.shape[0]))
    with np.errstate(divide="ignore", invalid="ignore"):
        eff = 1.0 / factor if output else factor.copy()
    peers = _peers(lam, K)
    return Radial(efficiency=eff, factor=factor, slack_x=sx, slack_y=sy, lambdas=lam, peers=peers, rts=rts,
                  orientation=orientation)


def _peers(lam, K: int) -> tuple[tuple[int, ...], ...]:
    """Per row of a sparse λ, the columns with λ above PEER_TOL, ascending."""
    lam = lam.tocsr()
    lam.sort_indices()
    out = []
    for o in range(K):
        sl = slice(lam.indptr[o], lam.indptr[o + 1])
        out.append(tuple(int(j) for j, v in zip(lam.indices[sl], lam.data[sl]) if v > PEER_TOL))
    return tuple(out)


@dataclass(frozen=True, slots=True, eq=False)
class SBM:
    """Result of :func:`sbm`: rho (K,) in (0, 1], slack_x (K, m), slack_y (K, s), lambdas (K, n)."""

    rho: np.ndarray
    slack_x: np.ndarray
    slack_y: np.ndarray
    lambdas: np.ndarray
    rts: str


def sbm(X: np.ndarray, Y: np.ndarray, *, rts: str = "crs", Xref: np.ndarray | None = None,
        Yref: np.ndarray | None = None) -> SBM:
    """Slacks-based measure (non-oriented) of Tone (2001)::

        ρ_o = min (1 − (1/m) Σ_i s⁻_i / x_io) / (1 + (1/s) Σ_r s⁺_r / y_ro)
              s.t. x_o = Σ_j λ_j x_j + s⁻,  y_o = Σ_j λ_j y_j − s⁺,  λ, s⁻, s⁺ ≥ 0  [VRS: Σ λ = 1]

    solved as the linear program of the Charnes–Cooper transformation (t = 1 / denominator,
    Λ = tλ, S = ts): min t − (1/m) Σ S⁻_i / x_io s.t. t + (1/s) Σ S⁺_r / y_ro = 1,
    t x_o = Σ Λ_j x_j + S⁻, t y_o = Σ Λ_j y_j − S⁺ [VRS: Σ Λ = t]. ρ = 1 iff the unit is
    CCR (BCC) efficient with no slack; ρ ≤ the radial θ.

    Source: Tone, K. (2001) A slacks-based measure of efficiency in data envelopment
    analysis, EJOR 130(3):498–509, model (10)–(13).
    """
    if rts not in RTS:
        raise ValueError(f"rts must be one of {', '.join(RTS)}; got {rts!r}")
    X, Y = _as2d(X), _as2d(Y)
    Xr, Yr = (X, Y) if Xref is None else (_as2d(Xref), _as2d(Yref))
    K, m, s = X.shape[0], X.shape[1], Y.shape[1]
    ok, ref = np.flatnonzero(_usable(X, Y)), np.flatnonzero(_usable(Xr, Yr))
    n = ref.size
    blocks: list[_Block] = []
    for o in ok:
        x, y = X[o], Y[o]
        c = np.r_[1.0, np.zeros(n), -1.0 / (m * x), np.zeros(s)]
        Ae = np.vstack([
            np.r_[1.0, np.zeros(n + m), 1.0 / (s * y)][None, :],
            np.hstack([-x[:, None], Xr[ref].T, np.eye(m), np.zeros((m, s))]),
            np.hstack([-y[:, None], Yr[ref].T, np.zeros((s, m)), -np.eye(s)]),
        ] + ([np.r_[-1.0, np.ones(n), np.zeros(m + s)][None, :]] if rts == "vrs" else []))
        be = np.r_[1.0, np.zeros(m + s)] if rts == "crs" else np.r_[1.0, np.zeros(m + s + 1)]
        blocks.append((c, np.zeros((0, c.size)), np.zeros(0), Ae, be))
    rho = np.full(K, np.nan)
    sx, sy = np.full((K, m), np.nan), np.full((K, s), np.nan)
    lam = np.zeros((K, Xr.shape[0]))
    for o, z in zip(ok, _solve_many(blocks)):
        if z is None or z[0] <= 0:
            continue
        t = z[0]
        rho[o] = t - float(np.dot(1.0 / (m * X[o]), z[1 + n:1 + n + m]))
        lam[o, ref] = z[1:1 + n] / t
        sx[o], sy[o] = np.maximum(z[1 + n:1 + n + m] / t, 0.0), np.maximum(z[1 + n + m:] / t, 0.0)
    return SBM(rho=np.minimum(rho, 1.0), slack_x=sx, slack_y=sy, lambdas=lam, rts=rts)


def rdm(X: np.ndarray, Y: np.ndarray) -> Radial:
    """Range directional model: DEA that no shift or change of origin alters (VRS).

    For each unit o, with ranges R_x = x_o − min_j x_j and R_y = max_j y_j − y_o::

        β_o = max β  s.t.  Σ_j λ_j x_j ≤ x_o − β R_x,  Σ_j λ_j y_j ≥ y_o + β R_y,  Σ λ_j = 1,  λ ≥ 0

    efficiency = 1 − β_o ∈ [0, 1] (1: on the frontier). Adding a constant to every
    value of an input or output changes neither the ranges nor the feasible set, so
    scores on any scale (with zeros or negatives) give the same efficiencies — unlike
    radial DEA, whose levels on shifted scores are set by the shift. A unit whose ranges
    are all 0 (the ideal point: least of every input, most of every output) has no
    direction to move in and is efficient by definition.

    Source: Silva Portela, M. C. A., Thanassoulis, E. & Simpson, G. (2004) Negative data
    in DEA: a directional distance approach applied to bank branches, JORS 55:1111–1121.
    """
    from scipy import sparse

    from .efficiency import nondominated

    X, Y = _as2d(X), _as2d(Y)
    K, m, s = X.shape[0], X.shape[1], Y.shape[1]
    ok = np.flatnonzero(np.isfinite(X).all(axis=1) & np.isfinite(Y).all(axis=1))
    # only non-dominated units can carry λ (swap a dominated column for its dominator: still feasible)
    nd = ok[nondominated(X[ok], Y[ok])] if ok.size else ok
    if ok.size == 0:  # no unit with every value (a year without data): nothing to compare
        return Radial(efficiency=np.full(K, np.nan), factor=np.full(K, np.nan), slack_x=np.full((K, m), np.nan),
                      slack_y=np.full((K, s), np.nan), lambdas=sparse.csr_array((K, K)), peers=_peers(
                          sparse.csr_array((K, K)), K), rts="vrs", orientation="directional")
    Rx, Ry = X - X[ok].min(axis=0), Y[ok].max(axis=0) - Y  # rows outside ok are never used

    def solve(units: np.ndarray, ref: np.ndarray) -> list[np.ndarray | None]:
        n, b = ref.size, units.size
        Au = np.empty((b, m + s, n + 1))  # every block at once: [R_x | X_ref'] over [R_y | −Y_ref']
        Au[:, :m, 0], Au[:, m:, 0] = Rx[units], Ry[units]
        Au[:, :m, 1:], Au[:, m:, 1:] = X[ref].T, -Y[ref].T
        c = np.zeros((b, n + 1))
        c[:, 0] = -1.0
        Ae = np.ones((b, 1, n + 1))
        Ae[:, :, 0] = 0.0
        return _solve_arrays(c, Au, np.hstack([X[units], -Y[units]]), Ae, np.ones((b, 1)))

    eff = np.full(K, np.nan)
    rows, cols, vals = [], [], []

    def keep(units: np.ndarray, ref: np.ndarray, sols: list[np.ndarray | None]) -> None:
        for o, z in zip(units, sols):
            if z is None:
                continue
            eff[o] = 1.0 - min(z[0], 1.0)
            pos = z[1:] > 0
            rows.extend([int(o)] * int(pos.sum()))
            cols.append(ref[pos])
            vals.append(z[1:][pos])

    # a unit with every range 0 is the ideal point (least of every input, most of every output):
    # its direction is 0, β would be unbounded, and it is efficient by definition
    ideal = ok[(Rx[ok] <= 0).all(axis=1) & (Ry[ok] <= 0).all(axis=1)]
    for o in ideal:
        eff[o] = 1.0
        rows.append(int(o))
        cols.append(np.array([o]))
        vals.append(np.array([1.0]))
    ok, nd = np.setdiff1d(ok, ideal), np.union1d(nd, ideal)
    if ok.size * nd.size <= _ONE_PASS:
        keep(ok, nd, solve(ok, nd))
    else:
        # 1) the non-dominated units among themselves; 2) the others against the units that can
        # carry λ: a unit with λ_j > 0 lies on unit o's supporting hyperplane (u, v, w); if
        # v·R_x^j + u·R_y^j > 0 that hyperplane, rescaled, proves β_j = 0; else the prices sit on
        # components where j's range is 0. So the frontier (β ≤ 1e-6) plus the units with a zero
        # range component is a superset of every optimal λ's support.
        front = np.setdiff1d(nd, ideal)
        keep(front, nd, solve(front, nd))
        zero_range = (Rx[nd] <= 0).any(axis=1) | (Ry[nd] <= 0).any(axis=1)
        E = nd[(eff[nd] >= 1.0 - 1e-6) | zero_range]
        rest = np.setdiff1d(ok, nd, assume_unique=True)
        keep(rest, E, solve(rest, E))
    lam = sparse.csr_array((np.concatenate(vals) if vals else np.zeros(0),
                            (np.array(rows, dtype=np.int64), np.concatenate(cols) if cols else np.zeros(0, np.int64))),
                           shape=(K, K))
    return Radial(efficiency=eff, factor=eff, slack_x=np.full((K, m), np.nan), slack_y=np.full((K, s), np.nan),
                  lambdas=lam, peers=_peers(lam, K), rts="vrs", orientation="directional")


@dataclass(frozen=True, slots=True, eq=False)
class Malmquist:
    """Result of :func:`malmquist`, arrays (K,): the index and its parts between two periods.

    d00, d11 : each period's efficiency on its own frontier (pooled: on the global one
    for ``g0``, ``g1``); d01 = period-1 data on the period-0 frontier, d10 the reverse.
    mi = ec × tc; ec = pec × sec under VRS (pure efficiency and scale change).
    """

    mi: np.ndarray
    ec: np.ndarray
    tc: np.ndarray
    pec: np.ndarray
    sec: np.ndarray
    d00: np.ndarray
    d11: np.ndarray
    d01: np.ndarray
    d10: np.ndarray
    frontier: str


def malmquist(X0: np.ndarray, Y0: np.ndarray, X1: np.ndarray, Y1: np.ndarray, *, orientation: str = "input",
              frontier: str = "contemporaneous", Xpool: np.ndarray | None = None,
              Ypool: np.ndarray | None = None) -> Malmquist:
    """Malmquist productivity index of K units from period 0 to period 1 (CRS distance functions).

    With D^a(b) the CRS efficiency (input θ, or 1/φ — equal under CRS) of the period-b
    data against the period-a frontier::

        MI = [ D^0(1)/D^0(0) · D^1(1)/D^1(0) ]^{1/2}       (> 1: productivity grew)
        EC = D^1(1) / D^0(0)                                (efficiency change, catching up)
        TC = [ D^0(1)/D^1(1) · D^0(0)/D^1(0) ]^{1/2}       (technical change, frontier shift)
        MI = EC · TC;  EC = PEC · SEC with PEC = V^1(1)/V^0(0) the VRS efficiency change
        (in the chosen orientation) and SEC = EC / PEC

    Cross-period LPs can leave a unit above its old frontier (D > 1). ``frontier="global"``
    (pooled): MI = G(1)/G(0) against one frontier of all periods (``Xpool``, ``Ypool``;
    circular, never infeasible), EC as above and TC = MI / EC (change of the gap between
    the period frontier and the global one).

    Source: Färe, R., Grosskopf, S., Norris, M. & Zhang, Z. (1994) Productivity growth,
    technical progress, and efficiency change in industrialized countries, AER 84(1):66–83;
    Pastor, J. T. & Lovell, C. A. K. (2005) A global Malmquist productivity index,
    Economics Letters 88(2):266–271.
    """
    if frontier not in ("contemporaneous", "global"):
        raise ValueError(f"frontier must be 'contemporaneous' or 'global'; got {frontier!r}")
    X0, Y0, X1, Y1 = _as2d(X0), _as2d(Y0), _as2d(X1), _as2d(Y1)

    def d(X, Y, Xr, Yr, rts="crs"):
        return radial(X, Y, rts=rts, orientation=orientation, Xref=Xr, Yref=Yr, slacks=False).efficiency

    d00, d11 = d(X0, Y0, X0, Y0), d(X1, Y1, X1, Y1)
    v00, v11 = d(X0, Y0, X0, Y0, "vrs"), d(X1, Y1, X1, Y1, "vrs")
    with np.errstate(divide="ignore", invalid="ignore"):
        ec = d11 / d00
        pec = v11 / v00
        sec = ec / pec
        if frontier == "global":
            if Xpool is None or Ypool is None:
                raise ValueError("frontier='global' needs Xpool and Ypool (all periods stacked)")
            g0, g1 = d(X0, Y0, Xpool, Ypool), d(X1, Y1, Xpool, Ypool)
            mi = g1 / g0
            tc = mi / ec
            d01, d10 = g1, g0
        else:
            d01, d10 = d(X1, Y1, X0, Y0), d(X0, Y0, X1, Y1)
            mi = np.sqrt((d01 / d00) * (d11 / d10))
            tc = np.sqrt((d01 / d11) * (d00 / d10))
    return Malmquist(mi=mi, ec=ec, tc=tc, pec=pec, sec=sec, d00=d00, d11=d11, d01=d01, d10=d10, frontier=frontier)
