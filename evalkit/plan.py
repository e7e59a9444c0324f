"""Improvement plans: the smallest change of one unit's indicators that lifts it to a goal.

``plan(result, unit=..., year=..., rank=N | score=S)`` answers "what would
苏州 320500 have to improve, and by how much, to reach rank 5 (or 70 points)
in 2024?".  Everything but the unit's own changeable cells is held at its
nominal value: weights, normalisation bounds (min/max, goalposts, z-score
centre and spread, target M), imputed and treated cells, and every other
unit's data.  Derived (``formula:``), ``target``-direction, imputed, treated,
missing and constant indicators are never changed.  Only improvements are
proposed (benefit up, cost down).

The linear programme (exact case) — with d_j ≥ 0 the improvement of
indicator j in raw units (x_j + d_j for benefit, x_j − d_j for cost)::

    minimise    Σ_j c_j d_j / r_j                       c_j = plan_cost (default 1),
                                                        r_j = |x_j| (the normalisation range if x_j = 0)
    subject to  Σ_j a_j (hi_s − lo_s) k_j d_j ≥ S* − S   S the unit's root score, S* the goal
                0 ≤ d_j ≤ min(u_j, cap_j)

    a_j   effective coefficient of leaf j in the root for this unit-year: the
          product of the local weights along its path, each renormalised over
          the children present (= the global weight when nothing is missing)
    k_j   dz/dx: 1/(hi − lo) (minmax; goalpost: 1/(U − L)); 1/(6 sd) (zscore)
    u_j   feasibility: the best value observed among the units that year
          (benefit max, cost min) minus x_j; ``max_change`` in the tree
          replaces it: d_j ≤ max_change · r_j
    cap_j the change after which z stops improving (z = 1: the bound, goalpost,
          or +3 sd): beyond it a change buys nothing

A cell outside its goalposts (or beyond −3 sd) on the bad side has a dead
zone: z stays 0 until it is crossed.  Those (rare) cells are decided by
enumerating which of them to lift (at most 8; more are left out, with a note).

Exact when the normalisation is minmax, goalpost or zscore (linear in x with
the bounds held fixed) and every node above a changeable indicator aggregates
arithmetically; solved by ``scipy.optimize.linprog(method="highs")``.
Otherwise (``rank`` normalisation: a step function; geometric or TOPSIS
aggregation: non-linear) the plan is approximate: a bounded sequential LP
with a trust region on the relative changes (:func:`_slp`; ``rank`` through a
piecewise-linear surrogate of its steps), re-scoring through a faithful
re-implementation of the unit's scoring (:func:`unit_scores`: same bounds,
weights and aggregation formulas as the pipeline, other units held), then
checked — and pushed towards the feasible limits if short — by exact
re-scoring.  Under TOPSIS the other units' scores also move when this unit's
do (the ideal and anti-ideal are shared); the rank goal uses their nominal
scores.

Source: docs/methods.md#plan; README.md "Command line" (``plan``); issue "Full-cycle performance
management"; linear-programming view of additive composite indicators:
OECD/JRC Handbook (2008) §6 (linear aggregation, compensability).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from . import aggregate as agg
from .panel import IMPUTED, TREATED
from .ranking import rank_of
from .tree import Names

EXACT_NORMALISE = ("minmax", "goalpost", "zscore")
MAX_DEAD_ENUM = 8  # cells with a dead zone decided by enumeration (2^8 small LPs at most)
_ZCLIP = 3.0


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanItem:
    """One indicator the plan changes."""

    indicator: str
    name: Names
    current: float
    needed: float
    change: float  # needed − current (raw units; negative for a cost indicator)
    relative: float  # |change| / r_j
    measure: str  # unit of measurement (the tree's `unit`; Chinese where it gives both)
    direction: str
    measure_en: str = ""  # the unit in English where the tree gives one
    decimals: int = 6  # the precision the indicator's data are reported with (what a person can act on)

    def measure_for(self, lang: str) -> str:
        return self.measure_en if (lang == "en" and self.measure_en) else self.measure

    def shown(self) -> tuple[str, str, str]:
        """current, needed, signed change as a person reads them: at the indicator's precision, the needed
        value rounded in the direction of improvement (up for a benefit indicator) so it still reaches the goal."""
        q = 10.0 ** self.decimals
        cur = round(self.current, self.decimals)
        up = self.change > 0
        need = (np.ceil(self.needed * q - 1e-9) if up else np.floor(self.needed * q + 1e-9)) / q
        ch = need - cur
        f = f"{{:,.{self.decimals}f}}"
        return f.format(cur), f.format(need), ("+" if ch > 0 else "") + f.format(ch)


@dataclass(frozen=True, kw_only=True)
class Plan:
    """The answer of :func:`plan`.

    status: "reached" (items lift the unit to the goal), "already" (at or
    above the goal now: no change), "unreachable" (not even every changeable
    indicator at its feasible limit reaches the goal).
    """

    unit: str
    year: int
    goal_kind: str  # "rank" | "score"
    goal_value: float  # N or S as asked
    goal_score: float  # the root score to reach
    current_score: float
    current_rank: int
    status: str
    items: tuple[PlanItem, ...] = ()
    objective: float = 0.0  # Σ c_j |Δx_j| / r_j of the plan
    achieved_score: float = float("nan")  # re-scored with the needed values
    achieved_rank: int | None = None
    best_score: float = float("nan")  # every changeable indicator at its limit
    exact: bool = True
    method: str = "linprog-highs"
    held: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # reason -> indicator ids
    notes: tuple[str, ...] = ()


# =========================================================================== checking the request


def goal_problems(result, *, unit: str, year: int, rank: int | None = None,
                  score: float | None = None) -> list[str]:
    """The user's mistakes in a plan request, as one-line messages (empty: fine).

    Unknown unit (with a did-you-mean over ids and names), year not in the
    data, rank outside 1..n (units scored that year), score outside the scale,
    both or neither goal, no root score for the unit-year.
    """
    out: list[str] = []
    if (rank is None) == (score is None):
        out.append("give exactly one goal: --rank N or --score S")
    units = result.units
    table = result.inputs.units.table
    if unit not in units:
        out.append(f"unknown unit '{unit}'{_unit_suggestion(unit, table, units)}")
    years = result.years
    if year not in years:
        out.append(f"year {year} is not in the data (years: {', '.join(map(str, years))})")
    from .pipeline import node_aggregate

    for n in result.tree.nodes:
        if n.is_leaf:
            continue
        method, options = node_aggregate(n, result.settings)
        if result.weighting[n.id].method == "bod":
            out.append(f"plan does not support benefit-of-the-doubt weights (at '{n.id}'): each unit's weights "
                       "come from its own LP")
            break
        # the plan's candidate rows are scored against the other units with vector TOPSIS or per-unit means
        if method == "copeland" or options.get("normalize", "vector") != "vector":
            out.append(f"plan does not support aggregate {method}"
                       f"{' with normalize ' + options['normalize'] if 'normalize' in options else ''} "
                       f"(at '{n.id}'): plan with arithmetic, geometric, harmonic, power or vector TOPSIS")
            break
    if out:
        return out
    u, t = units.index(unit), years.index(year)
    k = result.tree.index[result.tree.root.id]
    root = result.scores[:, t, k]
    n = int(np.isfinite(root).sum())
    if not np.isfinite(root[u]):
        out.append(f"{result.inputs.units.label(unit)} has no score in {year} (too many values missing): "
                   "nothing to plan from")
    lo, hi = result.settings.scale
    if rank is not None and not 1 <= rank <= n:
        out.append(f"rank {rank} is outside 1..{n} ({n} units are ranked in {year})")
    if score is not None and not (np.isfinite(score) and lo <= score <= hi):
        out.append(f"score {score:g} is outside the scale [{lo:g}, {hi:g}]")
    return out


def _unit_suggestion(word: str, table, units) -> str:
    import difflib

    names = {}
    for _, row in table.iterrows():
        if row["id"] in units:
            for col in ("name_zh", "name_en"):
                names.setdefault(str(row[col]).lower(), []).append(row["id"])
    label = {r["id"]: f"{r['id']} {r['name_zh']} {r['name_en']}" for _, r in table.iterrows()}
    hits = names.get(word.lower())
    if hits:  # a name given where an id is expected; names may repeat (苏州 / 宿州 differ, 泰州 / 台州 too)
        return f" (units are given by id: {'; '.join(label[h] for h in hits)})"
    close = difflib.get_close_matches(word, list(units), n=3, cutoff=0.6)
    close += [i for n_ in difflib.get_close_matches(word.lower(), list(names), n=3, cutoff=0.6)
              for i in names[n_] if i not in close]
    if close:
        return f" (did you mean {' or '.join(label[c] for c in close[:3])}?)"
    listing = ", ".join(label[u] for u in units[:50])
    return f"; units: {listing}{' ...' if len(units) > 50 else ''}"


# =========================================================================== the plan


def plan(result, *, unit: str, year: int, rank: int | None = None, score: float | None = None) -> Plan:
    """The smallest weighted relative improvement that lifts ``unit`` to the goal in ``year``.

    result : a scored project (:class:`evalkit.pipeline.Result`).
    rank : reach this rank (ties share the best rank): the goal score is the
        score of the unit now at that rank among the others, plus 1e-9 of the
        scale's width.  score : reach this root score (on the project scale).
    Returns a :class:`Plan`; never modifies ``result``.  A bad request is a
    caller's bug here (check it with :func:`goal_problems` first): ValueError.

    Source: docs/methods.md#plan; see the module docstring for the LP.
    """
    bad = goal_problems(result, unit=unit, year=year, rank=rank, score=score)
    if bad:
        raise ValueError("; ".join(bad))
    tree = result.tree
    u, t = result.units.index(unit), result.years.index(year)
    kr = tree.index[tree.root.id]
    lo_s, hi_s = result.settings.scale
    width = hi_s - lo_s
    root = result.scores[:, t, kr]
    s0 = float(root[u])
    others = np.delete(root, u)
    others = others[np.isfinite(others)]
    decimals = result.settings.rank_round
    cur_rank = rank_of(s0, others, decimals=decimals)  # as results.csv ranks it
    if rank is not None:
        kind, value = "rank", float(rank)
        if cur_rank <= rank:
            return Plan(unit=unit, year=year, goal_kind=kind, goal_value=value, goal_score=s0, current_score=s0,
                        current_rank=cur_rank, status="already", achieved_score=s0, achieved_rank=cur_rank)
        goal = float(np.sort(others)[::-1][rank - 1] + 1e-9 * width)
    else:
        kind, value, goal = "score", float(score), float(score)
        if s0 >= goal:
            return Plan(unit=unit, year=year, goal_kind=kind, goal_value=value, goal_score=goal, current_score=s0,
                        current_rank=cur_rank, status="already", achieved_score=s0, achieved_rank=cur_rank)

    sp = _setup(result, u, t)
    base = dict(unit=unit, year=year, goal_kind=kind, goal_value=value, goal_score=goal, current_score=s0,
                current_rank=cur_rank, held={k: tuple(v) for k, v in sp.held.items() if v})
    if sp.exact:
        d, gain, notes = _solve_lp(sp, goal - s0, width)
        best = s0 + gain
        method, exact = "linprog-highs", True
    else:
        d, best, notes = _solve_numeric(sp, result, u, t, goal)
        method, exact = "slp-highs", False
    notes = tuple(sp.notes) + tuple(notes)
    if d is None:
        return Plan(**base, status="unreachable", best_score=best, exact=exact, method=method, notes=notes)
    x_new = sp.x0.copy()
    x_new[sp.J] = sp.x0[sp.J] + sp.sign * d
    achieved = float(unit_scores(result, unit=unit, year=year, x=x_new)[kr])
    items = []
    for i, j in enumerate(sp.J):
        if d[i] <= 1e-12 * max(sp.ref[i], 1.0):
            continue
        leaf = tree.leaves[j]
        items.append(PlanItem(indicator=leaf.id, name=leaf.name, current=float(sp.x0[j]), needed=float(x_new[j]),
                              change=float(x_new[j] - sp.x0[j]), relative=float(d[i] / sp.ref[i]),
                              measure=leaf.unit or "", direction=leaf.direction,
                              measure_en=getattr(leaf, "unit_en", None) or "",
                              decimals=reported_decimals(result.prepared.x_raw[..., j])))
    objective = float(np.sum(sp.cost * d / sp.ref))
    return Plan(**base, status="reached", items=tuple(items), objective=objective, achieved_score=achieved,
                achieved_rank=rank_of(achieved, others, decimals=decimals), best_score=best, exact=exact, method=method,
                notes=notes)


@dataclass
class _Setup:
    x0: np.ndarray  # (L,) the unit-year's prepared values
    J: np.ndarray  # indices of changeable leaves
    sign: np.ndarray  # +1 benefit, −1 cost (per J)
    ref: np.ndarray  # r_j
    cost: np.ndarray  # c_j
    ub: np.ndarray  # feasible d_j (before caps)
    slope: np.ndarray  # root points per unit of d_j, in the live zone (exact case)
    dead: np.ndarray  # d_j before z starts to improve
    live: np.ndarray  # length of the live zone (d beyond dead + live buys nothing)
    exact: bool
    held: dict[str, list[str]]
    notes: list[str]


def _setup(result, u: int, t: int) -> _Setup:
    tree = result.tree
    settings = result.settings
    leaves = tree.leaves
    x = result.prepared.x
    x0 = np.array(x[u, t, :], dtype=np.float64)
    flags = result.prepared.flags[u, t, :]
    info = result.norm_info
    row = 0 if info.scope == "panel" else t
    method = settings.normalize
    coef = effective_coefficients(result, u, t)
    held: dict[str, list[str]] = {k: [] for k in ("derived", "target", "imputed", "treated", "missing", "constant",
                                                   "no weight", "at limit")}
    notes: list[str] = []
    treated_cols = {c["indicator"] for c in (result.prepared.records.get("treat", {}) or {}).get("columns", [])
                    if str(c.get("method", "")).startswith("log")}
    J = []
    for j, leaf in enumerate(leaves):
        if leaf.formula is not None:
            held["derived"].append(leaf.id)
        elif leaf.direction == "target":
            held["target"].append(leaf.id)
        elif not np.isfinite(x0[j]) or not np.isfinite(result.z[u, t, j]):
            held["missing"].append(leaf.id)
        elif flags[j] & IMPUTED:
            held["imputed"].append(leaf.id)
        elif flags[j] & TREATED or leaf.id in treated_cols:
            held["treated"].append(leaf.id)
        elif info.constant[row, j]:
            held["constant"].append(leaf.id)
        elif not coef[j] > 0:
            held["no weight"].append(leaf.id)
        else:
            J.append(j)
    J = np.array(J, dtype=np.int64)
    sign = np.array([1.0 if leaves[j].direction == "benefit" else -1.0 for j in J])
    lo, hi = info.lo[row, J], info.hi[row, J]
    rng = np.where(hi - lo > 0, hi - lo, 1.0)
    ref = np.where(np.abs(x0[J]) > 0, np.abs(x0[J]), rng)
    cost = np.array([leaves[j].plan_cost if leaves[j].plan_cost is not None else 1.0 for j in J])
    # feasibility: the year's best observed value, unless the tree gives max_change
    year_x = x[:, t, :]
    ub = np.empty(len(J))
    for i, j in enumerate(J):
        mc = leaves[j].max_change
        if mc is not None:
            ub[i] = mc * ref[i]
        else:
            col = year_x[:, j][np.isfinite(year_x[:, j])]
            best = col.max() if sign[i] > 0 else col.min()
            ub[i] = max(sign[i] * (best - x0[j]), 0.0)
    for i, j in enumerate(J):
        if not ub[i] > 0:
            held["at limit"].append(leaves[j].id)
    # the linear response of the root (exact case)
    width = settings.scale[1] - settings.scale[0]
    y0 = sign * x0[J]
    slope = np.zeros(len(J))
    dead = np.zeros(len(J))
    live = np.zeros(len(J))
    for i, j in enumerate(J):
        if method == "zscore":
            c, sd = info.centre[row, j], info.spread[row, j]
            zs0 = (y0[i] - c) / sd
            slope[i] = 1.0 / (2 * _ZCLIP * sd)
            dead[i] = max(-_ZCLIP - zs0, 0.0) * sd
            live[i] = max(_ZCLIP - max(zs0, -_ZCLIP), 0.0) * sd
        else:  # minmax, goalpost (or its minmax fallback): bounds lo, hi held fixed
            a, b = lo[i], hi[i]
            slope[i] = 1.0 / (b - a)
            bad_end, good_end = (a, b) if sign[i] > 0 else (-b, -a)
            dead[i] = max(bad_end - y0[i], 0.0)
            live[i] = max(good_end - max(y0[i], bad_end), 0.0)
        slope[i] *= coef[j] * width
    nonarith = _nonarithmetic_above(result, [tree.leaves[j].id for j in J])
    exact = method in EXACT_NORMALISE and not nonarith
    if method not in EXACT_NORMALISE:
        notes.append(f"approximate: normalize '{method}' makes the score a step function of the values; "
                     "numeric optimiser (sequential LP) on a piecewise-linear surrogate, checked by re-scoring")
    if nonarith:
        notes.append(f"approximate: non-arithmetic aggregation above changeable indicators "
                     f"({', '.join(f'{n} {m}' for n, m in nonarith[:5])}); numeric optimiser (sequential LP), "
                     "checked by re-scoring")
    return _Setup(x0=x0, J=J, sign=sign, ref=ref, cost=cost, ub=ub, slope=slope, dead=dead, live=live,
                  exact=exact, held=held, notes=notes)


def effective_coefficients(result, u: int, t: int) -> np.ndarray:
    """(L,) ∂ root z / ∂ leaf z for one unit-year under arithmetic aggregation.

    The product, along the leaf's path, of its local weights renormalised over
    the children present (finite score) for this unit-year; 0 for a missing
    leaf or a leaf under a missing node.  Equals the global weight when every
    child is present.
    """
    tree = result.tree
    idx = tree.index
    s = result.scores[u, t, :]
    coef = {tree.root.id: 1.0 if np.isfinite(s[idx[tree.root.id]]) else 0.0}
    for n in tree.root.walk():
        if n.is_leaf:
            continue
        w = np.asarray(result.weighting[n.id].for_year(t), dtype=np.float64)
        present = np.array([np.isfinite(s[idx[c.id]]) for c in n.children])
        tot = float(w[present].sum())
        for c, wc, p in zip(n.children, w, present):
            coef[c.id] = coef[n.id] * wc / tot if (p and tot > 0) else 0.0
    return np.array([coef[leaf.id] for leaf in tree.leaves])


def _nonarithmetic_above(result, leaf_ids) -> list[tuple[str, str]]:
    tree = result.tree
    seen: dict[str, str] = {}
    for lid in leaf_ids:
        for a in tree.ancestors(lid):
            m = tree.by_id[a].aggregate or result.settings.aggregate
            if m != "arithmetic":
                seen[a] = m
    return sorted(seen.items())


# --------------------------------------------------------------------------- exact: LP


def _solve_lp(sp: _Setup, need: float, width: float):
    """LP over the live zones; cells with a dead zone enumerated.  Returns (d | None, largest gain, notes)."""
    from scipy.optimize import linprog

    notes: list[str] = []
    n = len(sp.J)
    ok = sp.ub > 0
    has_dead = np.flatnonzero(ok & (sp.dead > 0))
    if has_dead.size > MAX_DEAD_ENUM:
        gain = sp.slope[has_dead] * np.minimum(sp.live[has_dead], sp.ub[has_dead] - sp.dead[has_dead])
        keep = has_dead[np.argsort(-gain)[:MAX_DEAD_ENUM]]
        notes.append(f"{has_dead.size} indicators sit beyond their goalposts (no gain until crossed); only the "
                     f"{MAX_DEAD_ENUM} most promising were considered")
        has_dead = keep
    free = np.flatnonzero(ok & (sp.dead == 0))
    best_total, best_d = np.inf, None
    top = 0.0
    obj = sp.cost / sp.ref
    for r in range(has_dead.size + 1):
        for subset in itertools.combinations(has_dead, r):
            sub = np.array(subset, dtype=np.int64)
            if sub.size and np.any(sp.ub[sub] <= sp.dead[sub]):
                continue
            cols = np.concatenate([free, sub])
            # live part e_j = d_j − dead_j
            e_ub = np.minimum(sp.live[cols], sp.ub[cols] - sp.dead[cols])
            fixed = float(np.sum(obj[sub] * sp.dead[sub]))
            reach = float(np.sum(sp.slope[cols] * e_ub))
            top = max(top, reach)
            if reach < need * (1 - 1e-12) or not cols.size:
                continue
            res = linprog(obj[cols], A_ub=-sp.slope[cols][None, :], b_ub=[-need],
                          bounds=list(zip(np.zeros(cols.size), e_ub)), method="highs")
            if res.status != 0:
                continue
            e = _polish(np.clip(res.x, 0.0, e_ub), sp.slope[cols], obj[cols], e_ub, need)
            total = fixed + float(obj[cols] @ e)
            if total < best_total - 1e-12:
                best_total = total
                best_d = np.zeros(n)
                best_d[cols] = e
                best_d[sub] += sp.dead[sub]
    return best_d, top, notes


def _polish(e, slope, obj, e_ub, need):
    """Close the LP's feasibility tolerance (~1e-7) exactly, with the cheapest remaining room."""
    deficit = need - float(slope @ e)
    if deficit <= 0:
        return e
    e = e.copy()
    order = np.argsort(obj / np.where(slope > 0, slope, np.inf))
    for i in order:
        if deficit <= 0 or slope[i] <= 0:
            break
        room = e_ub[i] - e[i]
        step = min(room, deficit / slope[i])
        e[i] += step
        deficit -= step * slope[i]
    return e


