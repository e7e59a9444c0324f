"""Uncertainty and sensitivity analysis of a project's ranking (`evalkit sensitivity`).

The uncertain construction choices are declared in the project file::

    sensitivity:
      draws: 1000                 # N base samples of the Saltelli design: N·(d + 2) evaluations
      seed: 1
      year: 2024                  # default: the last year
      weights: {noise: 0.2}       # ± share per level (or {1: 0.2, 2: 0.1} by depth);
                                  # kind: dirichlet with concentration: 100 instead
      judgments: {steps: 1}       # AHP judgments moved ± steps positions on the 1–9 scale
      normalize: [minmax, zscore, rank]
      aggregate: [arithmetic, geometric]
      weighting: [nominal, ahp, entropy, combined]
      impute: [true, false]
      bootstrap: 200

Each choice is a factor of a Saltelli design (Saltelli et al. 2010): discrete
factors map a uniform coordinate to an option; weight noise and judgment
noise pick one of a bank of pre-drawn perturbations.  Every evaluated row is
also a Monte Carlo draw of the uncertainty analysis: per unit the median rank,
the 5–95 % rank interval and the chances of the top/bottom five; per factor
the first- and total-order Sobol indices of the mean absolute rank shift.

Speed: the discrete choices are few, so each combination is scored once with
the ordinary pipeline (``rescore``, reusing cached steps); the draws only
re-aggregate the report year, vectorised over a chunk of draws.  Draws are
streamed in chunks into a rank histogram, so memory does not grow with N.
Reproducible: the design and the banks depend only on the seed; chunks and
``jobs`` only partition the rows.

Source: OECD/JRC Handbook on Constructing Composite Indicators (2008), Step 7;
Saisana, Saltelli & Tarantola (2005) J. R. Stat. Soc. A 168:307–323;
Saltelli et al. (2010) Comput. Phys. Commun. 181:259–270; COINr ``get_sensitivity``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from ..errors import Pos, Problems, UserError, quote
from ..scheme import Scheme, Weighting
from . import sensitivity_core as core

FACTOR_KEYS = ("weights", "judgments", "normalize", "aggregate", "weighting", "impute")
KNOWN_KEYS = FACTOR_KEYS + ("draws", "seed", "year", "bootstrap", "top", "bottom")
WEIGHTING_VARIANTS = ("nominal", "ahp", "entropy", "combined", "equal")
BANK_SIZE = 1024
CHUNK = 512


@dataclass(frozen=True)
class Factor:
    name: str
    options: tuple[Any, ...]  # discrete options, or (None,) for a bank factor

    @property
    def is_bank(self) -> bool:
        return self.name in ("weights", "judgments")


@dataclass(frozen=True)
class Spec:
    draws: int = 1000
    seed: int = 1
    year: int | None = None
    noise: Mapping[int, float] | float = 0.0
    noise_kind: str = "uniform"
    concentration: float = 100.0
    judgment_steps: int = 0
    normalize: tuple[str, ...] = ()
    aggregate: tuple[str, ...] = ()
    weighting: tuple[str, ...] = ()
    impute: tuple[bool, ...] = ()
    bootstrap: int = 200
    top: int = 5
    bottom: int = 5

    def factors(self) -> list[Factor]:
        out = []
        if self._has_noise():
            out.append(Factor("weights", (None,)))
        if self.judgment_steps > 0:
            out.append(Factor("judgments", (None,)))
        for name in ("normalize", "aggregate", "weighting", "impute"):
            opts = getattr(self, name)
            if len(opts) > 1:
                out.append(Factor(name, tuple(opts)))
        return out

    def _has_noise(self) -> bool:
        if self.noise_kind == "dirichlet":
            return math.isfinite(self.concentration)
        if isinstance(self.noise, Mapping):
            return any(v > 0 for v in self.noise.values())
        return self.noise > 0

    def share_at(self, depth: int) -> float:
        if isinstance(self.noise, Mapping):
            return float(self.noise.get(depth, 0.0))
        return float(self.noise)


def read_spec(raw: Mapping[str, Any], pos: Pos, *, draws: int | None = None, seed: int | None = None) -> Spec:
    """The project's ``sensitivity:`` mapping, checked; problems located at the section."""
    problems = Problems()
    raw = dict(raw or {})
    for k in raw:
        if k not in KNOWN_KEYS:
            from ..errors import did_you_mean

            problems.add(pos, f"unknown key '{k}' in sensitivity{did_you_mean(k, KNOWN_KEYS)}", "unknown-key")
    kw: dict[str, Any] = {}

    def whole(key, value, lo=0):
        if isinstance(value, bool) or not isinstance(value, int) or value < lo:
            problems.add(pos, f"sensitivity.{key} must be a whole number >= {lo}, found {quote(value)}", "bad-value")
            return None
        return value

    for key in ("draws", "seed", "year", "bootstrap", "top", "bottom"):
        if key in raw:
            v = whole(key, raw[key], 1 if key in ("draws", "top", "bottom") else 0)
            if v is not None:
                kw[key] = v
    if draws is not None:
        kw["draws"] = draws
    if seed is not None:
        kw["seed"] = seed
    w = raw.get("weights")
    if w is not None:
        if not isinstance(w, Mapping):
            problems.add(pos, "sensitivity.weights must be a mapping like {noise: 0.2}", "bad-value")
        else:
            kind = w.get("kind", "uniform")
            if kind not in ("uniform", "dirichlet"):
                problems.add(pos, f"sensitivity.weights.kind {quote(kind)} is not one of uniform, dirichlet",
                             "bad-choice")
            kw["noise_kind"] = kind
            noise = w.get("noise", 0.0 if kind == "dirichlet" else 0.2)
            if isinstance(noise, Mapping):
                try:
                    noise = {int(k): float(v) for k, v in noise.items()}
                    bad = [v for v in noise.values() if not 0 <= v <= 1]
                except (TypeError, ValueError):
                    bad = [noise]
            else:
                try:
                    noise = float(noise)
                    bad = [] if 0 <= noise <= 1 else [noise]
                except (TypeError, ValueError):
                    bad = [noise]
            if bad:
                problems.add(pos, f"sensitivity.weights.noise must be a share in [0, 1] (or depth: share), found "
                             f"{quote(bad[0])}", "bad-value")
            else:
                kw["noise"] = noise
            if "concentration" in w:
                try:
                    c = float(w["concentration"])
                    if c <= 0:
                        raise ValueError
                    kw["concentration"] = c
                except (TypeError, ValueError):
                    problems.add(pos, "sensitivity.weights.concentration must be > 0", "bad-value")
    j = raw.get("judgments")
    if j is not None:
        steps = j.get("steps", 1) if isinstance(j, Mapping) else j
        v = whole("judgments.steps", steps, 0)
        if v is not None:
            kw["judgment_steps"] = v
    from ..project import NORMALIZE_METHODS
    from ..load.tree import AGGREGATE_METHODS

    for key, allowed in (("normalize", NORMALIZE_METHODS), ("aggregate", AGGREGATE_METHODS),
                         ("weighting", WEIGHTING_VARIANTS), ("impute", (True, False))):
        if key in raw:
            opts = raw[key]
            if not isinstance(opts, list) or not opts:
                problems.add(pos, f"sensitivity.{key} must be a list of options", "bad-value")
                continue
            bad = [o for o in opts if o not in allowed]
            if bad:
                problems.add(pos, f"sensitivity.{key} option {quote(bad[0])} is not one of "
                             f"{', '.join(map(str, allowed))}", "bad-choice")
                continue
            kw[key] = tuple(opts)
    problems.raise_if_errors()
    spec = Spec(**kw)
    if not spec.factors():
        raise UserError([problems_item(pos, "sensitivity declares no uncertain choice: add e.g. "
                                            "weights: {noise: 0.2} or normalize: [minmax, zscore, rank]",
                                       "no-factors")])
    return spec


