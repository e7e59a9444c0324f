"""The scoring pipeline: prepare -> normalise -> weight + aggregate per node, with a step log.

Every step records its resolved parameters in a :class:`StepRecord` whose
``key`` hashes those parameters together with the keys of the steps it reads.
:func:`rescore` replays the plan with some settings changed and reuses every
cached array whose key did not change, so a what-if on one node recomputes
only that node and its ancestors (COINr's ``Regen``, typed and keyed).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from . import aggregate as agg
from . import normalise as norm
from .errors import Pos, Problem, Problems
from .load import Inputs
from .panel import IMPUTED, PROVISIONAL, TREATED
from .prepare import derive, impute, parse_formula, screen, treat
from .ranking import ranks_min
from .project import Settings
from .scheme import AhpSettings, Scheme, Weighting
from .tree import Node, Tree
from .weight import DATA_WEIGHTINGS
from .weight.ahp import RI_TABLES, ahp, complete_harker, group_aij, matrix_from_judgments, most_inconsistent
from .weight.combine import combine


@dataclass(frozen=True, slots=True)
class StepRecord:
    step: str  # "prepare", "normalise", "weight+aggregate"
    target: str  # node id, or "*" for the whole panel
    params: Mapping[str, Any]  # resolved: every default filled in, JSON-able
    source: Pos | None  # the YAML line that asked for it
    key: str  # sha256 of params + the keys of the steps it reads


@dataclass(frozen=True, eq=False)
class NodeWeights:
    """What weighting learned at one node: local weights of its children and how."""

    node: str
    children: tuple[str, ...]
    method: str  # as in weights.csv: "entropy", "ahp", "combined:mdi", ...
    w: np.ndarray  # (n_children,) panel-wide, or (n_years, n_children) when learned per year (by: year)
    cr: float | None = None
    ri_table: str | None = None
    lambda_max: float | None = None
    ci: float | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def per_year(self) -> bool:
        """True when the weights were learned year by year (``w`` is (n_years, n_children))."""
        return np.ndim(self.w) == 2

    def for_year(self, t: int) -> np.ndarray:
        """(n_children,) the weights used in year position ``t``."""
        return self.w[t] if self.per_year else self.w


@dataclass(frozen=True, eq=False)
class Prepared:
    """The panel after derived indicators, screening, imputation and treatment."""

    x: np.ndarray  # (n_units, n_years, n_leaves) raw indicator values, prepared
    flags: np.ndarray  # uint8 like x: 1 imputed, 2 treated, 4 provisional
    units: tuple[str, ...]  # units kept (screening may drop some)
    unit_index: np.ndarray  # positions of the kept units in the input panel
    records: Mapping[str, Any]  # what each preparation step did (JSON-able summary)
    x_raw: np.ndarray  # (n_units, n_years, n_leaves) before imputation/treatment (derived computed)
    x_imputed: np.ndarray | None = None  # (n_units, n_years, n_leaves) after imputation, before treatment


@dataclass(frozen=True, eq=False)
class Result:
    """A scored project.  ``scores[u, t, k]`` is unit u, year t, node ``tree.nodes[k]``."""

    inputs: Inputs
    settings: Settings
    scheme: Scheme
    prepared: Prepared
    z: np.ndarray  # (U, Y, L) leaf scores in [0, 1]
    norm_info: Any
    scores: np.ndarray  # (U, Y, N) on the scale, NaN = missing
    present_share: np.ndarray  # (U, Y, N) share of the children's weight present
    local_weight: np.ndarray  # (N,) panel-wide; with per-year weights the mean over the years
    global_weight: np.ndarray  # (N,) likewise
    weighting: Mapping[str, NodeWeights]
    log: tuple[StepRecord, ...]
    notes: tuple[Problem, ...]
    computed: tuple[str, ...]  # node ids (re)computed by this call, for what-if checks
    cache: Mapping[str, Any] = field(repr=False, default_factory=dict)
    # (Y, N) each year's local and global weights when some node learns them per year (by: year), else None
    local_weight_year: np.ndarray | None = None
    global_weight_year: np.ndarray | None = None
    # (U, Y, N) share of each node's weight backed by reported values (not imputed, not missing)
    coverage: np.ndarray | None = None

    @property
    def per_year_weights(self) -> bool:
        return self.local_weight_year is not None

    # ------------------------------------------------------------------ labels
    @property
    def tree(self) -> Tree:
        return self.inputs.tree

    @property
    def units(self) -> tuple[str, ...]:
        return self.prepared.units

    @property
    def years(self) -> tuple[int, ...]:
        return self.inputs.panel.years

    @property
    def node_ids(self) -> tuple[str, ...]:
        return tuple(n.id for n in self.tree.nodes)

    def scores_on_scale(self) -> bool:
        """True when every score lies on the scale (not so with COINr's unclipped z-scores m + sd z)."""
        lo, hi = self.settings.scale
        tol = 1e-9 * (hi - lo)
        with np.errstate(invalid="ignore"):
            return not ((self.scores < lo - tol) | (self.scores > hi + tol)).any()

    def node_scores(self, node_id: str) -> np.ndarray:
        """(n_units, n_years) scores of one node."""
        return self.scores[:, :, self.tree.index[node_id]]

    # ------------------------------------------------------------------ derived
    def rank_scores(self) -> np.ndarray:
        """Scores as ranked: rounded to ``ranks.round`` decimals when the project asks."""
        s = self.scores
        if self.settings.rank_round is not None:
            s = np.round(s, self.settings.rank_round)
        return s

    def ranks(self, by: str | None = None) -> np.ndarray:
        """Ranks (1 = best) among units of the same year, ties sharing the best rank.

        ``by="group"``: within each unit's group.  NaN scores get NaN ranks.
        """
        s = self.rank_scores()
        if by is None:
            return rank_min(s, axis=0)
        groups = self.unit_groups()
        out = np.full(s.shape, np.nan)
        for g in np.unique(groups):
            m = groups == g
            out[m] = rank_min(s[m], axis=0)
        return out

    def unit_groups(self) -> np.ndarray:
        table = self.inputs.units.table.set_index("id")
        return pd.factorize(table.loc[list(self.units), "group"])[0]

    def insufficient(self) -> np.ndarray:
        """(U, Y) bool: no composite score for lack of data — coverage below ``report.min_coverage``, or a
        node short of ``aggregate.min_share`` of its children's weight on the way up (no score, rank or grade)."""
        root = self.tree.index[self.tree.root.id]
        return (self.coverage[:, :, root] < self.inputs.project.min_coverage - 1e-12) | \
            ~np.isfinite(self.scores[:, :, root])

    def imputed_share(self) -> np.ndarray:
        """(U, Y, N): weighted share of each node's present leaves that were imputed."""
        return self._flag_share(IMPUTED)

    def provisional(self) -> np.ndarray:
        """(U, Y, N) bool: some leaf under the node is provisional."""
        return self._flag_share(PROVISIONAL) > 0

    def _flag_share(self, bit: int) -> np.ndarray:
        tree = self.tree
        leaf_ids = tree.leaf_ids
        m = np.zeros((len(leaf_ids), len(tree.nodes)))
        gw = self.global_weight
        idx = tree.index
        for k, n in enumerate(tree.nodes):
            for leaf in tree.leaves_under(n.id):
                m[leaf_ids.index(leaf), k] = gw[idx[leaf]] if gw[idx[n.id]] > 0 else 1.0
        present = np.isfinite(self.z).astype(float)
        flagged = ((self.prepared.flags & bit) > 0).astype(float) * present
        with np.errstate(invalid="ignore", divide="ignore"):
            num = flagged @ m
            den = present @ m
            return np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)

    def grades(self) -> np.ndarray:
        """(U, Y, N) grade labels ('' without grades or score)."""
        grades = self.inputs.project.grades
        out = np.full(self.scores.shape, "", dtype=object)
        if not grades:
            return out
        s = self.scores
        assigned = np.zeros(s.shape, bool)
        for label, lower in grades:  # best first
            hit = ~assigned & (s >= lower)
            out[hit] = label
            assigned |= hit
        return out

    def to_frame(self) -> pd.DataFrame:
        """results.csv in memory: unit, year, node, score, rank, group_rank, then optional columns."""
        U, Y, N = self.scores.shape
        units = np.array(self.units, dtype=object)
        years = np.array(self.years)
        nodes = np.array(self.node_ids, dtype=object)
        uu, yy, nn = np.meshgrid(np.arange(U), np.arange(Y), np.arange(N), indexing="ij")
        df = pd.DataFrame({
            "unit": units[uu.ravel()],
            "year": years[yy.ravel()],
            "node": nodes[nn.ravel()],
            "score": self.scores.ravel(),
            "rank": _int_or_na(self.ranks().ravel()),
            "group_rank": _int_or_na(self.ranks(by="group").ravel()),
        })
        if self.inputs.project.grades:
            df["grade"] = self.grades().ravel()
        df["imputed_share"] = self.imputed_share().ravel()
        df["provisional"] = self.provisional().ravel()
        df["coverage"] = self.coverage.ravel()
        return df

    def _repr_html_(self) -> str:
        """A compact HTML summary for notebooks (title, units × years, method, top 10 of the last year)."""
        return result_html(self)

    def weights_frame(self) -> pd.DataFrame:
        """weights.csv: node, parent, method, local_weight, global_weight, cr, ri_table, year.

        ``year`` is empty when the weights are panel-wide; when some node learns its
        weights per year (``by: year``) the table has one block of rows per year.
        """
        tree = self.tree
        blocks = [("", self.local_weight, self.global_weight)] if not self.per_year_weights else \
            [(int(y), self.local_weight_year[t], self.global_weight_year[t]) for t, y in enumerate(self.years)]
        rows = []
        for year, local, glob in blocks:
            for n in tree.root.walk():
                parent = tree.parent[n.id]
                nw = self.weighting.get(parent) if parent else None
                k = tree.index[n.id]
                rows.append({
                    "node": n.id,
                    "parent": parent or "",
                    "method": nw.method if nw else "",
                    "local_weight": float(local[k]),
                    "global_weight": float(glob[k]),
                    "cr": nw.cr if (nw and nw.cr is not None) else np.nan,
                    "ri_table": nw.ri_table if (nw and nw.ri_table) else "",
                    "year": year,
                })
        df = pd.DataFrame(rows)
        if not self.per_year_weights:
            df["year"] = df["year"].astype(object)
        else:
            df["year"] = df["year"].astype("int64")
        return df