# --------------------------------------------------------------------------- approximate: sequential LP


def _solve_numeric(sp: _Setup, result, u: int, t: int, goal: float):
    """Bounded SLP on relative changes v_j = d_j / r_j, re-scoring through :func:`unit_scores`."""

    notes: list[str] = []
    tree = result.tree
    kr = tree.index[tree.root.id]
    J = sp.J[sp.ub > 0]
    keep = sp.ub > 0
    sign, ref, cost, ub = sp.sign[keep], sp.ref[keep], sp.cost[keep], sp.ub[keep]
    vmax = ub / ref
    ctx = _ScoreContext(result, u, t)

    def root(v, smooth=False):
        v = np.atleast_2d(v)
        xs = np.repeat(sp.x0[None, :], v.shape[0], axis=0)
        xs[:, J] = sp.x0[J] + sign * v * ref
        return ctx.scores(xs, smooth=smooth)[:, kr]

    if not J.size:
        return None, float(root(np.zeros((1, 0)))[0]), notes
    best = float(root(vmax)[0])
    if best < goal:
        return None, best, notes

    def first_reaching(v_from, v_to, smooth=False):
        return _first_reaching(lambda v: root(v, smooth=smooth), v_from, v_to, goal)

    starts = [first_reaching(np.zeros_like(vmax), vmax, smooth=True)]  # uniform push: feasible, rarely optimal
    lin = _linear_start(lambda v: root(v, smooth=True), cost, vmax, goal)
    if lin is not None:
        starts.append(first_reaching(lin, vmax, smooth=True))
    start = first_reaching(np.zeros_like(vmax), vmax)
    cands = [first_reaching(_slp(lambda v: root(v, smooth=True), cost, vmax, goal, s0), vmax) for s0 in starts]
    cand = min(cands, key=lambda v: float(cost @ v))
    if float(cost @ cand) > float(cost @ start):
        cand = start
    d = np.zeros(len(sp.J))
    d[keep] = cand * ref
    return d, best, notes