def problems_item(pos: Pos, message: str, code: str):
    from ..errors import Problem

    return Problem(pos, message, code)


# --------------------------------------------------------------------------- variants


def variant_scheme(scheme: Scheme, tree, variant: str) -> Scheme:
    """The scheme with its weighting methods swapped: nominal | ahp | entropy | combined | equal.

    ahp: combined nodes keep only their subjective (AHP) part; combined: AHP
    nodes gain an entropy objective part (rule mdi); entropy / equal: every node.
    """
    if variant == "nominal":
        return scheme
    if variant in ("entropy", "equal"):
        return Scheme(default=Weighting(variant), ahp=scheme.ahp, nodes={}, file=scheme.file)
    nodes = {}
    for nid, w in scheme.nodes.items():
        if variant == "ahp" and w.method == "combined" and w.subjective is not None:
            nodes[nid] = w.subjective
        elif variant == "combined" and w.method == "ahp":
            nodes[nid] = Weighting("combined", subjective=w, objective=Weighting("entropy"), rule="mdi", pos=w.pos)
        else:
            nodes[nid] = w
    return replace(scheme, nodes=nodes)


def _settings_for(base_settings, factor_values: Mapping[str, Any]):
    s = base_settings
    if "normalize" in factor_values:
        s = replace(s, normalize=factor_values["normalize"])
    if "aggregate" in factor_values:
        s = replace(s, aggregate=factor_values["aggregate"])
    if "impute" in factor_values and not factor_values["impute"]:
        prep = {k: v for k, v in s.prepare.items() if k != "impute"}
        s = replace(s, prepare=prep)
    return s