_HTML = """<div class="evalkit-result">
<strong>{{ title }}</strong>{% if synthetic %} <em>(demonstration data)</em>{% endif %}<br>
{{ n_units }} units &times; {{ n_years }} years ({{ first }}&ndash;{{ last }}), {{ n_leaves }} indicators;
normalise {{ normalize }} ({{ scope }}), aggregate {{ aggregate }}, weights {{ methods }}<br>
<table>
<caption>{{ root }}, {{ last }}: top {{ rows|length }}</caption>
<thead><tr><th>rank</th><th>unit</th><th>score</th></tr></thead>
<tbody>{% for r in rows %}<tr><td>{{ r.rank }}</td><td>{{ r.unit }}</td><td>{{ r.score }}</td></tr>{% endfor %}</tbody>
</table>
</div>"""


def result_html(result: Result, *, top: int = 10) -> str:
    """The notebook summary of a result, rendered by jinja2 with autoescape on (names come from files)."""
    import jinja2

    project = result.inputs.project
    lang = project.lang
    root = result.tree.root
    k = result.tree.index[root.id]
    s = result.scores[:, -1, k]
    r = result.ranks()[:, -1, k]
    order = [i for i in np.lexsort((np.array(result.units, dtype=object), r)) if np.isfinite(r[i])][:top]
    rows = [{"rank": int(r[i]), "unit": result.inputs.units.label(result.units[i], lang), "score": f"{s[i]:.2f}"}
            for i in order]
    methods = ", ".join(sorted({nw.method for nw in result.weighting.values()}))
    env = jinja2.Environment(autoescape=True)
    return env.from_string(_HTML).render(
        title=project.title.get(lang), synthetic=project.synthetic, n_units=len(result.units),
        n_years=len(result.years), first=result.years[0], last=result.years[-1], n_leaves=len(result.tree.leaves),
        normalize=result.settings.normalize, scope=result.settings.scope, aggregate=result.settings.aggregate,
        methods=methods, root=root.name.get(lang), rows=rows)


def _int_or_na(a: np.ndarray) -> pd.arrays.IntegerArray:
    ok = np.isfinite(a)
    return pd.arrays.IntegerArray(np.where(ok, a, 0).astype(np.int64), mask=~ok)