def _first_reaching(f, v_from, v_to, goal, *, rounds=4, grid=32):
    """The point nearest v_from on the segment to v_to where f ≥ goal (f non-decreasing along it).

    Batched bisection: each round evaluates ``grid`` + 1 points at once and
    keeps the bracket; 4 rounds of 32 give the step to 1e-6 of the segment.
    Assumes f(v_to) ≥ goal.
    """
    if f(v_from[None, :])[0] >= goal:
        return v_from
    lo_, hi_ = 0.0, 1.0
    for _ in range(rounds):
        mu = np.linspace(lo_, hi_, grid + 1)
        fv = f(v_from[None, :] + mu[:, None] * (v_to - v_from)[None, :])
        ok = np.flatnonzero(fv >= goal)
        if not ok.size:
            break
        i = ok[0]
        hi_ = mu[i]
        lo_ = mu[i - 1] if i > 0 else mu[0]
    return v_from + hi_ * (v_to - v_from)


def _linear_start(f, cost, vmax, goal):
    """The LP answer for f linearised over the whole box (secant slopes from 0 to vmax)."""
    from scipy.optimize import linprog

    n = vmax.size
    f0 = f(np.zeros((1, n)))[0]
    pts = np.zeros((n, n))
    pts[np.arange(n), np.arange(n)] = vmax
    g = np.maximum((f(pts) - f0) / np.where(vmax > 0, vmax, 1.0), 0.0)
    res = linprog(cost, A_ub=-g[None, :], b_ub=[-(goal - f0)], bounds=list(zip(np.zeros(n), vmax)), method="highs")
    return np.clip(res.x, 0.0, vmax) if res.status == 0 else None