# --------------------------------------------------------------------------- per-combination base


@dataclass(eq=False)
class Base:
    """One combination of discrete choices, scored once: what the draws start from."""

    leaf_scores: np.ndarray  # (U, n_nodes) report-year nominal scores of every node
    nodes: list[tuple[int, list[int], str, np.ndarray, int, Any]]  # (k, child ks, method, w, depth, nw)
    n_nodes: int
    root: int
    scale: tuple[float, float]
    min_share: float
    full: Any = None  # the Result, for nodes aggregated by TOPSIS (panel-wide)
    year_index: int = 0
    _by_node: np.ndarray | None = field(default=None, repr=False)

    def nominal_by_node(self) -> np.ndarray:
        """The report year's nominal scores node-major (n_nodes, U), contiguous per node (built once)."""
        if self._by_node is None:
            self._by_node = np.ascontiguousarray(self.leaf_scores.T)
        return self._by_node


def build_base(result, t: int) -> Base:
    tree = result.tree
    inner = []
    for node in tree.nodes:
        if node.is_leaf:
            continue
        nw = result.weighting[node.id]
        method = node.aggregate or result.settings.aggregate
        inner.append((tree.index[node.id], [tree.index[c.id] for c in node.children], method,
                      np.asarray(nw.for_year(t), float), tree.depth[node.id], nw))
    base = Base(leaf_scores=result.scores[:, t, :], nodes=inner, n_nodes=len(tree.nodes),
                root=tree.index[tree.root.id], scale=result.settings.scale, min_share=result.settings.min_share,
                full=result, year_index=t)
    base.nominal_by_node()  # built before any worker forks, shared copy-on-write
    return base


# --------------------------------------------------------------------------- batched aggregation