def rank_min(s: np.ndarray, axis: int = 0) -> np.ndarray:
    """Descending ranks along ``axis``, ties sharing the best rank (1, 2, 2, 4); NaN stays NaN."""
    return ranks_min(s, axis=axis)


def _runs(dst: list[int]) -> list[tuple[int, int, int]]:
    """(dst start, src start, length) of the runs where ``dst[i + 1] == dst[i] + 1`` (src = 0, 1, 2, ...)."""
    out: list[tuple[int, int, int]] = []
    for j, d in enumerate(dst):
        if out and out[-1][0] + out[-1][2] == d:
            out[-1] = (out[-1][0], out[-1][1], out[-1][2] + 1)
        else:
            out.append((d, j, 1))
    return out


def _key(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _inputs_digest(inputs: Inputs) -> str:
    """What preparation reads, by content (the same data gives the same key in every process):
    the panel's values, flags and labels, the units' groups and the derived indicators' formulas."""
    panel = inputs.panel
    h = hashlib.sha256()
    for a in (panel.values, panel.flags):
        h.update(np.ascontiguousarray(a).tobytes())
    groups = inputs.units.table.set_index("id")["group"].astype(str).to_dict()
    h.update(_key(panel.units, panel.years, panel.columns, groups,
                  [(n.id, n.formula) for n in inputs.tree.derived]).encode())
    return h.hexdigest()[:32]


def _relations_digest(rel) -> str:
    """The ties by content (not by object identity), so that a run's step keys are reproducible."""
    h = hashlib.sha256()
    for a in (rel.weights, rel.observed, rel.groups):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update(_key(rel.units, rel.years, [(t.id, t.directed) for t in rel.types]).encode())
    return h.hexdigest()[:32]


# =========================================================================== scoring


def score(inputs: Inputs, *, scheme: Scheme | None = None, settings: Settings | None = None,
          cache: Mapping[str, Any] | None = None) -> Result:
    """Score a loaded project.  Raises UserError for problems found while computing (AHP CR)."""
    scheme = scheme or inputs.scheme
    settings = settings or inputs.project.settings
    cache = dict(cache or {})
    problems = Problems()
    problems.extend(inputs.warnings)
    tree = inputs.tree
    log: list[StepRecord] = []

    # ---- network measures (only with a relations file): already in the panel's from_network columns
    upstream: tuple = ()
    if inputs.relations is not None:
        net_params = network_params(inputs)
        upstream = (_key("network", net_params, _relations_digest(inputs.relations)),)
        log.append(StepRecord("network", "*", net_params, inputs.project.pos.get("relations"), upstream[0]))

    # ---- prepare
    prep_params = settings.to_dict()["prepare"]
    prep_key = _key("prepare", prep_params, _inputs_digest(inputs), *upstream)
    log.append(StepRecord("prepare", "*", prep_params, inputs.project.pos.get("prepare"), prep_key))
    prepared = cache.get(prep_key)
    if prepared is None:
        prep_problems = Problems()
        prepared = prepare(inputs, settings, prep_problems)
        cache[prep_key] = prepared
        cache[prep_key + ":notes"] = tuple(prep_problems.items)
    problems.extend(cache[prep_key + ":notes"])

    # ---- normalise
    lo, hi = settings.scale
    norm_params = {"method": settings.normalize, "scope": settings.scope, "scale": [lo, hi],
                   **norm_options(settings)}
    norm_key = _key("normalise", norm_params, prep_key)
    log.append(StepRecord("normalise", "*", norm_params, inputs.project.pos.get("normalize"), norm_key))
    if norm_key in cache:
        z, info = cache[norm_key]
    else:
        z, info = normalise_leaves(tree, prepared.x, settings.normalize, settings.scope, **norm_options(settings))
        cache[norm_key] = (z, info)
    for j in info.constant_indicators:
        problems.warn(tree.leaves[j].pos, f"indicator '{tree.leaves[j].id}' is constant "
                      f"({'in some year' if settings.scope == 'year' else 'over the panel'}): every unit gets the "
                      "middle of the scale", "constant-indicator")
    if settings.normalize == "maxratio":  # a ratio to the best needs ratio-scale values
        with np.errstate(invalid="ignore"):
            negative = np.flatnonzero(np.fmin.reduce(prepared.x.reshape(-1, prepared.x.shape[2]), axis=0) < 0)
        for j in negative:
            problems.warn(tree.leaves[j].pos, f"indicator '{tree.leaves[j].id}' has values < 0: normalize maxratio "
                          "(x / max, min / x) is for values >= 0; its negative values count as 0",
                          "maxratio-negative")
    # entropy / CRITIC read direction-adjusted panel min-max z of the raw leaves
    ez_key = _key("entropy-z", prep_key)
    if ez_key in cache:
        z_panel = cache[ez_key]
    else:
        # the same computation as the leaves' own when the project normalises by panel min-max
        z_panel = z if (settings.normalize, settings.scope) == ("minmax", "panel") else \
            normalise_leaves(tree, prepared.x, "minmax", "panel")[0]
        cache[ez_key] = z_panel
    src = WeightSources(tree=tree, x=prepared.x, z_panel=z_panel, cache=cache, prep_key=prep_key)

    for node in tree.nodes:
        if not node.is_leaf and scheme.for_node(node.id).method == "bod" and node.aggregate not in (None, "arithmetic"):
            problems.add(node.pos, f"'{node.id}' has bod weights, which score each unit by its own weighted "
                         f"arithmetic mean: it cannot aggregate with {node.aggregate} (leave aggregate out)",
                         "bod-aggregate")
    if settings.unbounded_leaves():
        for node in tree.nodes:
            method = node_aggregate(node, settings)[0]
            if not node.is_leaf and method != "arithmetic":
                problems.add(node.pos if node.aggregate else inputs.project.pos.get("aggregate", node.pos),
                             f"'{node.id}' aggregates with {method}, which needs scores on the scale; z-scores "
                             "mean + sd z without a clip inside it can leave the scale: use aggregate: arithmetic "
                             "(as COINr does with n_zscore) or keep a clip", "zscore-unbounded")
        problems.raise_if_errors()

    # ---- weight + aggregate, bottom-up
    U, Y = prepared.x.shape[:2]
    N = len(tree.nodes)
    # the leaves' columns, filled once per normalisation (one vectorised scatter) and copied per call
    leaf_cols = [tree.index[lid] for lid in tree.leaf_ids]
    block = cache.get(norm_key + ":leaf-block")
    if block is None:
        block = (np.full((U, Y, N), np.nan), np.ones((U, Y, N)))
        s_leaf, present = norm.to_scale(z, lo, hi), np.isfinite(z)
        for d0, j0, n in _runs(leaf_cols):  # slices: a fancy-index scatter over the last axis is ~10x slower
            block[0][:, :, d0:d0 + n] = s_leaf[:, :, j0:j0 + n]
            block[1][:, :, d0:d0 + n] = present[:, :, j0:j0 + n]
        cache[norm_key + ":leaf-block"] = block
    scores, share = block[0].copy(), block[1].copy()
    local = np.ones(N)
    local_year: np.ndarray | None = None  # (Y, N) once some node learns its weights per year
    weighting: dict[str, NodeWeights] = {}
    keys: dict[str, str] = {}
    computed: list[str] = []
    for k, node in enumerate(tree.nodes):
        if node.is_leaf:
            keys[node.id] = _key("leaf", node.id, norm_key)
            continue
        wt = scheme.for_node(node.id)
        method, agg_options = node_aggregate(node, settings)
        params = {"weighting": wt.params(), "ahp": _ahp_settings(wt, scheme).__repr__(), "aggregate": method,
                  "min_share": settings.min_share, "scale": [lo, hi]}
        for opt, name in (("shift", "geometric_shift"), ("normalize", "topsis_normalize"), ("p", "p")):
            if opt in agg_options:
                params[name] = agg_options[opt]
        key = _key("node", node.id, params, [keys[c.id] for c in node.children], ez_key)
        keys[node.id] = key
        log.append(StepRecord("weight+aggregate", node.id, params, wt.pos if wt.pos.line else None, key))
        hit = cache.get(key)
        if hit is None:
            cols = [tree.index[c.id] for c in node.children]
            child_scores = scores[:, :, cols]
            if wt.method == "bod":  # its own aggregation: each unit's score with its own weights
                nw, s, present, node_problems = bod_node(node, wt, child_scores, (lo, hi), settings.min_share)
            else:
                nw, node_problems = weigh_node(node, wt, scheme, child_scores, src, tree, (lo, hi))
                s, present = agg.METHODS[method](child_scores, nw.w, lo=lo, hi=hi, min_share=settings.min_share,
                                                 **agg_options)
            if node_problems:
                cache[key + ":problems"] = node_problems
            hit = (nw, s, present)
            cache[key] = hit
            computed.append(node.id)
        nw, s, present = hit
        for p in cache.get(key + ":problems", ()):
            problems.items.append(p)
        weighting[node.id] = nw
        scores[:, :, k] = s
        share[:, :, k] = present
        if nw.per_year:
            if local_year is None:
                local_year = np.tile(local, (Y, 1))
            local_year[:, [tree.index[c.id] for c in node.children]] = nw.w
            # the panel summary: each child's mean weight over the years
            for c, wc in zip(node.children, nw.w.mean(axis=0)):
                local[tree.index[c.id]] = wc
        else:
            for c, wc in zip(node.children, nw.w):
                local[tree.index[c.id]] = wc
            if local_year is not None:
                local_year[:, [tree.index[c.id] for c in node.children]] = nw.w
    problems.raise_if_errors()

    gw = np.ones(N)
    for node in reversed(tree.nodes):  # root first
        p = tree.parent[node.id]
        gw[tree.index[node.id]] = local[tree.index[node.id]] * (gw[tree.index[p]] if p else 1.0)
    if settings.unbounded_leaves():
        lo_ok = np.fmin.reduce(scores, axis=None) >= lo - 1e-9 * (hi - lo)
        hi_ok = np.fmax.reduce(scores, axis=None) <= hi + 1e-9 * (hi - lo)
        if not (lo_ok and hi_ok):
            problems.warn(inputs.project.pos.get("normalize", Pos(str(inputs.project.file))),
                          f"unclipped z-scores put some scores outside the scale [{lo:g}, {hi:g}]: coupling "
                          "coordination and DEA efficiency need scores on the scale and are left out",
                          "scores-off-scale")
    gw_year = None
    if local_year is not None:
        gw_year = np.ones((Y, N))
        for node in reversed(tree.nodes):
            p = tree.parent[node.id]
            k = tree.index[node.id]
            gw_year[:, k] = local_year[:, k] * (gw_year[:, tree.index[p]] if p else 1.0)
        gw = gw_year.mean(axis=0)  # the panel summary of per-year global weights

    # coverage, and "insufficient data": a unit-year whose reported share of the weight is below
    # report.min_coverage gets no composite score (so no rank or grade: it is not ranked among the
    # others), and neither do its inner nodes below min_coverage (a domain carried over from last year)
    reported = np.isfinite(prepared.x_raw) & ((prepared.flags & IMPUTED) == 0)
    if gw_year is None:
        cov = coverage(tree, gw, reported)
    else:  # per-year weights: each year's coverage by that year's weights
        cov = np.concatenate([coverage(tree, gw_year[t], reported[:, t:t + 1]) for t in range(Y)], axis=1)
    min_cov = inputs.project.min_coverage
    inner = np.array([not n.is_leaf for n in tree.nodes])
    root = tree.index[tree.root.id]
    low_unit_year = cov[:, :, root] < min_cov - 1e-12
    low = (cov < min_cov - 1e-12) & inner & low_unit_year[:, :, None] & np.isfinite(scores)
    log.append(StepRecord("coverage", "*", {"min_coverage": min_cov, "insufficient_cells": int(low.sum())},
                          inputs.project.pos.get("report"), _key("coverage", min_cov, [keys[n.id] for n in tree.nodes])))
    if low.any():
        scores = np.where(low, np.nan, scores)

    return Result(inputs=inputs, settings=settings, scheme=scheme, prepared=prepared, z=z, norm_info=info,
                  scores=scores, present_share=share, local_weight=local, global_weight=gw, weighting=weighting,
                  log=tuple(log), notes=tuple(problems.warnings), computed=tuple(computed), cache=cache,
                  local_weight_year=local_year, global_weight_year=gw_year, coverage=cov)


def coverage(tree: Tree, global_weight: np.ndarray, reported: np.ndarray) -> np.ndarray:
    """(U, Y, N): the share of each node's weight held by leaves with a reported value.

    ::

        coverage[u, t, k] = Σ_{leaf l under k} w_l · r[u, t, l] / Σ_{leaf l under k} w_l

    with ``w_l`` the leaf's global weight and ``r`` 1 for a value as reported
    (0 when missing, imputed or carried forward).  A node whose leaves all have
    weight 0 counts its leaves equally.  Unlike the aggregation's present
    share (local, one level), this reaches down to the data: a score built
    from renormalised or imputed children has coverage < 1.  See
    docs/methods.md#coverage (OECD/JRC Handbook 2008, §4 on missing data).
    """
    leaf_ids = tree.leaf_ids
    pos = {lid: j for j, lid in enumerate(leaf_ids)}
    m = np.zeros((len(leaf_ids), len(tree.nodes)))
    for k, n in enumerate(tree.nodes):
        under = [pos[x] for x in tree.leaves_under(n.id)]
        w = np.array([global_weight[tree.index[leaf_ids[j]]] for j in under])
        if not (w.sum() > 0):
            w = np.ones(len(under))
        m[under, k] = w / w.sum()
    return np.clip(reported.astype(np.float64) @ m, 0.0, 1.0)


def rescore(result: Result, changes: Mapping[str, Any] | None = None, *, scheme: Scheme | None = None,
            settings: Settings | None = None) -> Result:
    """Re-score with changed settings, reusing every step whose key did not change.

    ``changes`` are dotted paths mirroring the YAML, checked like the files:
    ``{"weights.nodes.transport.method": "entropy", "normalize.method": "zscore"}``.
    ``scheme`` / ``settings`` replace the whole scheme or settings instead.
    """
    from .changes import apply_changes

    scheme = scheme or result.scheme
    settings = settings or result.settings
    if changes:
        scheme, settings = apply_changes(scheme, settings, result.tree, changes)
    return score(result.inputs, scheme=scheme, settings=settings, cache=result.cache)


# =========================================================================== prepare


def network_params(inputs: Inputs) -> dict[str, Any]:
    """What the network step computed: the relations, their observed years and the indicators drawn from them."""
    from .analysis.network import DAMPING

    rel = inputs.relations
    return {
        "relations": {t.id: {"directed": t.directed,
                             "years": [y for y, o in zip(rel.years, rel.observed[r]) if o]}
                      for r, t in enumerate(rel.types)},
        "indicators": {n.id: {"relation": n.from_network.relation, "measure": n.from_network.measure}
                       for n in inputs.tree.networked},
        "betweenness_distance": "1/weight", "pagerank_damping": DAMPING,
        "clustering": "onnela (undirected), fagiolo (directed)", "core": "borgatti-everett continuous",
    }


def prepare(inputs: Inputs, settings: Settings, problems: Problems) -> Prepared:
    """Derived indicators, screening, imputation and outlier treatment (COINr's order)."""
    tree, panel = inputs.tree, inputs.panel
    leaf_ids = tree.leaf_ids
    L = len(leaf_ids)
    values = np.array(panel.values[:, :, :L])
    flags = np.array(panel.flags[:, :, :L])
    records: dict[str, Any] = {}

    if tree.derived:
        formulas = [parse_formula(n.formula) for n in tree.derived]
        x_der, recs = derive(panel.values, panel.columns, formulas)
        for n, f, r, k in zip(tree.derived, formulas, recs, range(len(formulas))):
            j = leaf_ids.index(n.id)
            values[:, :, j] = x_der[:, :, k]
            # a derived cell is provisional when any of its inputs is
            used = [panel.columns.index(v) for v in f.names]
            flags[:, :, j] = np.bitwise_or.reduce(panel.flags[:, :, used] & PROVISIONAL, axis=2)
        records["derived"] = [{"indicator": n.id, "formula": n.formula,
                               "invalid_cells": int(getattr(r, "n_invalid", 0) or 0)}
                              for n, r in zip(tree.derived, recs)]
        for n, r in zip(tree.derived, recs):
            bad = int(getattr(r, "n_invalid", 0) or 0)
            if bad:
                problems.warn(n.pos, f"formula of '{n.id}' gave no valid value for {bad} cell(s) (division by zero, "
                              "log of a non-positive number ...): they are missing", "formula-invalid-cells")

    unit_index = np.arange(len(panel.units))
    units = panel.units
    prep = settings.prepare
    kept_unit_years = None
    if "screen" in prep:
        sc = prep["screen"]
        values, rec = screen(values, min_coverage_unit=sc["min_coverage_unit"],
                             min_coverage_indicator=sc["min_coverage_indicator"], by=sc["by"])
        dropped_units = [units[i] for i, _ in rec.dropped_units]
        dropped_ind = [leaf_ids[j] for j, _ in rec.dropped_indicators]
        records["screen"] = {"params": dict(sc), "dropped_units": [[units[i], c] for i, c in rec.dropped_units],
                             "dropped_indicators": [[leaf_ids[j], c] for j, c in rec.dropped_indicators],
                             "blanked_unit_years": [[units[u], panel.years[t], c]
                                                    for u, t, c in rec.blanked_unit_years]}
        for j in [leaf_ids.index(i) for i in dropped_ind]:
            values[:, :, j] = np.nan
        kept_unit_years = np.asarray(rec.unit_years_kept, bool)
        if dropped_ind:
            problems.warn(Pos(inputs.project.pos["prepare"].file, inputs.project.pos["prepare"].line),
                          f"screening set {len(dropped_ind)} indicator(s) aside for low coverage: "
                          f"{', '.join(dropped_ind)}", "screened-indicator")
        if dropped_units:
            keep = np.asarray(rec.units_kept, bool)
            unit_index = unit_index[keep]
            values, flags = values[keep], flags[keep]
            kept_unit_years = kept_unit_years[keep]
            units = tuple(u for u, k in zip(units, keep) if k)
            labels = ", ".join(inputs.units.label(u) for u in dropped_units[:10])
            problems.warn(inputs.project.pos["prepare"], f"screening dropped {len(dropped_units)} unit(s) for low "
                          f"coverage: {labels}", "screened-unit")
    x_raw = values  # impute and treat return new arrays: no copy needed
    if "impute" in prep:
        im = prep["impute"]
        groups = pd.factorize(inputs.units.table.set_index("id").loc[list(units), "group"])[0]
        per = {leaf_ids.index(k): v for k, v in im.get("indicators", {}).items() if k in leaf_ids}
        # derived indicators are computed from their inputs; they are imputed like any indicator.
        # A unit-year with no reported value at all is not imputed: its scores would be invented; nor is one
        # with fewer than report.min_coverage of its indicators (a half-collected year): it has insufficient
        # data whatever is filled in, and last year's values carried into it would only leak into the weights.
        present = np.isfinite(values)
        reported = present.any(axis=2)
        thin = reported & (present.mean(axis=2) < inputs.project.min_coverage - 1e-12)
        reported &= ~thin
        where = reported if kept_unit_years is None else (reported & kept_unit_years)
        values, flags, rec = impute(values, chain=im["chain"], per_indicator=per, groups=groups,
                                    years=list(panel.years), flags=flags, where=where)
        records["impute"] = {"params": {"chain": list(im["chain"]), "indicators": dict(im.get("indicators", {}))},
                             "cells": int(rec.n_filled),
                             "by_step": {step: int(sum(n)) for step, n in rec.filled.items()},
                             "by_indicator": {leaf_ids[j]: int(sum(n[j] for n in rec.filled.values()))
                                              for j in range(L) if any(n[j] for n in rec.filled.values())},
                             "still_missing": int(sum(rec.missing_after))}
        if thin.any():
            records["impute"]["not_imputed_unit_years"] = int(thin.sum())
    x_imputed = values
    if "treat" in prep:
        tr = prep["treat"]
        sel = np.ones(L, bool)
        if tr.get("indicators"):
            sel[:] = False
            sel[[leaf_ids.index(i) for i in tr["indicators"]]] = True
        for i in tr.get("exclude", []):
            sel[leaf_ids.index(i)] = False
        # target indicators are scored by distance to the optimum: skew says little there
        for j, leaf in enumerate(tree.leaves):
            if leaf.direction == "target":
                sel[j] = False
        values, flags, rec = treat(values, winmax=tr["winmax"], skew_thresh=tr["skew"], kurt_thresh=tr["kurt"],
                                   log_fallback=tr["log"], indicators=sel, flags=flags)
        treated = [{"indicator": leaf_ids[c.indicator], "method": c.method, "winsorised": c.nwin,
                    "skew_before": c.skew0, "kurt_before": c.kurt0,
                    "skew_after": c.skew2 if c.method == "log_ct" else c.skew1,
                    "kurt_after": c.kurt2 if c.method == "log_ct" else c.kurt1}
                   for c in rec.treated]
        records["treat"] = {"params": dict(tr), "cells": int(((flags & TREATED) > 0).sum()),
                            "columns": treated}
    return Prepared(x=values, flags=flags, units=units, unit_index=unit_index, records=records, x_raw=x_raw,
                    x_imputed=x_imputed)


# =========================================================================== normalise


def node_aggregate(node: Node, settings: Settings) -> tuple[str, dict[str, Any]]:
    """A node's aggregation method and the options passed to it (the node's own, else the project's).

    Options at their defaults are left out (TOPSIS's vector normalisation), so
    the step log of a project that does not use them is unchanged.
    """
    method = node.aggregate or settings.aggregate
    own = dict(node.aggregate_options)
    options: dict[str, Any] = {}
    if method == "geometric":  # zero handling: the node's own, else the project's
        options["shift"] = node.geometric_shift if node.geometric_shift is not None else settings.geometric_shift
    if method == "topsis":
        tn = own.get("normalize", settings.topsis_normalize)
        if tn != "vector":
            options["normalize"] = tn
    if method == "power":
        options["p"] = own.get("p", settings.power_p)
    return method, options


def leaf_meta(tree: Tree) -> dict[str, np.ndarray]:
    leaves = tree.leaves
    nan = np.nan
    return {
        "direction": np.array([n.direction for n in leaves], dtype=object),
        "target_lo": np.array([n.target[0] if n.target else nan for n in leaves]),
        "target_hi": np.array([n.target[1] if n.target else nan for n in leaves]),
        "goalpost_lo": np.array([n.goalposts[0] if n.goalposts else nan for n in leaves]),
        "goalpost_hi": np.array([n.goalposts[1] if n.goalposts else nan for n in leaves]),
    }


def normalise_leaves(tree: Tree, x: np.ndarray, method: str, scope: str, **options):
    meta = leaf_meta(tree)
    return norm.METHODS[method](x, scope=scope, **meta, **options)


def norm_options(settings: Settings) -> dict[str, Any]:
    """The normalisation's own options (rank ties, z-score ddof) where they differ from the defaults."""
    out: dict[str, Any] = {}
    if settings.normalize == "rank" and settings.ties != "average":
        out["ties"] = settings.ties
    if settings.normalize == "zscore":
        if settings.zscore_ddof != 0:
            out["ddof"] = settings.zscore_ddof
        if settings.zscore_clip != 3.0:
            out["clip"] = settings.zscore_clip
        if settings.zscore_mean_sd is not None:
            out["mean_sd"] = list(settings.zscore_mean_sd)
            out["scale"] = list(settings.scale)
    return out


# =========================================================================== weights


def _ahp_settings(wt: Weighting, scheme: Scheme) -> AhpSettings:
    if wt.method == "combined" and wt.subjective is not None:
        wt = wt.subjective
    return wt.ahp or scheme.ahp


@dataclass(eq=False)
class WeightSources:
    """What data-driven weightings read, each array built once per preparation and kept in the cache.

    ``z_panel``: direction-adjusted min–max z over the panel (entropy, CRITIC);
    :meth:`leaf_z` gives the other standardisations the variants ask for.
    """

    tree: Tree
    x: np.ndarray  # (U, Y, L) prepared raw values
    z_panel: np.ndarray  # (U, Y, L)
    cache: dict
    prep_key: str

    def leaf_z(self, scope: str = "panel", directional: bool = True) -> np.ndarray:
        """(U, Y, L) min–max z of the leaves in ``scope``; ``directional=False``: cost not turned round."""
        if scope == "panel" and directional:
            return self.z_panel
        key = _key("weights-z", scope, directional, self.prep_key)
        z = self.cache.get(key)
        if z is None:
            if directional:
                z = normalise_leaves(self.tree, self.x, "minmax", scope)[0]
            else:
                # plain (x − min)/(max − min) of every column, as published CRITIC studies compute it
                z = norm.minmax(self.x, direction=np.full(self.x.shape[2], norm.BENEFIT), scope=scope)[0]
            self.cache[key] = z
        return z


def weigh_node(node: Node, wt: Weighting, scheme: Scheme, child_scores: np.ndarray, src: WeightSources,
               tree: Tree, scale: tuple[float, float]) -> tuple[NodeWeights, list[Problem]]:
    """Local weights of a node's children by its weighting: (k,), or (Y, k) for per-year weights."""
    children = tuple(c.id for c in node.children)
    problems = Problems()
    w, info = _weights(node, wt, scheme, child_scores, src, tree, scale, problems)
    method = wt.method if wt.method != "combined" else f"combined:{wt.rule}"
    return NodeWeights(node=node.id, children=children, method=method, w=w, **info), problems.items


def _child_z(node: Node, child_scores: np.ndarray, z_leaves: np.ndarray, tree: Tree, scope: str = "panel",
             flat: bool = True) -> np.ndarray:
    """(n_obs, k): min–max z of each child, leaves from ``z_leaves``, inner children min–maxed here
    (docs/methods.md#entropy).

    ``scope="year"`` min–maxes inner children within each year (as ``z_leaves`` is then).
    """
    leaf_pos = {lid: j for j, lid in enumerate(tree.leaf_ids)}
    kids = node.children
    leaf_k = [k for k, c in enumerate(kids) if c.is_leaf]
    if len(leaf_k) == len(kids):  # one gather instead of a column-by-column stack
        # np.take keeps C order (a fancy index would not: column reductions would then sum in another order)
        out = np.take(z_leaves, [leaf_pos[c.id] for c in kids], axis=2)
        return out.reshape(-1, len(kids)) if flat else out
    out = np.empty(child_scores.shape)
    if leaf_k:
        out[:, :, leaf_k] = np.take(z_leaves, [leaf_pos[kids[k].id] for k in leaf_k], axis=2)
    axis = None if scope == "panel" else 0
    for k, c in enumerate(kids):
        if not c.is_leaf:
            s = child_scores[:, :, k]
            if axis is None:
                lo, hi = (np.nanmin(s), np.nanmax(s)) if np.isfinite(s).any() else (np.nan, np.nan)
            else:
                lo, hi = np.fmin.reduce(s, axis=0), np.fmax.reduce(s, axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                rng = hi - lo
                out[:, :, k] = np.where(rng > 0, (s - lo) / np.where(rng > 0, rng, 1), 0.0 * s)
    return out.reshape(-1, len(kids)) if flat else out


def _child_raw(node: Node, child_scores: np.ndarray, x: np.ndarray, tree: Tree, flat: bool = True) -> np.ndarray:
    leaf_pos = {lid: j for j, lid in enumerate(tree.leaf_ids)}
    cols = [x[:, :, leaf_pos[c.id]] if c.is_leaf else child_scores[:, :, k] for k, c in enumerate(node.children)]
    out = np.stack(cols, axis=2)
    return out.reshape(-1, len(cols)) if flat else out


def bod_node(node: Node, wt: Weighting, child_scores: np.ndarray, scale: tuple[float, float],
             min_share: float) -> tuple[NodeWeights, np.ndarray, np.ndarray, list[Problem]]:
    """Benefit-of-the-doubt at one node: (weights summary, scores (U, Y), present share (U, Y), problems).

    Children's scores are put on [0, 1]; a unit-year is scored when the present
    children are at least ``min_share`` of them (counted equally: the weights
    are the unit's own); a missing child counts 0.  ``by: panel`` benchmarks
    every unit-year against all unit-years, ``by: year`` against its year's.
    The summary weights (weights.csv) are each child's mean share of the
    units' scores; each unit's own weights and shares are in ``details``.
    """
    from .weight.bod import bod

    lo, hi = scale
    U, Y, k = child_scores.shape
    y = (child_scores - lo) / (hi - lo)
    present = ~np.isnan(y)
    share = present.mean(axis=2)
    ok = (share >= min_share - 4 * k * np.finfo(float).eps) & (share > 0)
    bounds = None
    if wt.share is not None:
        bounds = (np.array([wt.share[c.id][0] for c in node.children]),
                  np.array([wt.share[c.id][1] for c in node.children]))
    ci = np.full((U, Y), np.nan)
    uw = np.full((U, Y, k), np.nan)
    us = np.full((U, Y, k), np.nan)
    groups = [(slice(None), ok)] if wt.by != "year" else [(t, ok[:, t]) for t in range(Y)]
    for t, mask in groups:
        if wt.by != "year":
            rows, cols = np.nonzero(mask)
            yy = y[rows, cols]
        else:
            rows = np.flatnonzero(mask)
            cols = np.full(rows.size, t)
            yy = y[rows, t]
        if rows.size == 0:
            continue
        r = bod(yy, share=bounds)
        ci[rows, cols] = r.ci
        tot = r.w.sum(axis=1, keepdims=True)
        uw[rows, cols] = np.where(tot > 0, r.w / np.where(tot > 0, tot, 1.0), np.nan)
        us[rows, cols] = r.share
    scores = lo + np.clip(ci, 0.0, 1.0) * (hi - lo)
    mean_share = np.nanmean(us.reshape(-1, k), axis=0) if np.isfinite(us).any() else np.full(k, np.nan)
    w = mean_share / mean_share.sum() if np.isfinite(mean_share).all() and mean_share.sum() > 0 \
        else np.full(k, 1.0 / k)
    details = {"by": wt.by, "unit_weights": uw.tolist(), "unit_share": us.tolist()}
    if wt.share is not None:
        details["share"] = {c: list(v) for c, v in wt.share.items()}
    nw = NodeWeights(node=node.id, children=tuple(c.id for c in node.children), method="bod", w=w, details=details)
    return nw, scores, share, []


def _data_weights(node: Node, wt: Weighting, child_scores: np.ndarray, src: WeightSources, tree: Tree,
                  problems: Problems) -> tuple[np.ndarray, dict]:
    """A registered data-driven weighting (``DATA_WEIGHTINGS``): (w, details), panel-wide or per year.

    ``by: year`` hands the weighting each year's (n_units, k) slice (a loop over
    years, not cells) and stacks the weights to (years, k); a detail that
    differs between years becomes a list by year.  Warnings are given once,
    with the number of years they concern.
    """
    data = DATA_WEIGHTINGS[wt.method]
    per_year = wt.by == "year"
    scope = "year" if per_year else "panel"
    reads = data.reads_for(wt)
    if reads in ("z", "z_undirected"):
        values = _child_z(node, child_scores, src.leaf_z(scope, reads == "z"), tree, scope, flat=not per_year)
    elif reads == "raw":
        values = _child_raw(node, child_scores, src.x, tree, flat=not per_year)
    else:
        values = np.empty((child_scores.shape[0], child_scores.shape[1], 0) if per_year else (0, 0))
    slices = [values[:, t, :] for t in range(values.shape[1])] if per_year else [values]
    children = tuple(c.id for c in node.children)
    results = [data.weigh(v, node=node.id, children=children, settings=wt) for v in slices]
    seen: dict[str, tuple[str, int]] = {}
    for r in results:
        for code, message in r.warnings:
            first, count = seen.get(code, (message, 0))
            seen[code] = (first, count + 1)
    for code, (message, count) in seen.items():
        problems.warn(wt.pos, message + (f" (in {count} of {len(results)} years)" if per_year else ""), code)
    if not per_year:
        return results[0].w, dict(results[0].details)
    details: dict[str, Any] = {}
    for name, first in results[0].details.items():
        by_year = [r.details.get(name) for r in results]
        details[name] = first if all(v == first for v in by_year) else by_year
    details["by"] = "year"
    return np.stack([r.w for r in results]), details


def _weights(node, wt: Weighting, scheme, child_scores, src: WeightSources, tree, scale, problems):
    n = len(node.children)
    if wt.method == "equal":
        return np.full(n, 1.0 / n), {}
    if wt.method == "fixed":
        return np.array([wt.weights[c.id] for c in node.children], dtype=float), {}
    if wt.method in DATA_WEIGHTINGS:
        w, details = _data_weights(node, wt, child_scores, src, tree, problems)
        return w, ({"details": details} if details else {})
    if wt.method == "ahp":
        return _ahp_weights(node, wt, scheme, problems)
    if wt.method == "combined":
        s, sinfo = _weights(node, wt.subjective, scheme, child_scores, src, tree, scale, problems)
        o, oinfo = _weights(node, wt.objective, scheme, child_scores, src, tree, scale, problems)
        if np.ndim(o) == 2:  # per-year objective weights: combined year by year with the same s
            rs = [combine(s, row, rule=wt.rule, alpha=wt.alpha) for row in o]
            r = rs[0]
            w = np.stack([x.w for x in rs])
            fallback = next((x for x in rs if x.details.get("fallback")), None)
            combined_details = {"used": [x.details.get("used") for x in rs], "rule": wt.rule}
            if wt.rule == "linear":
                combined_details["alpha"] = wt.alpha
            if wt.rule == "game_theory":
                combined_details["alpha"] = [np.asarray(x.details["alpha"]).tolist() for x in rs]
        else:
            r = combine(s, o, rule=wt.rule, alpha=wt.alpha)
            w = r.w
            fallback = r if r.details.get("fallback") else None
            combined_details = _jsonable(dict(r.details))
        details = {"subjective": s.tolist(), "objective": o.tolist(), **combined_details}
        if fallback is not None:
            problems.warn(wt.pos, f"combined weights at '{node.id}': "
                          f"{fallback.details.get('reason', 'no common support')}; "
                          "used the linear rule instead", "combine-fallback")
        info = {k: v for k, v in sinfo.items() if k in ("cr", "ri_table", "lambda_max", "ci")}
        info["details"] = {**sinfo.get("details", {}), **details}
        return w, info
    raise ValueError(f"unknown weighting method {wt.method!r}")  # the loader checks methods


def _jsonable(d: dict) -> dict:
    return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in d.items()}


def _ahp_weights(node: Node, wt: Weighting, scheme: Scheme, problems: Problems):
    settings = wt.ahp or scheme.ahp
    names = [c.id for c in node.children]
    if len(names) > len(RI_TABLES[settings.ri]):
        problems.add(wt.pos, f"ahp at '{node.id}' compares {len(names)} children; the RI tables cover at most "
                     f"{len(RI_TABLES[settings.ri])} (split the node)", "ahp-too-large")
        return np.full(len(names), 1 / len(names)), {}

    def matrix(judgments):
        a, missing = matrix_from_judgments(names, [(j.a, j.b, j.value) for j in judgments])
        if missing.any():
            a = complete_harker(a)
        return a

    details: dict[str, Any] = {}
    if wt.experts is not None:
        mats = [matrix(e.judgments) for e in wt.experts]
        own = []
        for e, a in zip(wt.experts, mats):
            r = ahp(a, method=settings.method, ri=settings.ri)
            own.append({"expert": e.name, "cr": r.cr, "weights": r.w.tolist()})
            if r.cr - settings.max_cr > 1e-12:
                problems.warn(e.pos, f"expert '{e.name}' at '{node.id}' is inconsistent on their own: CR {r.cr:.3f} > "
                              f"max_cr {settings.max_cr:g} (RI {settings.ri}); the group matrix is what counts",
                              "expert-inconsistent")
        a = group_aij(mats, expert_weights=[e.weight for e in wt.experts])
        details["experts"] = own
        judgments = [j for e in wt.experts for j in e.judgments]
    else:
        a = matrix(wt.judgments)
        judgments = list(wt.judgments)
    r = ahp(a, method=settings.method, ri=settings.ri)
    if r.cr - settings.max_cr > 1e-12:
        worst = most_inconsistent(a, r.w, k=3)
        parts = []
        for i, j, _ in worst:
            jd = next((x for x in judgments if {x.a, x.b} == {names[i], names[j]}), None)
            if jd is not None and wt.experts is None:
                parts.append(f"{jd.text} (line {jd.pos.line})")
            else:
                parts.append(f"[{names[i]}, {names[j]}] (group value {a[i, j]:.3g})")
        problems.add(wt.pos, f"judgments at '{node.id}' are inconsistent: CR {r.cr:.3f} > max_cr {settings.max_cr:g} "
                     f"(RI {settings.ri}, n={r.n}); most out of line: {'; '.join(parts)}", "ahp-inconsistent")
    details["matrix"] = a.tolist()
    return r.w, {"cr": r.cr, "ri_table": r.ri_table, "lambda_max": r.lambda_max, "ci": r.ci, "details": details}