def _slp(f, cost, vmax, goal, start, *, iters=40):
    """Sequential linear programming with a trust region: min cost·v s.t. f(v) ≥ goal, 0 ≤ v ≤ vmax.

    f maps (B, n) rows to (B,) and is non-decreasing in every v_j.  Each step
    linearises f at the current feasible v (batched forward differences),
    solves the LP inside the trust box, then restores feasibility along the
    segment to vmax (bisection); a cheaper point is accepted, else the box
    shrinks.  Chosen over SLSQP, whose dense-LAPACK steps are slow under
    multi-threaded BLAS and gain nothing on a linear objective.
    """
    from scipy.optimize import linprog

    def restore(v):
        return _first_reaching(f, v, vmax, goal)

    v = start.copy()
    rho = 0.5
    n = v.size
    h = 1e-7
    for _ in range(iters):
        pts = np.repeat(v[None, :], n + 1, axis=0)
        step = np.where(v + h <= vmax, h, -h)
        pts[np.arange(1, n + 1), np.arange(n)] += step
        fv = f(pts)
        g = np.maximum((fv[1:] - fv[0]) / step, 0.0)
        lb = np.maximum(v - rho * vmax, 0.0)
        ub = np.minimum(v + rho * vmax, vmax)
        if not g.any():
            break
        res = linprog(cost, A_ub=-g[None, :], b_ub=[-(goal - fv[0] + g @ v)], bounds=list(zip(lb, ub)),
                      method="highs")
        if res.status != 0:
            rho /= 2
            continue
        cand = restore(np.clip(res.x, 0.0, vmax))
        gain = float(cost @ v) - float(cost @ cand)
        if gain > 1e-12 * max(1.0, float(cost @ v)):
            v = cand
            if gain < 1e-6 * max(1.0, float(cost @ v)):  # converged: steps no longer pay
                break
            rho = min(rho * 1.5, 1.0)
        else:
            rho /= 2
        if rho < 1e-3:
            break
    return v