def aggregate_draws(s, w: np.ndarray, method: str, *, lo: float, hi: float, min_share: float,
                    shift: float = 1.0) -> np.ndarray:
    """Aggregate children for many draws at once.

    s : the k children's scores, each (D, U) (varies by draw) or (U,) (the same in
        every draw, e.g. a leaf); a (k, D, U) array works too.
    w : (D, k) local weights, rows summing to 1.  Returns (D, U).  Same formulas
    as :mod:`evalkit.aggregate` (arithmetic, geometric), each draw with its own
    weights; missing children are left out while the present ones hold at least
    ``min_share`` of the weight.  A loop over the (few) children beats a
    reduction over a short axis, and every cell's arithmetic is the same
    whatever D is, so results do not depend on how draws are chunked.
    """
    k = len(s)
    D = w.shape[0]
    U = np.shape(s[0])[-1]
    eps = 4 * k * np.finfo(float).eps
    wsum = w.sum(axis=1)[:, None]
    # Which children count as "present everywhere" depends only on the static children
    # (never on the draws of a chunk), so every cell sums the same terms in the same
    # order whatever the chunking.
    share = None                   # (D, U), only when some child can be missing
    share_full = np.zeros((D, 1))  # static children present in every cell: one number per draw
    total = np.zeros((D, U))
    tmp = np.empty((D, U))
    static = all(np.ndim(sj) == 1 for sj in s)
    lo_c = np.full(U if static else (D, U), np.nan)
    hi_c = np.full(U if static else (D, U), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        for j in range(k):
            sj = np.asarray(s[j])
            present = ~np.isnan(sj)
            wj = w[:, j][:, None]
            full = sj.ndim == 1 and bool(present.all())
            if full:
                share_full += wj / wsum
            else:
                if share is None:
                    share = np.zeros((D, U))
                share += present * (wj / wsum)
            if method == "arithmetic":
                v = sj if full else np.where(present, sj, 0.0)
            elif method == "geometric":
                v = np.where(present, np.log(np.maximum(sj - lo, 0.0) + shift), 0.0)
            else:
                raise ValueError(f"aggregate_draws: unsupported method {method!r}")
            np.multiply(v, wj, out=tmp)
            total += tmp
            np.fmin(lo_c, sj, out=lo_c)
            np.fmax(hi_c, sj, out=hi_c)
        if share is None:
            share = share_full
        else:
            share += share_full
        ok = (share >= min_share - eps) & (share > 0)
        denom = share * wsum
        score = np.divide(total, denom, out=total)
        if method == "geometric":
            np.exp(score, out=score)
            score += lo - shift
        if not ok.all():
            score[~np.broadcast_to(ok, score.shape)] = np.nan
        return np.clip(score, lo_c, hi_c, out=score)


def score_draws(base: Base, weights: Mapping[int, np.ndarray], *, n_draws: int | None = None) -> np.ndarray:
    """Root scores (D, U) of the report year for per-draw local weights ``weights[k]`` (D, k_children).

    Only what the draws change is recomputed: a node without weights of its own
    whose children are all unchanged keeps the pipeline's nominal scores (leaves
    always do).  A node's (D, U) block is dropped as soon as its parent is
    scored, so memory is a few blocks, not one per node.
    """
    D = n_draws if n_draws is not None else (next(iter(weights.values())).shape[0] if weights else 1)
    nominal = base.nominal_by_node()  # (n_nodes, U)
    lo, hi = base.scale
    cur: dict[int, np.ndarray] = {}
    for k, kids, method, w0, depth, nw in base.nodes:
        w = weights.get(k)
        if w is None and not any(c in cur for c in kids):
            continue
        if w is None:
            w = np.broadcast_to(w0, (D, len(kids)))
        if method in ("arithmetic", "geometric"):
            children = [cur.pop(c) if c in cur else nominal[c] for c in kids]
            cur[k] = aggregate_draws(children, w, method, lo=lo, hi=hi, min_share=base.min_share)
        else:  # TOPSIS, Copeland ... are relative to the other unit-years: aggregate every year, per draw
            for c in kids:
                cur.pop(c, None)
            cur[k] = _topsis_draws(base, k, kids, w, method, nw)
    if base.root in cur:
        return cur[base.root]
    return np.repeat(nominal[base.root][None, :], D, axis=0)


def _topsis_draws(base: Base, k: int, kids: list[int], w: np.ndarray, method: str = "topsis",
                  nw=None) -> np.ndarray:
    from .. import aggregate as agg
    from ..pipeline import node_aggregate

    r = base.full
    lo, hi = base.scale
    options = node_aggregate(r.tree.nodes[k], r.settings)[1]
    out = np.empty((w.shape[0], r.scores.shape[0]))
    for d in range(w.shape[0]):
        wd = w[d]
        if nw is not None and nw.per_year:  # the draw replaces the report year's weights only
            wd = np.array(nw.w, dtype=float)
            wd[base.year_index] = w[d]
        s, _ = agg.METHODS[method](r.scores[:, :, kids], wd, lo=lo, hi=hi, min_share=base.min_share, **options)
        out[d] = s[:, base.year_index]
    return out


# --------------------------------------------------------------------------- banks of perturbations


def weight_bank(base: Base, spec: Spec, *, seed: int, start: int, stop: int) -> dict[int, np.ndarray]:
    """Noisy local weights for bank entries start:stop, per inner node (seeded, chunk-independent)."""
    out = {}
    for k, kids, method, w0, depth, nw in base.nodes:
        stream = 1000 + k
        if spec.noise_kind == "dirichlet":
            out[k] = core.draw_range(core.perturb_weights_dirichlet, w0, spec.concentration, seed=seed,
                                     start=start, stop=stop, stream=stream)
        else:
            share = spec.share_at(depth + 1)  # depth of the children: level 1 = the domains
            if share > 0:
                out[k] = core.draw_range(core.perturb_weights_uniform, w0, share, seed=seed, start=start,
                                         stop=stop, stream=stream)
    return out


def judgment_bank(base: Base, spec: Spec, *, seed: int, start: int, stop: int) -> dict[int, np.ndarray]:
    """Local weights from perturbed AHP judgments (and recombined for combined nodes)."""
    from ..weight.combine import combine

    out = {}
    for k, kids, method, w0, depth, nw in base.nodes:
        details = nw.details or {}
        if "matrix" not in details or nw.ri_table is None:
            continue
        a = np.asarray(details["matrix"], float)
        n = a.shape[0]
        if n < 2:
            continue
        iu, ju = np.triu_indices(n, 1)
        vals = core.draw_range(core.perturb_judgments, a[iu, ju], seed=seed, start=start, stop=stop,
                               stream=5000 + k, steps=spec.judgment_steps)
        D = vals.shape[0]
        mats = np.ones((D, n, n))
        mats[:, iu, ju] = vals
        mats[:, ju, iu] = 1.0 / vals
        ws = _batched_principal(mats)
        if nw.method.startswith("combined"):
            o = np.asarray(details.get("objective"), float)
            if o.ndim == 2:  # per-year objective weights: the report year's
                o = o[base.year_index]
            rule = nw.method.split(":", 1)[1]
            if rule == "mdi":
                c = np.sqrt(ws * o)
                ws = c / c.sum(axis=1, keepdims=True)
            elif rule == "multiplicative":
                c = ws * o
                ws = c / c.sum(axis=1, keepdims=True)
            else:
                alpha = float(details.get("alpha", 0.5))
                ws = np.array([combine(row, o, rule=rule, alpha=alpha).w for row in ws])
        out[k] = ws
    return out


def _batched_principal(mats: np.ndarray) -> np.ndarray:
    """Principal eigenvectors (normalised, positive) of a stack of positive matrices (D, n, n)."""
    vals, vecs = np.linalg.eig(mats)
    i = np.argmax(vals.real, axis=1)
    v = np.abs(np.take_along_axis(vecs.real, i[:, None, None], axis=2)[:, :, 0])
    return v / v.sum(axis=1, keepdims=True)


# --------------------------------------------------------------------------- the run


@dataclass
class Outcome:
    robustness: pd.DataFrame
    sobol: pd.DataFrame
    factors: list[Factor]
    n_evaluations: int
    nominal_rank: np.ndarray
    year: int
    spec: Spec


_WORK: dict[str, Any] = {}


def run_sensitivity(result, spec: Spec, *, jobs: int = 1, progress: Callable[[int, int], None] | None = None,
                    chunk: int = CHUNK) -> Outcome:
    """Monte Carlo over the declared choices; returns the rank summary and the Sobol indices."""
    years = list(result.years)
    year = spec.year if spec.year is not None else years[-1]
    if year not in years:
        raise UserError([problems_item(Pos("<command line>"), f"sensitivity year {year} is not in the data "
                                       f"({years[0]}-{years[-1]})", "bad-year")])
    t = years.index(year)
    bod_nodes = [k for k, nw in result.weighting.items() if nw.method == "bod"]
    if bod_nodes:  # each unit's own LP weights: a draw would need a new LP per unit and node
        raise UserError([problems_item(result.scheme.for_node(bod_nodes[0]).pos,
                                       "sensitivity does not vary benefit-of-the-doubt nodes "
                                       f"({', '.join(bod_nodes)}); compare a bod scheme with another by "
                                       "`evalkit compare --weights` instead",
                                       "sensitivity-bod")])
    factors = spec.factors()
    d = len(factors)
    rng = np.random.default_rng(spec.seed)
    A, B, AB = core.saltelli_matrices(d, spec.draws, rng, sequence="random")
    rows = core.saltelli_rows(A, B, AB)  # (N (d + 2), d) in [0, 1)
    n_rows = rows.shape[0]

    # discrete choices -> combination index per row; banks -> entry index per row
    choice = np.zeros((n_rows, d), dtype=np.intp)
    for i, f in enumerate(factors):
        n_opt = BANK_SIZE if f.is_bank else len(f.options)
        choice[:, i] = core.index_from_uniform(rows[:, i], n_opt)
    discrete = [i for i, f in enumerate(factors) if not f.is_bank]
    combos: dict[tuple, Base] = {}
    nominal_scores = result.rank_scores()[:, t, result.tree.index[result.tree.root.id]]
    n_scored = int(np.isfinite(nominal_scores).sum())
    if n_scored < 2:  # a half-collected year: nothing to rank, so nothing to vary
        raise UserError([problems_item(Pos("<command line>"), f"sensitivity year {year}: {n_scored} unit(s) have a "
                                       "composite score (the others have insufficient data); choose another year "
                                       "(--year, or sensitivity.year in the project)", "insufficient-data")])
    nominal_rank = core.ranks_min(nominal_scores[None], axis=1)[0]

    def base_for(key: tuple) -> Base:
        if key not in combos:
            values = {factors[i].name: factors[i].options[o] for i, o in zip(discrete, key)}
            from ..pipeline import rescore

            settings = _settings_for(result.settings, values)
            scheme = variant_scheme(result.scheme, result.tree, values.get("weighting", "nominal"))
            r = rescore(result, scheme=scheme, settings=settings)
            combos[key] = build_base(r, t)
        return combos[key]

    acc = core.RankAccumulator(len(result.units), top=spec.top, bottom=spec.bottom)
    f_out = np.full(n_rows, np.nan)
    keys = [tuple(row) for row in choice[:, discrete]] if discrete else [()] * n_rows
    order = sorted(range(n_rows), key=lambda r_: keys[r_])
    w_i = next((i for i, f in enumerate(factors) if f.name == "weights"), None)
    j_i = next((i for i, f in enumerate(factors) if f.name == "judgments"), None)
    # every combination and its banks are built here, before any worker starts
    tasks = []
    work: dict[tuple, tuple] = {}
    for key, g in itertools.groupby(order, key=lambda r_: keys[r_]):
        base = base_for(key)
        wbank = weight_bank(base, spec, seed=spec.seed, start=0, stop=BANK_SIZE) if w_i is not None else {}
        jbank = judgment_bank(base, spec, seed=spec.seed, start=0, stop=BANK_SIZE) if j_i is not None else {}
        work[key] = (base, wbank, jbank)
        members = np.array(list(g))
        tasks += [(key, members[c0:c0 + chunk]) for c0 in range(0, len(members), chunk)]
    _WORK.clear()
    _WORK.update(work=work, choice=choice, w_i=w_i, j_i=j_i, nominal=nominal_rank,
                 decimals=result.settings.rank_round)
    done = 0
    for idx, ranks, f in _map(_evaluate, tasks, jobs):
        acc.update(ranks)
        f_out[idx] = f
        done += len(idx)
        if progress:
            progress(done, n_rows)
    _WORK.clear()
    summary = acc.summary(nominal_rank)
    rob = pd.DataFrame({"unit": list(result.units), "year": year})
    for col in ("nominal_rank", "median_rank", "rank_p05", "rank_p95", f"p_top{spec.top}",
                f"p_bottom{spec.bottom}"):
        rob[col] = summary[col]
    nominal = np.asarray(summary["nominal_rank"], float)  # a whole rank, as in results.csv
    rob["nominal_rank"] = pd.arrays.IntegerArray(np.nan_to_num(nominal).astype(np.int64), mask=~np.isfinite(nominal))
    rob = rob.rename(columns={f"p_top{spec.top}": "p_top5", f"p_bottom{spec.bottom}": "p_bottom5"}) \
        if (spec.top, spec.bottom) == (5, 5) else rob
    fA, fB, fAB = core.saltelli_split(f_out, d)
    S1, ST = core.sobol_first_total(fA, fB, fAB)
    ci1, ciT = core.bootstrap_ci(fA, fB, fAB, spec.bootstrap, np.random.default_rng(spec.seed + 1))
    sobol = pd.DataFrame({"factor": [f.name for f in factors],
                          "options": [", ".join(map(str, f.options)) if not f.is_bank else "" for f in factors],
                          "S1": S1, "S1_low": ci1[0], "S1_high": ci1[1],
                          "ST": ST, "ST_low": ciT[0], "ST_high": ciT[1]})
    sobol.attrs["mean_abs_rank_shift"] = float(np.nanmean(f_out))
    return Outcome(robustness=rob, sobol=sobol, factors=factors, n_evaluations=n_rows, nominal_rank=nominal_rank,
                   year=year, spec=spec)


def _evaluate(task) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ranks and mean absolute rank shift of one chunk of rows (runs in a worker with jobs > 1)."""
    key, idx = task
    base, wbank, jbank = _WORK["work"][key]
    weights = _draw_weights(base, idx, _WORK["choice"], _WORK["w_i"], _WORK["j_i"], wbank, jbank)
    s = score_draws(base, weights, n_draws=len(idx))
    if _WORK["decimals"] is not None:  # rank as results.csv does: on the rounded scores
        s = np.round(s, _WORK["decimals"])
    ranks = core.ranks_min(s, axis=1)
    return idx, ranks, core.mean_abs_rank_shift(ranks, _WORK["nominal"])


def _map(func, tasks, jobs: int):
    """Results in task order; with jobs > 1 forked workers share the prepared work (no pickling of it)."""
    if jobs <= 1 or len(tasks) <= 1:
        yield from map(func, tasks)
        return
    import multiprocessing as mp
    import os

    from ..workers import die_with_parent

    ctx = mp.get_context("fork")
    with ctx.Pool(processes=jobs, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        yield from pool.imap(func, tasks, chunksize=1)


def _draw_weights(base: Base, idx, choice, w_i, j_i, wbank, jbank) -> dict[int, np.ndarray]:
    """Local weights per inner node for the rows ``idx``: judgments first, then weight noise on top."""
    out: dict[int, np.ndarray] = {}
    for k, kids, method, w0, depth, nw in base.nodes:
        w = None
        if j_i is not None and k in jbank:
            w = jbank[k][choice[idx, j_i]]
        if w_i is not None and k in wbank:
            noisy = wbank[k][choice[idx, w_i]]
            if w is None:
                w = noisy
            else:  # the noise is a multiplicative factor around the nominal weights
                with np.errstate(invalid="ignore", divide="ignore"):
                    m = np.where(w0 > 0, noisy / np.where(w0 > 0, w0, 1), 0.0)
                w = w * m
                w = w / w.sum(axis=1, keepdims=True)
        if w is not None:
            out[k] = w
    if not out:
        out[base.nodes[-1][0]] = np.broadcast_to(base.nodes[-1][3], (len(idx), len(base.nodes[-1][1])))
    return out