# =========================================================================== faithful re-scoring


class _ScoreContext:
    """Scores of one unit-year from its raw values, everything else held at the result's nominal values."""

    def __init__(self, result, u: int, t: int):
        self.r = result
        self.u, self.t = u, t
        self.info = result.norm_info
        self.row = 0 if self.info.scope == "panel" else t
        tree = result.tree
        self.leaf_pos = {n.id: j for j, n in enumerate(tree.leaves)}
        self.code = np.array([1.0 if n.direction == "benefit" else (-1.0 if n.direction == "cost" else 0.0)
                              for n in tree.leaves])
        self._rank_others: dict[int, np.ndarray] = {}
        self._topsis_pre: dict[int, tuple] = {}

    def z(self, xs: np.ndarray, smooth: bool) -> np.ndarray:
        """(B, L) z of candidate rows; unchanged cells keep their nominal z (imputed, treated, target ...)."""
        r, info, row = self.r, self.info, self.row
        z0 = r.z[self.u, self.t, :]
        x0 = r.prepared.x[self.u, self.t, :]
        out = np.repeat(z0[None, :], xs.shape[0], axis=0)
        changed = np.flatnonzero(np.any(xs != x0[None, :], axis=0) & (self.code != 0))
        if not changed.size:
            return out
        method = r.settings.normalize
        x = xs[:, changed]
        sgn = self.code[changed]
        if method == "zscore":
            zs = (sgn * x - info.centre[row, changed]) / info.spread[row, changed]
            zc = (np.clip(zs, -_ZCLIP, _ZCLIP) + _ZCLIP) / (2 * _ZCLIP)
        elif method == "rank":
            zc = np.column_stack([self._rank_z(j, self.code[j] * xs[:, j], smooth) for j in changed])
        else:
            lo, hi = info.lo[row, changed], info.hi[row, changed]
            if method == "goalpost":
                x = np.where(info.fallback[changed], x, np.clip(x, lo, hi))
            zc = np.clip(np.where(sgn > 0, x - lo, hi - x) / (hi - lo), 0.0, 1.0)
        zc = np.where(info.constant[row, changed], 0.5, zc)
        out[:, changed] = zc
        return out

    def _rank_z(self, j: int, y: np.ndarray, smooth: bool) -> np.ndarray:
        others = self._rank_others.get(j)
        if others is None:
            x = self.r.prepared.x
            s = self.code[j]
            if self.info.scope == "panel":
                col = np.array(x[:, :, j], dtype=np.float64)
                col[self.u, self.t] = np.nan
            else:
                col = np.array(x[:, self.t, j], dtype=np.float64)
                col[self.u] = np.nan
            others = np.sort(s * col[np.isfinite(col)].ravel())
            self._rank_others[j] = others
        m = others.size  # n − 1
        if m == 0:
            return np.full(y.shape, 0.5)
        if smooth:  # through (v_k, (k + ½)/m): continuous between the steps
            return np.interp(y, others, (np.arange(m) + 0.5) / m, left=0.0, right=1.0)
        less = np.searchsorted(others, y, side="left")
        leq = np.searchsorted(others, y, side="right")
        return (less + (leq - less) / 2.0) / m

    def _topsis_rows(self, k: int, cols: list[int], s: np.ndarray, w: np.ndarray) -> np.ndarray:
        """aggregate.topsis's score of this unit-year for candidate child rows s (B, k), the others fixed.

        The column norms, ideal and anti-ideal include the candidate row, as in
        the pipeline; the other rows enter through Σ (s − lo)², max and min.
        """
        r = self.r
        lo, hi = r.settings.scale
        pre = self._topsis_pre.get(k)
        if pre is None:
            o = np.array(r.scores[:, :, cols], dtype=np.float64) - lo
            o[self.u, self.t, :] = np.nan
            o = o.reshape(-1, len(cols))
            pre = (np.nansum(o * o, axis=0), np.fmax.reduce(o, axis=0), np.fmin.reduce(o, axis=0))
            self._topsis_pre[k] = pre
        sq, big, small = pre
        a = s - lo
        present = np.isfinite(a)
        norm = np.sqrt(sq + np.where(present, a * a, 0.0))
        norm = np.where(norm > 0, norm, 1.0)
        v = w * a / norm
        ideal = w * np.fmax(big, a) / norm
        anti = w * np.fmin(small, a) / norm
        dp = np.sqrt(np.where(present, (v - ideal) ** 2, 0.0).sum(axis=1))
        dm = np.sqrt(np.where(present, (v - anti) ** 2, 0.0).sum(axis=1))
        tot = dp + dm
        with np.errstate(invalid="ignore", divide="ignore"):
            c = np.where(tot > 0, dm / np.where(tot > 0, tot, 1.0), 0.5)
        wsum = w.sum()
        share = present @ (w / wsum)
        ok = (share >= r.settings.min_share - 4 * s.shape[1] * np.finfo(np.float64).eps) & (share > 0)
        return np.where(ok, np.clip(lo + c * (hi - lo), lo, hi), np.nan)

    def scores(self, xs: np.ndarray, smooth: bool = False) -> np.ndarray:
        """(B, N) node scores for candidate rows xs (B, L)."""
        r = self.r
        tree = r.tree
        lo, hi = r.settings.scale
        z = self.z(np.asarray(xs, dtype=np.float64), smooth)
        B = z.shape[0]
        out = np.repeat(r.scores[self.u, self.t, :][None, :], B, axis=0)
        for k, n in enumerate(tree.nodes):
            if n.is_leaf:
                out[:, k] = lo + z[:, self.leaf_pos[n.id]] * (hi - lo)
                continue
            cols = [tree.index[c.id] for c in n.children]
            w = np.asarray(r.weighting[n.id].for_year(self.t), dtype=np.float64)
            method, opts = _node_aggregate(n, r.settings)
            s = out[:, cols]
            if method == "topsis":  # relative to the panel: the other unit-years' child scores held fixed
                out[:, k] = self._topsis_rows(k, cols, s, w)
            elif method in ("arithmetic", "geometric"):
                out[:, k] = _mean_rows(s, w, method, lo=lo, min_share=r.settings.min_share, **opts)
            else:
                out[:, k] = agg.METHODS[method](s[:, None, :], w, lo=lo, hi=hi, min_share=r.settings.min_share,
                                                **opts)[0][:, 0]
        return out


def _node_aggregate(node, settings):
    from .pipeline import node_aggregate

    return node_aggregate(node, settings)


def _mean_rows(s, w, method, *, lo, min_share, shift=1.0):
    """aggregate.arithmetic / geometric on rows (B, k), without their per-call checks (hot loop)."""
    present = np.isfinite(s)
    wsum = w.sum()
    share = present @ (w / wsum)
    ok = (share >= min_share - 4 * s.shape[1] * np.finfo(np.float64).eps) & (share > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "arithmetic":
            v = (np.where(present, s, 0.0) @ w) / (share * wsum)
        else:
            t = np.where(present & (w > 0), np.log(np.maximum(np.where(present, s, lo) - lo, 0.0) + shift), 0.0)
            v = np.exp((t @ w) / (share * wsum)) + lo - shift
        lo_c = np.fmin.reduce(np.where(present, s, np.nan), axis=1)
        hi_c = np.fmax.reduce(np.where(present, s, np.nan), axis=1)
        v = np.clip(v, lo_c, hi_c)  # a mean lies within its children (the pipeline's hull clip)
    return np.where(ok, v, np.nan)


def unit_scores(result, *, unit: str, year: int, x: np.ndarray) -> np.ndarray:
    """(N,) node scores of ``unit`` in ``year`` if its prepared values were ``x`` (L,).

    Holds what :func:`plan` holds: weights, normalisation bounds (or z-score
    centre and spread; for ``rank`` the other values), other units' data, and
    the nominal z of every cell left unchanged.  With ``x`` equal to the
    result's own row this reproduces ``result.scores[u, t]``.
    """
    u, t = result.units.index(unit), result.years.index(year)
    return _ScoreContext(result, u, t).scores(np.asarray(x, dtype=np.float64)[None, :])[0]


# =========================================================================== presentation


def plan_frame(p: Plan, lang: str = "zh"):
    """The rows of plan-<unit>-<year>.csv: indicator, current, needed, change, measure (in ``lang``)."""
    import pandas as pd

    cols = ["indicator", "current", "needed", "change", "measure"]
    return pd.DataFrame([{"indicator": i.indicator, "current": i.current, "needed": i.needed, "change": i.change,
                          "measure": i.measure_for(lang)} for i in p.items], columns=cols)


def texts(lang: str) -> dict[str, str]:
    """The plan's words in ``lang`` (the catalogue's ``plan_`` keys; ``reason_<why>`` names why an indicator
    is held fixed, a space in ``why`` written ``_``)."""
    from .i18n import section

    return section("plan_", lang)


def reported_decimals(x: np.ndarray, most: int = 4) -> int:
    """The fewest decimals (0 … ``most``) that write every reported value of an indicator exactly."""
    v = np.asarray(x, dtype=float)
    v = v[np.isfinite(v)]
    for d in range(most + 1):
        if np.all(np.abs(v * 10.0 ** d - np.round(v * 10.0 ** d)) < 1e-6 * np.maximum(1.0, np.abs(v) * 10.0 ** d)):
            return d
    return most


def fmt(v: float) -> str:
    """A value for people: 6 significant digits, no exponent for ordinary magnitudes."""
    if not np.isfinite(v):
        return "–"
    return f"{v:,.6g}" if abs(v) < 1e6 else f"{v:,.0f}"


def headline(p: Plan, lang: str) -> list[str]:
    """The plan's one-line statements (goal, current, outcome), in ``lang``."""
    T = texts(lang)

    def fmt(v: float) -> str:  # scores as every page shows them: one decimal
        return f"{v:.1f}" if np.isfinite(v) else "–"

    goal = T["goal_rank"].format(n=int(p.goal_value)) if p.goal_kind == "rank" else \
        T["goal_score"].format(s=fmt(p.goal_value))
    lines = [goal, T["current_line"].format(s=fmt(p.current_score), r=p.current_rank)]
    if p.status == "already":
        lines.append(T["already"])
    elif p.status == "unreachable":
        lines.append(T["unreachable"].format(s=fmt(p.best_score)))
    else:
        lines.append(T["reached"].format(s=fmt(p.achieved_score), r=p.achieved_rank))
    return lines
