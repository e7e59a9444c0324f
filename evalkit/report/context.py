"""Turn a :class:`ReportInput` into plain dicts for the templates.

Every number a page shows is computed and formatted here; the templates only
place strings.  :class:`Prepared` pivots the long tables once (per process)
into arrays indexed ``[unit, year, node]``; :func:`scorecard` and
:func:`overview` then build one page's context from them in O(nodes).
"""

from __future__ import annotations

import weakref

import math
import re
from itertools import islice
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd
from markupsafe import Markup

from ..version import __version__
from ..project import DEFAULT_MIN_COVERAGE, LOW_YEAR_COVERAGE
from ..tree import STAGES, Node
from ..unitids import unit_file_stem
from . import charts
from .charts import ALL, CITY, GROUP, Series
from .i18n import catalogue, t
from .inputs import ReportInput

DASH = "—"
MINUS = "−"

# RI tables by name (docs/methods.md#ahp), n = 1..15, for the appendix.
RI_TABLES: dict[str, tuple[float, ...]] = {
    "cn_textbook": (0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.52, 1.54, 1.56, 1.58, 1.59),
    "saaty1980": (0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59),
    "cn_xu": (0, 0, 0.52, 0.89, 1.12, 1.26, 1.36, 1.41, 1.46, 1.49, 1.52, 1.54, 1.56, 1.58, 1.59),
    "saaty2005": (0, 0, 0.52, 0.89, 1.11, 1.25, 1.35, 1.40, 1.45, 1.49, 1.52, 1.54, 1.56, 1.58, 1.59),
    "alonso_lamata2006": (0, 0, 0.5245, 0.8815, 1.1086, 1.2479, 1.3417, 1.4056, 1.4499, 1.4854, 1.5141,
                          1.5365, 1.5551, 1.5713, 1.5838),
}

PROV_LIST_MAX = 30          # provisional values listed in the appendix before "… and N more"

OPTIONAL_TABLES = ("coordination", "obstacles", "efficiency", "attainment", "robustness", "bod")


# ---------------------------------------------------------------- formatting

def ok(v: Any) -> bool:
    try:
        return v is not None and not isinstance(v, str) and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def fmt_score(v: Any, digits: int = 1) -> str:
    """A score as shown everywhere: fixed decimals, "—" when missing."""
    return f"{float(v):.{digits}f}" if ok(v) else DASH


def fmt_rank(v: Any) -> str:
    return str(int(round(float(v)))) if ok(v) else DASH


def fmt_pct(v: Any, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage."""
    return f"{100 * float(v):.{digits}f}%" if ok(v) else DASH


def fmt_raw(v: Any) -> str:
    """A raw indicator value with precision by magnitude and thousands separators."""
    if not ok(v):
        return DASH
    x = float(v)
    a = abs(x)
    if a >= 1000:
        s = f"{x:,.0f}"
    elif a >= 100:
        s = f"{x:,.1f}"
    elif a >= 1 or a == 0:
        s = f"{x:.2f}"
    else:
        s = f"{x:.3g}"
    return s.replace("-", MINUS)


def fmt_signed(v: Any, digits: int = 1) -> str:
    if not ok(v):
        return DASH
    x = round(float(v), digits)
    if x == 0:
        return f"{0:.{digits}f}"
    return ("+" if x > 0 else MINUS) + f"{abs(x):.{digits}f}"


def delta_score(cur: Any, prev: Any) -> dict:
    """Score change with arrow and css class (up = better)."""
    if not (ok(cur) and ok(prev)):
        return {"text": DASH, "arrow": "", "cls": "na"}
    d = float(cur) - float(prev)
    r = round(d, 1)
    cls = "up" if r > 0 else ("down" if r < 0 else "flat")
    arrow = {"up": "▲", "down": "▼", "flat": ""}[cls]
    return {"text": fmt_signed(d), "arrow": arrow, "cls": cls}


def delta_rank(cur: Any, prev: Any, lang: str) -> dict:
    """Rank change: ``prev − cur`` places (positive = moved up)."""
    if not (ok(cur) and ok(prev)):
        return {"text": DASH, "arrow": "", "cls": "na", "title": ""}
    d = int(round(float(prev) - float(cur)))
    if d > 0:
        return {"text": str(d), "arrow": "▲", "cls": "up", "title": t("rank_up", lang, n=d)}
    if d < 0:
        return {"text": str(-d), "arrow": "▼", "cls": "down", "title": t("rank_down", lang, n=-d)}
    return {"text": "0", "arrow": "", "cls": "flat", "title": t("rank_same", lang)}


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _truthy(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "yes", "y", "t")
    try:
        return bool(v) and not (isinstance(v, float) and math.isnan(v))
    except (TypeError, ValueError):
        return False


# ---------------------------------------------------------------- prepared arrays

@dataclass
class UnitInfo:
    id: str
    name_zh: str
    name_en: str
    group: str
    group_zh: str
    group_en: str

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else (self.name_en or self.name_zh)

    def label(self, lang: str) -> str:
        """Name and code, never the name alone (苏州 320500 / 宿州 341300); the id alone when it is the name."""
        name = self.name(lang)
        return self.id if name == self.id else f"{name} {self.id}"

    def group_name(self, lang: str) -> str:
        return self.group_zh if lang == "zh" else self.group_en


_PREPARED: "weakref.WeakKeyDictionary[ReportInput, Prepared]" = weakref.WeakKeyDictionary()


def prepared(inp: ReportInput) -> "Prepared":
    """The :class:`Prepared` arrays of ``inp``, built once per input (pages and results.xlsx share them)."""
    p = _PREPARED.get(inp)
    if p is None:
        p = _PREPARED[inp] = Prepared(inp)
    return p


class Prepared:
    """The ReportInput pivoted once into arrays ``[unit, year, node]``."""

    def __init__(self, inp: ReportInput) -> None:
        self.inp = inp
        tree = self.tree = inp.tree
        meta = inp.meta
        self.scale = tuple(float(x) for x in meta.get("scale", (0.0, 100.0)))
        self.span = self.scale[1] - self.scale[0]
        self.grades = dict(meta.get("grades") or {})
        self.synthetic = bool(meta.get("synthetic", False))
        self.title = dict(meta.get("title") or {"zh": "绩效评估", "en": "Performance evaluation"})

        u = inp.units
        cols = set(u.columns)
        self.units: list[UnitInfo] = []
        for r in u.itertuples(index=False):
            d = r._asdict()
            g = "" if pd.isna(d.get("group")) else str(d.get("group"))
            gz = d.get("group_zh") if "group_zh" in cols and not pd.isna(d.get("group_zh")) else g
            ge = d.get("group_en") if "group_en" in cols and not pd.isna(d.get("group_en")) else g
            self.units.append(UnitInfo(str(d["id"]), str(d.get("name_zh") or ""), str(d.get("name_en") or ""),
                                       g, str(gz), str(ge)))
        self.unit_ids = [x.id for x in self.units]
        self.uidx = {x: i for i, x in enumerate(self.unit_ids)}
        res = inp.results
        years = meta.get("years") or sorted(set(int(y) for y in res["year"].unique()))
        self.years = [int(y) for y in years]
        self.yidx = {y: i for i, y in enumerate(self.years)}
        self.nodes = tree.nodes
        self.nidx = tree.index
        U, Y, N = len(self.units), len(self.years), len(self.nodes)

        ui = res["unit"].astype(str).map(self.uidx)
        yi = res["year"].astype(int).map(self.yidx)
        ni = res["node"].astype(str).map(self.nidx)
        keep = ui.notna() & yi.notna() & ni.notna()
        ui, yi, ni = (s[keep].astype(int).to_numpy() for s in (ui, yi, ni))
        sub = res[keep]

        def cube(col: str) -> np.ndarray:
            a = np.full((U, Y, N), np.nan)
            if col in sub.columns:
                a[ui, yi, ni] = pd.to_numeric(sub[col], errors="coerce").to_numpy(dtype=float)
            return a

        self.score = cube("score")
        self.rank = cube("rank")
        self.grank = cube("group_rank")
        # coverage (results.csv's column; all 1 when absent) and the "insufficient data" state
        self.cov = cube("coverage") if "coverage" in sub.columns else np.ones((U, Y, N))
        self.min_coverage = float(meta.get("min_coverage", DEFAULT_MIN_COVERAGE))
        self.prov = np.zeros((U, Y, N), bool)
        if "provisional" in sub.columns:
            self.prov[ui, yi, ni] = [_truthy(v) for v in sub["provisional"]]
        root = self.nidx[tree.root.id]
        self.root = root
        cov_root = self.cov[:, :, root]
        # no composite score: coverage below min_coverage, or too little of some node's weight present
        self.insufficient = np.isnan(self.score[:, :, root])                        # (U, Y)
        self.n_insufficient = self.insufficient.sum(axis=0)                          # (Y,)
        self.median_cov = np.array([float(np.nanmedian(cov_root[:, k])) if np.isfinite(cov_root[:, k]).any()
                                    else 1.0 for k in range(Y)])                     # (Y,)
        self.grade = np.full((U, Y), "", dtype=object)
        if "grade" in sub.columns:
            at_root = ni == root
            for a, b, g in zip(ui[at_root], yi[at_root], sub["grade"].to_numpy()[at_root]):
                self.grade[a, b] = "" if (g is None or (isinstance(g, float) and math.isnan(g))) else str(g)
        elif self.grades:
            for a in range(U):
                for b in range(Y):
                    self.grade[a, b] = self.grade_of(self.score[a, b, root])

        # group structure and averages (NaN-aware; an all-missing column stays NaN)
        self.groups: list[str] = list(dict.fromkeys(x.group for x in self.units))
        self.gidx = np.array([self.groups.index(x.group) for x in self.units], dtype=int)
        self.avg_all = _nanmean(self.score, axis=0)                       # (Y, N)
        self.avg_group = np.stack([_nanmean(self.score[self.gidx == g], axis=0)
                                   for g in range(len(self.groups))]) if U else np.zeros((0, Y, N))
        self.n_ranked = np.sum(~np.isnan(self.score[:, :, root]), axis=0)  # (Y,)
        self.n_group = np.stack([np.sum(~np.isnan(self.score[self.gidx == g, :, root]), axis=0)
                                 for g in range(len(self.groups))]) if U else np.zeros((0, Y))

        # raw values and flags, leaves only
        self.leaves = tree.leaves
        self.lidx = {n.id: i for i, n in enumerate(self.leaves)}
        L = len(self.leaves)
        self.raw = np.full((U, Y, L), np.nan)
        self.f_imp = np.zeros((U, Y, L), bool)
        self.f_trt = np.zeros((U, Y, L), bool)
        self.f_prov = np.zeros((U, Y, L), bool)
        rw = inp.raw
        if rw is not None and len(rw):
            ru = rw["unit"].astype(str).map(self.uidx)
            ry = rw["year"].astype(int).map(self.yidx)
            rl = rw["indicator"].astype(str).map(self.lidx)
            k = ru.notna() & ry.notna() & rl.notna()
            a, b, c = (s[k].astype(int).to_numpy() for s in (ru, ry, rl))
            rs = rw[k]
            self.raw[a, b, c] = pd.to_numeric(rs["value"], errors="coerce").to_numpy(dtype=float)
            for col, arr in (("imputed", self.f_imp), ("treated", self.f_trt), ("provisional", self.f_prov)):
                if col in rs.columns:
                    arr[a, b, c] = [_truthy(v) for v in rs[col]]
            if "value_used" in rs.columns:
                self.used = np.full((U, Y, L), np.nan)
                self.used[a, b, c] = pd.to_numeric(rs["value_used"], errors="coerce").to_numpy(dtype=float)
        if not hasattr(self, "used"):
            self.used = None
        self.leaf_node_idx = np.array([self.nidx[n.id] for n in self.leaves], dtype=int)
        # a leaf cell is provisional when the values file says so or results.csv marks the leaf
        self.leaf_prov = self.f_prov | self.prov[:, :, self.leaf_node_idx]
        # any provisional value of the unit in the year (raw cells or any node)
        # ... and a node is provisional when results.csv says so or any leaf under it is
        for k, n in enumerate(self.nodes):
            cols = [self.lidx[x] for x in tree.leaves_under(n.id) if x in self.lidx]
            if cols:
                self.prov[:, :, k] |= self.leaf_prov[:, :, cols].any(axis=2)
        self.unit_prov = self.leaf_prov.any(axis=2) | self.prov.any(axis=2)          # (U, Y)
        self.records = _prep_records((meta.get("method") or {}).get("preparation")
                                     or (meta.get("method") or {}).get("prepare"))

        # optional tables, bucketed by (unit, year)
        self.tables: dict[str, dict[tuple[str, int], list[dict]]] = {}
        self.table_years: dict[str, dict[int, list[dict]]] = {}
        for name in OPTIONAL_TABLES:
            df = (inp.tables or {}).get(name)
            if df is None:
                continue
            by: dict[tuple[str, int], list[dict]] = {}
            by_year: dict[int, list[dict]] = {}
            for rec in df.to_dict("records"):
                key = (str(rec.get("unit")), int(rec.get("year")))
                by.setdefault(key, []).append(rec)
                by_year.setdefault(key[1], []).append(rec)
            self.tables[name] = by
            self.table_years[name] = by_year

        wt = inp.weights
        self.weights: dict[str, dict] = {}
        # per-year weights (by: year): one weights table a year; self.weights is then the last year's
        self.weights_by_year: dict[int, dict[str, dict]] = {}
        if wt is not None and len(wt):
            for rec in wt.to_dict("records"):
                self.weights[str(rec.get("node"))] = rec
                year = rec.get("year")
                if year is not None and str(year) != "" and not (isinstance(year, float) and math.isnan(year)):
                    self.weights_by_year.setdefault(int(year), {})[str(rec.get("node"))] = rec
        self._method_cache: dict[str, dict] = {}

    # -- small lookups
    def grade_of(self, s: float) -> str:
        if not ok(s) or not self.grades:
            return ""
        for g, bound in sorted(self.grades.items(), key=lambda kv: -float(kv[1])):
            if s >= float(bound):
                return str(g)
        return ""

    def node_name(self, node_id: str, lang: str) -> str:
        n = self.tree.by_id.get(node_id)
        if n is not None:
            return n.name.get(lang)
        if node_id in STAGES:
            return t(f"stage_{node_id}", lang)
        return node_id

    def unit_label(self, uid: str, lang: str) -> str:
        i = self.uidx.get(uid)
        return self.units[i].label(lang) if i is not None else uid

    def dgap(self) -> float:
        """The 15-point gap of the chain rules, on this project's scale."""
        return 15.0 * self.span / 100.0


def _nanmean(a: np.ndarray, axis: int) -> np.ndarray:
    cnt = np.sum(~np.isnan(a), axis=axis)
    tot = np.nansum(a, axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)


def _prep_records(prep: Any) -> dict[str, Mapping]:
    """Preparation records by step name, from either form the pipeline or a caller may give:
    ``{step: {params, ...}}`` (as evalkit records it) or ``[{"step": name, "params": {...}}, "name", ...]``."""
    out: dict[str, Mapping] = {}
    if isinstance(prep, Mapping):
        for k, v in prep.items():
            out[str(k)] = v if isinstance(v, Mapping) else {"value": v}
    elif isinstance(prep, (list, tuple)):
        for st in prep:
            if isinstance(st, Mapping):
                d = dict(st)
                name = str(d.pop("step", d.pop("name", "")))
                if name:
                    out[name] = d
            elif st:
                out[str(st)] = {}
    return out


IMPUTE_STEPS = ("interpolate", "carry", "group_mean", "group_median", "mean", "median", "panel_mean",
                "panel_median")


def impute_chain(p: "Prepared", indicator: str) -> tuple[str, ...]:
    """The imputation chain that ran for ``indicator`` (per-indicator override first), or ()."""
    rec = p.records.get("impute")
    if not isinstance(rec, Mapping):
        return ()
    params = rec.get("params") if isinstance(rec.get("params"), Mapping) else rec
    per = params.get("indicators") if isinstance(params.get("indicators"), Mapping) else {}
    chain = per.get(indicator, params.get("chain") or params.get("method") or ())
    if isinstance(chain, str):
        chain = (chain,)
    return tuple(str(x) for x in chain)


def impute_how(p: "Prepared", u: int, y: int, j: int) -> str:
    """Which imputation step filled cell (u, y, j): the first step of the chain with a
    candidate, judged on the values as given (each step reads the data as given,
    evalkit.prepare.impute); "" when the chain is unknown.

    interpolate: observed years on both sides; carry: any observed year of the
    unit; group_*: an observed value in the unit's group that year; mean /
    median: any unit that year; panel_*: any cell of the indicator.
    """
    chain = impute_chain(p, p.leaves[j].id)
    if not chain:
        return ""
    col = p.raw[u, :, j]
    obs = ~np.isnan(col)
    same_year = ~np.isnan(p.raw[:, y, j])
    for step in chain:
        if step == "interpolate":
            hit = obs[:y].any() and obs[y + 1:].any()
        elif step == "carry":
            hit = obs.any()
        elif step in ("group_mean", "group_median"):
            hit = bool((same_year & (p.gidx == p.gidx[u])).any())
        elif step in ("mean", "median"):
            hit = bool(same_year.any())
        elif step in ("panel_mean", "panel_median"):
            hit = bool((~np.isnan(p.raw[:, :, j])).any())
        else:                                  # a step this report does not know: name it as recorded
            return step
        if hit:
            return step
    return ""


def treat_methods(p: "Prepared") -> dict[str, str]:
    """indicator id -> treatment method ("winsorise", "log_ct") from the treat record."""
    rec = p.records.get("treat")
    out: dict[str, str] = {}
    if isinstance(rec, Mapping):
        for c in rec.get("columns") or []:
            if isinstance(c, Mapping) and c.get("indicator"):
                out[str(c["indicator"])] = str(c.get("method") or "")
    return out


def screened(p: "Prepared", lang: str, unit_id: str | None = None) -> dict:
    """What screening set aside: indicators and units dropped, unit-years blanked
    (only ``unit_id``'s when given).  ``ran`` is False without a screen record."""
    rec = p.records.get("screen")
    if not isinstance(rec, Mapping):
        return {"ran": False, "items": [], "text": t("q_no_screen", lang)}
    items = []
    for ind, cov in rec.get("dropped_indicators") or []:
        items.append(t("q_screen_ind", lang, name=p.node_name(str(ind), lang), id=str(ind), cov=fmt_pct(cov, 0)))
    units = rec.get("dropped_units") or []
    if units:
        labels = [p.unit_label(str(x[0]), lang) if str(x[0]) in p.uidx else str(x[0]) for x in units[:10]]
        more = len(units) - len(labels)
        items.append(t("q_screen_units", lang, n=len(units),
                       names=("、" if lang == "zh" else ", ").join(labels) + (t("and_more", lang, n=more) if more else "")))
    for uid, year, cov in rec.get("blanked_unit_years") or []:
        if unit_id is None or str(uid) == unit_id:
            items.append(t("q_screen_uy", lang, unit=p.unit_label(str(uid), lang), year=year, cov=fmt_pct(cov, 0)))
    if unit_id is None and len(items) > 30:
        items = items[:30] + [t("and_more", lang, n=len(items) - 30)]
    return {"ran": True, "items": items, "text": t("q_screen_none", lang) if not items else ""}


# ---------------------------------------------------------------- chain diagnosis

def diagnose_chain(stages: Mapping[str, float], averages: Mapping[str, float], *, gap: float, lang: str) -> str:
    """A plain-language reading of an input → process → output → outcome chain.

    Rules (``gap`` = 15 points on a 0–100 scale), first match wins:
    a missing stage → incomplete; input − outcome ≥ gap → strong input, weak
    outcome; outcome − input ≥ gap → efficient; spread < gap/1.5 → balanced
    (above / below the average); every stage above (below) its all-units
    average → say so and name the relatively weakest; process (output) the
    weakest relative to its average and ≥ gap/2 behind the others → process
    bottleneck (weak output); else the weakest link.  "Weakest" compares each
    stage with the all-units average of that stage (d = s − avg), since stage
    averages differ; without averages, raw scores.  A sentence on how many
    stages beat the average follows.
    """
    present = [s for s in STAGES if s in stages]
    if not present:
        return t("no_stages", lang)
    vals = {s: stages[s] for s in present}
    if any(not ok(v) for v in vals.values()) or len(present) < 2:
        return t("dx_incomplete", lang)
    out: list[str] = []
    has_avg = all(ok(averages.get(s)) for s in present)
    d = {s: vals[s] - averages[s] for s in present} if has_avg else dict(vals)
    above = sum(1 for s in present if has_avg and vals[s] > averages[s])
    mean_self = sum(vals.values()) / len(vals)
    mean_avg = sum(averages[s] for s in present) / len(present) if has_avg else None
    lo_s = min(present, key=lambda s: d[s])
    others = [d[s] for s in present if s != lo_s]
    behind = (sum(others) / len(others) - d[lo_s]) if others else 0.0
    spread = max(vals.values()) - min(vals.values())

    def weakest(key: str) -> str:
        diff = fmt_signed(d[lo_s]) if has_avg else DASH
        return t(key, lang, stage=t(f"stage_{lo_s}", lang), score=f"{vals[lo_s]:.1f}", diff=diff)

    if "input" in vals and "outcome" in vals and vals["input"] - vals["outcome"] >= gap:
        out.append(t("dx_strong_input", lang, gap=f"{vals['input'] - vals['outcome']:.1f}"))
    elif "input" in vals and "outcome" in vals and vals["outcome"] - vals["input"] >= gap:
        out.append(t("dx_efficient", lang, gap=f"{vals['outcome'] - vals['input']:.1f}"))
    elif spread < gap / 1.5:
        if mean_avg is None:
            out.append(t("dx_balanced", lang))
        else:
            out.append(t("dx_balanced_high" if mean_self >= mean_avg else "dx_balanced_low", lang))
    elif has_avg and all(d[s] >= 0 for s in present):
        out.append(weakest("dx_all_above"))
    elif has_avg and all(d[s] < 0 for s in present):
        out.append(weakest("dx_all_below"))
    elif lo_s == "process" and behind >= gap / 2:
        out.append(t("dx_process", lang))
    elif lo_s == "output" and behind >= gap / 2:
        out.append(t("dx_output", lang))
    else:
        out.append(weakest("dx_weakest"))
    if has_avg and 0 < above < len(present):
        out.append(t("dx_above_avg", lang, k=above, n=len(present)))
    elif has_avg and not out[0].startswith((t("dx_all_above", lang)[:6], t("dx_all_below", lang)[:6])):
        out.append(t("dx_above_avg", lang, k=above, n=len(present)))
    return " ".join(out) if lang == "en" else "".join(out)


# ---------------------------------------------------------------- page contexts

def coverage_banner(p: Prepared, year: int, lang: str) -> str:
    """The banner of every page of a year whose median unit coverage is low ('' otherwise)."""
    y = p.yidx.get(year)
    if y is None or not p.median_cov[y] < LOW_YEAR_COVERAGE:
        return ""
    return t("low_year_banner", lang, year=year, median=fmt_pct(p.median_cov[y], 0), k=int(p.n_insufficient[y]),
             n=len(p.units))


def _common(p: Prepared, lang: str, year: int) -> dict:
    man = p.inp.meta.get("manifest") or {}
    version = str(man.get("engine_version") or man.get("version") or man.get("evalkit") or __version__)
    return {
        "lang": lang,
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "L": catalogue(lang),
        "title": p.title.get(lang) or p.title.get("zh") or "",
        "title_zh": p.title.get("zh", ""),
        "title_en": p.title.get("en", ""),
        "synthetic": p.synthetic,
        "stamp_zh": t("synthetic_stamp", "zh"),
        "stamp_en": t("synthetic_stamp", "en"),
        "year": year,
        "year_label": t("year_n", lang, year=year),
        "scale_note": t("scale_note", lang, lo=f"{p.scale[0]:g}", hi=f"{p.scale[1]:g}"),
        "generated_by": t("generated_by", lang, version=version),
        "coverage_banner": coverage_banner(p, year, lang),
    }


def _domain_stages(domain: Node) -> list[Node]:
    """The domain's children that carry a stage, in input → outcome order."""
    kids = [c for c in domain.children if c.stage in STAGES]
    return sorted(kids, key=lambda c: STAGES.index(c.stage))


def scorecard(p: Prepared, unit_id: str, year: int, lang: str) -> dict:
    """Everything one city's page shows, formatted."""
    assert unit_id in p.uidx, unit_id
    u = p.uidx[unit_id]
    y = p.yidx[year]
    info = p.units[u]
    g = int(p.gidx[u])
    tree = p.tree
    root = p.root
    S = p.score[u, y]
    R = p.rank[u, y]
    GR = p.grank[u, y]
    prev = y - 1 if y > 0 else None
    Sp = p.score[u, prev] if prev is not None else None
    Rp = p.rank[u, prev] if prev is not None else None
    lo, hi = p.scale
    city = info.label(lang)
    group_name = info.group_name(lang)
    ctx = _common(p, lang, year)
    ctx["unit"] = {
        "id": info.id, "name_zh": info.name_zh, "name_en": info.name_en, "label": city,
        "group": group_name, "group_zh": info.group_zh, "group_en": info.group_en,
    }
    ctx["page_title"] = f"{city} · {ctx['year_label']} · {ctx['title']}"
    ctx["root_id"] = tree.root.id

    def ch_s(i: int) -> dict:
        return delta_score(S[i], Sp[i] if Sp is not None else None)

    def ch_r(i: int) -> dict:
        return delta_rank(R[i], Rp[i] if Rp is not None else None, lang)

    n_all = int(p.n_ranked[y])
    n_grp = int(p.n_group[g, y]) if len(p.n_group) else 0
    n_out = int(p.n_insufficient[y])
    cov = p.cov[u, y, root]
    ctx["insufficient"] = insufficient_context(p, u, y, lang, city) if p.insufficient[u, y] else None
    ctx["headline"] = {
        "score": t("insufficient", lang) if p.insufficient[u, y] else fmt_score(S[root]),
        "insufficient": bool(p.insufficient[u, y]),
        "coverage": t("coverage_beside", lang, cov=fmt_pct(cov)) if ok(cov) and cov < 1 - 1e-9 else "",
        "grade": p.grade[u, y] or DASH,
        "has_grade": bool(p.grades) or "grade" in p.inp.results.columns,
        "rank": fmt_rank(R[root]),
        "n": n_all,
        "rank_label": t("not_ranked", lang) if p.insufficient[u, y] else
        t("rank_eligible", lang, n=n_all, k=n_out) if n_out else t("rank_all", lang, n=n_all),
        "group_rank": fmt_rank(GR[root]),
        "group_n": n_grp,
        "group_rank_label": t("not_ranked", lang) if p.insufficient[u, y] else
        t("rank_group", lang, group=group_name, n=n_grp),
        "d_score": ch_s(root),
        "d_rank": ch_r(root),
        "has_previous": prev is not None,
        # editions (2018 -> 2022): the change is since the previous edition, and says which
        "change_label": t("change_since", lang, prev=p.years[prev]) if prev is not None and
        p.years[prev] != year - 1 else t("change", lang),
        "provisional": bool(p.prov[u, y].any() or p.f_prov[u, y].any()),
        "avg_all": fmt_score(p.avg_all[y, root]),
        "avg_group": fmt_score(p.avg_group[g, y, root]),
        "group_avg_label": t("group_avg", lang, group=group_name),
    }

    # domains
    doms = tree.domains
    didx = [p.nidx[d.id] for d in doms]
    dnames = [d.name.get(lang) for d in doms]
    ctx["domains"] = [{
        "id": d.id, "name": dnames[k], "score": fmt_score(S[i]), "rank": fmt_rank(R[i]),
        "group_rank": fmt_rank(GR[i]),
        "avg_group": fmt_score(p.avg_group[g, y, i]), "avg_all": fmt_score(p.avg_all[y, i]),
        "vs_all": delta_score(S[i], p.avg_all[y, i]),
        "d_score": ch_s(i), "d_rank": ch_r(i), "provisional": bool(p.prov[u, y, i]),
    } for k, (d, i) in enumerate(zip(doms, didx))]
    pl = t("prov_mark", lang)
    ser = [Series(t("this_city", lang), [S[i] for i in didx], CITY, provisional=[bool(p.prov[u, y, i]) for i in didx]),
           Series(t("group_avg", lang, group=group_name), [p.avg_group[g, y, i] for i in didx], GROUP, "5 3",
                  "square"),
           Series(t("all_avg", lang), [p.avg_all[y, i] for i in didx], ALL, "2 3", "diamond")]
    ctx["radar"] = charts.radar(dnames, ser, lo=lo, hi=hi, title=t("radar_title", lang, city=city),
                                desc=t("radar_desc", lang, city=city, year=year), uid="radar",
                                prov_label=pl) if len(doms) >= 3 else None
    ctx["domain_bars"] = charts.grouped_bars(dnames, ser, lo=lo, hi=hi, title=t("bars_title", lang, city=city),
                                             desc=t("radar_desc", lang, city=city, year=year),
                                             width=max(420, 100 * len(doms)), uid="dbars",
                                             prov_label=t("prov_mark_bar", lang))

    # full-process chains
    chains = []
    for d in doms:
        st = _domain_stages(d)
        if not st:
            continue
        idx = [p.nidx[s.id] for s in st]
        vals = {s.stage: S[i] for s, i in zip(st, idx)}
        avgs = {s.stage: p.avg_all[y, i] for s, i in zip(st, idx)}
        labels = [t(f"stage_{s.stage}", lang) for s in st]
        cs = [Series(t("this_city", lang), [S[i] for i in idx], CITY, provisional=[bool(p.prov[u, y, i]) for i in idx]),
              Series(t("all_avg", lang), [p.avg_all[y, i] for i in idx], ALL, "2 3", "diamond")]
        chains.append({
            "id": d.id,
            "name": d.name.get(lang),
            "stages": [{"id": s.id, "stage": s.stage, "label": labels[k], "name": s.name.get(lang),
                        "score": fmt_score(S[i]), "avg": fmt_score(p.avg_all[y, i]),
                        "vs_avg": delta_score(S[i], p.avg_all[y, i]), "rank": fmt_rank(R[i]),
                        "d_score": ch_s(i)}
                       for k, (s, i) in enumerate(zip(st, idx))],
            "chart": charts.grouped_bars(labels, cs, lo=lo, hi=hi,
                                         title=t("chain_title", lang, domain=d.name.get(lang)),
                                         desc=t("chain_desc", lang), width=440, height=200,
                                         uid=f"chain-{_safe(d.id)}", prov_label=t("prov_mark_bar", lang)),
            "reading": diagnose_chain(vals, avgs, gap=p.dgap(), lang=lang),
        })
    ctx["chains"] = chains

    # trends: every year of the data up to the report year
    ys = list(range(0, y + 1))
    if len(ys) >= 2:
        tser = [Series(t("composite", lang), [p.score[u, k, root] for k in ys], CITY,
                       provisional=[bool(p.prov[u, k, root]) for k in ys])]
        for k, (d, i) in enumerate(zip(doms, didx)):
            col = charts.PALETTE[(k + 1) % len(charts.PALETTE)]
            tser.append(Series(d.name.get(lang), [p.score[u, j, i] for j in ys], col,
                               ("4 2", "1 2", "6 2 1 2", "")[k % 4], ("square", "diamond", "circle")[k % 3],
                               provisional=[bool(p.prov[u, j, i]) for j in ys]))
        ctx["trend"] = charts.lines([p.years[k] for k in ys], tser, lo=lo, hi=hi,
                                    title=t("trend_title", lang, city=city),
                                    desc=t("trend_desc", lang, first=p.years[ys[0]], last=p.years[ys[-1]]),
                                    width=900, height=260, uid="trend", prov_label=pl)
    else:
        ctx["trend"] = None
    ctx["trend_rows"] = [{"year": p.years[k], "score": fmt_score(p.score[u, k, root]),
                          "rank": fmt_rank(p.rank[u, k, root]), "provisional": bool(p.prov[u, k, root]),
                          "domains": [fmt_score(p.score[u, k, i]) for i in didx]} for k in ys]
    ctx["domain_names"] = dnames

    # strengths and weaknesses (normalised leaf score vs the all-units average)
    li = p.leaf_node_idx
    ls = S[li]
    gaps = ls - p.avg_all[y, li]
    order = [j for j in np.argsort(-np.nan_to_num(gaps, nan=-np.inf)) if ok(gaps[j])]

    def leaf_row(j: int) -> dict:
        n = p.leaves[j]
        i = li[j]
        return {"id": n.id, "name": n.name.get(lang), "domain": p.node_name(tree.domain_of(n.id) or "", lang),
                "raw": fmt_raw(p.raw[u, y, j]), "measure": n.unit_for(lang), "score": fmt_score(S[i]),
                "avg": fmt_score(p.avg_all[y, i]), "gap": fmt_signed(gaps[j]), "rank": fmt_rank(R[i])}

    ctx["strengths"] = [leaf_row(j) for j in islice((j for j in order if gaps[j] > 0), 5)]
    ctx["weaknesses"] = [leaf_row(j) for j in islice((j for j in reversed(order) if gaps[j] < 0), 5)]

    # the full indicator table, grouped by domain and stage
    ctx["indicator_groups"] = _indicator_groups(p, u, y, lang)
    ctx["flag_legend"] = [{"code": c, "short": t(f"flag_{c}", lang), "long": t(f"flag_{c}_long", lang)}
                          for c in ("missing", "imputed", "treated", "provisional")]
    ctx["method"] = method_context(p, lang, year)
    ctx["quality"] = unit_quality(p, u, y, lang)

    # optional analysis sections
    ctx["coordination"] = _coordination(p, unit_id, year, lang)
    ctx["obstacles"] = _obstacles(p, unit_id, year, lang, city)
    ctx["efficiency"] = _efficiency(p, unit_id, year, lang)
    ctx["bod"] = _bod(p, unit_id, year, lang)
    ctx["attainment"] = _attainment(p, unit_id, year, lang)
    ctx["robustness"] = _robustness(p, unit_id, year, lang, city, n_all)
    return ctx


def insufficient_context(p: Prepared, u: int, y: int, lang: str, city: str) -> dict:
    """What the top of an insufficient-data scorecard says: the coverage, by domain, and what is missing."""
    doms = p.tree.domains
    cov = p.cov[u, y]
    sep = "；" if lang == "zh" else "; "
    items = sep.join(f"{d.name.get(lang)} {fmt_pct(cov[p.nidx[d.id]], 0)}" for d in doms)
    missing = [d.name.get(lang) for d in doms if not cov[p.nidx[d.id]] > 0]
    below = ok(cov[p.root]) and cov[p.root] < p.min_coverage - 1e-12
    share = ((p.inp.meta.get("method") or {}).get("aggregate") or {}).get("min_share", 2 / 3)
    return {
        "head": t("insufficient_head", lang),
        "text": t("insufficient_text", lang, city=city, year=p.years[y], cov=fmt_pct(cov[p.root]),
                  min=fmt_pct(p.min_coverage, 0)) if below else
        t("insufficient_share", lang, city=city, year=p.years[y], cov=fmt_pct(cov[p.root]), share=fmt_pct(share, 0)),
        "domains": t("insufficient_domains", lang, items=items) if doms else "",
        "missing": t("insufficient_missing", lang, names=("、" if lang == "zh" else ", ").join(missing))
        if missing else "",
        "coverage": fmt_pct(cov[p.root]),
    }


def unit_quality(p: Prepared, u: int, y: int, lang: str) -> dict:
    """The scorecard's data-quality section for unit ``u`` up to year index ``y``.

    Per domain × year: the shares of the unit's indicator cells reported (a value
    as given), imputed, treated and provisional (each over the domain's leaves);
    for the report year the imputed and treated cells with how (imputation step
    re-derived from the recorded chain, treatment method from the treat record)
    and the provisional ones; and what screening set aside.
    """
    tree = p.tree
    years = list(range(0, y + 1))
    rows = []
    groups = [(d.name.get(lang), [p.lidx[n] for n in tree.leaves_under(d.id)]) for d in tree.domains]
    groups.append((t("total", lang), list(range(len(p.leaves)))))
    for k, (name, cols) in enumerate(groups):
        cells = []
        n = max(len(cols), 1)
        # counts for every year at once (one reduction per flag, not one per year)
        rep_y = (~np.isnan(p.raw[u, : y + 1][:, cols])).sum(axis=1)
        imp_y = p.f_imp[u, : y + 1][:, cols].sum(axis=1)
        trt_y = p.f_trt[u, : y + 1][:, cols].sum(axis=1)
        prv_y = p.leaf_prov[u, : y + 1][:, cols].sum(axis=1)
        for j in years:
            rep, imp, trt, prv = int(rep_y[j]), int(imp_y[j]), int(trt_y[j]), int(prv_y[j])
            cells.append({"year": p.years[j], "reported": fmt_pct(rep / n, 0), "full": rep == len(cols),
                          "imputed": fmt_pct(imp / n, 0) if imp else "", "treated": fmt_pct(trt / n, 0) if trt else "",
                          "provisional": fmt_pct(prv / n, 0) if prv else ""})
        rows.append({"name": name, "cells": cells, "total": k == len(groups) - 1})
    tm = treat_methods(p)
    imputed, treated, prov = [], [], []
    for j, n in enumerate(p.leaves):
        name = n.name.get(lang)
        dom = p.node_name(tree.domain_of(n.id) or "", lang)
        used = p.used[u, y, j] if p.used is not None else math.nan
        if p.f_imp[u, y, j]:
            how = impute_how(p, u, y, j)
            imputed.append({"name": name, "domain": dom, "how": t(f"how_{how}", lang) if how in IMPUTE_STEPS
                            else (how or t("how_unknown", lang)), "value": fmt_raw(used), "measure": n.unit_for(lang)})
        if p.f_trt[u, y, j]:
            how = tm.get(n.id, "")
            treated.append({"name": name, "domain": dom,
                            "how": t(f"how_{how}", lang) if how in ("winsorise", "log_ct") else (how or t("how_unknown", lang)),
                            "raw": fmt_raw(p.raw[u, y, j]), "measure": n.unit_for(lang),
                            "value": fmt_raw(used) + (t("log_scale", lang) if how == "log_ct" and ok(used) else "")})
        if p.leaf_prov[u, y, j]:
            prov.append({"name": name, "domain": dom, "where": f"（{dom}）" if lang == "zh" else f" ({dom})",
                         "raw": fmt_raw(p.raw[u, y, j]), "measure": n.unit_for(lang)})
    return {"years": [p.years[j] for j in years], "rows": rows, "imputed": imputed, "treated": treated,
            "provisional": prov, "screen": screened(p, lang, p.unit_ids[u]), "has_used": p.used is not None,
            "legend": t("q_unit_legend", lang), "t_imputed": t("q_imputed_cells", lang, year=p.years[y]),
            "t_treated": t("q_treated_cells", lang, year=p.years[y]), "t_prov": t("q_prov_cells", lang, year=p.years[y])}


def _safe(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", s)


def _indicator_groups(p: Prepared, u: int, y: int, lang: str) -> list[dict]:
    tree = p.tree
    S, R = p.score[u, y], p.rank[u, y]
    Sp = p.score[u, y - 1] if y > 0 else None
    groups = []
    for d in tree.domains:
        blocks: list[tuple[str, list[Node]]] = []
        stage_nodes = _domain_stages(d)
        covered: set[str] = set()
        for s in stage_nodes:
            leaves = [n for n in s.walk() if n.is_leaf]
            covered.update(n.id for n in leaves)
            blocks.append((f"{t('stage_' + s.stage, lang)} · {s.name.get(lang)}"
                           if s.name.get(lang) != t("stage_" + s.stage, lang) else t("stage_" + s.stage, lang),
                           leaves))
        rest = [n for n in d.walk() if n.is_leaf and n.id not in covered]
        if rest:
            blocks.append((t("no_stage", lang) if stage_nodes else "", rest))
        out_blocks = []
        for label, leaves in blocks:
            rows = []
            for n in leaves:
                j = p.lidx[n.id]
                i = p.nidx[n.id]
                flags = []
                if not ok(p.raw[u, y, j]):
                    flags.append("missing")
                if p.f_imp[u, y, j]:
                    flags.append("imputed")
                if p.f_trt[u, y, j]:
                    flags.append("treated")
                if p.f_prov[u, y, j] or p.prov[u, y, i]:
                    flags.append("provisional")
                rows.append({"id": n.id, "name": n.name.get(lang), "raw": fmt_raw(p.raw[u, y, j]),
                             "measure": n.unit_for(lang), "score": fmt_score(S[i]), "rank": fmt_rank(R[i]),
                             "d_score": delta_score(S[i], Sp[i] if Sp is not None else None),
                             "flags": [{"code": f, "short": t(f"flag_{f}", lang), "long": t(f"flag_{f}_long", lang)}
                                       for f in flags]})
            out_blocks.append({"label": label, "rows": rows})
        groups.append({"id": d.id, "name": d.name.get(lang), "score": fmt_score(S[p.nidx[d.id]]),
                       "blocks": out_blocks})
    return groups


def method_context(p: Prepared, lang: str, year: int | None = None) -> dict:
    """The methodology appendix (the same on every page of a run; cached)."""
    if lang in p._method_cache:
        return p._method_cache[lang]
    meta = p.inp.meta
    m = dict(meta.get("method") or {})
    norm = dict(m.pop("normalize", None) or m.pop("normalise", None) or {})
    agg = dict(m.pop("aggregate", None) or {})
    scheme = m.pop("weights", None) or m.pop("weights_file", None) or m.pop("scheme", None)
    prep = m.pop("preparation", None) or m.pop("prepare", None) or []
    weighting = m.pop("weighting", None) or m.pop("nodes", None) or {}
    scope = str(norm.pop("scope", "panel")) if norm else ""
    scope_text = {"panel": t("m_scope_panel", lang), "year": t("m_scope_year", lang)}.get(scope, scope)
    overrides = [f"{n.name.get(lang)}: {n.aggregate}" for n in p.tree.nodes if n.aggregate]

    def kv(d: Mapping) -> str:
        return "; ".join(f"{k}={_plain(v)}" for k, v in d.items() if v not in (None, "", [], {}))

    prep_rows = []
    if isinstance(prep, Mapping):      # {step: {params: {...}, cells: n, ...}} as the pipeline records it
        for name, rec in prep.items():
            if isinstance(rec, Mapping):
                rec = dict(rec)
                params = rec.pop("params", {})
                facts = {k: v for k, v in rec.items() if isinstance(v, (int, float, str)) and not isinstance(v, bool)}
                text = "; ".join(x for x in (kv(params) if isinstance(params, Mapping) else _plain(params), kv(facts))
                                 if x)
            else:
                text = _plain(rec)
            prep_rows.append({"step": str(name), "target": "", "params": text})
        prep = []
    for st in prep if isinstance(prep, (list, tuple)) else [prep]:
        if isinstance(st, Mapping):
            d = dict(st)
            name = str(d.pop("step", d.pop("name", "")))
            target = d.pop("target", "")
            params = d.pop("params", d)
            prep_rows.append({"step": name, "target": str(target or ""),
                              "params": kv(params) if isinstance(params, Mapping) else str(params)})
        else:
            prep_rows.append({"step": str(st), "target": "", "params": ""})

    weights = []
    ri_used: list[str] = []
    year_weights = p.weights_by_year.get(int(year), p.weights) if year is not None else p.weights
    for n in p.tree.root.walk():
        w = year_weights.get(n.id, {})
        ri = w.get("ri_table")
        ri = "" if ri is None or (isinstance(ri, float) and math.isnan(ri)) else str(ri)
        if ri and ri not in ri_used:
            ri_used.append(ri)
        parent = p.tree.parent.get(n.id)
        method = w.get("method")
        weights.append({
            "id": n.id, "name": n.name.get(lang), "depth": p.tree.depth[n.id], "leaf": n.is_leaf,
            "parent": p.node_name(parent, lang) if parent else "",
            "method": "" if method is None or (isinstance(method, float) and math.isnan(method)) else str(method),
            "local": _fmt_w(w.get("local_weight")), "global": _fmt_w(w.get("global_weight")),
            "cr": _fmt_w(w.get("cr")), "ri": ri,
        })
    ahp = []
    if isinstance(weighting, Mapping):
        for nid, w in weighting.items():
            if not isinstance(w, Mapping) or not ok(w.get("cr")):
                continue
            node = p.tree.by_id.get(str(nid))
            n_children = len(node.children) if node is not None else 0
            ri = str(w.get("ri_table") or "")
            if ri and ri not in ri_used:
                ri_used.append(ri)
            ri_n = RI_TABLES.get(ri, ())
            ahp.append({"name": p.node_name(str(nid), lang), "method": str(w.get("method") or ""),
                        "n": str(n_children) if n_children else "",
                        "lambda_max": f"{float(w['lambda_max']):.4f}" if ok(w.get("lambda_max")) else "",
                        "cr": f"{float(w['cr']):.4f}", "ri_table": ri,
                        "ri": f"{ri_n[n_children - 1]:g}" if ri_n and 0 < n_children <= len(ri_n) else ""})
    ri_tables = [{"name": name, "title": t("m_ri_table", lang, name=name),
                  "values": [f"{v:g}" for v in RI_TABLES[name]]} for name in ri_used if name in RI_TABLES]

    sources: dict[str, list[str]] = {}
    for n in p.tree.leaves:
        src = n.source.get(lang) if n.source else DASH
        sources.setdefault(src, []).append(n.name.get(lang))
    man = dict(meta.get("manifest") or {})
    version = str(man.get("engine_version") or man.get("version") or man.get("evalkit") or __version__)
    files = man.get("inputs") or man.get("sha256") or man.get("files") or {}
    hashes = []
    if isinstance(files, Mapping):
        for k, v in files.items():
            h = v.get("sha256", "") if isinstance(v, Mapping) else v
            hashes.append({"file": str(k), "sha256": str(h)})
    elif isinstance(files, (list, tuple)):
        for it in files:
            if isinstance(it, Mapping):
                hashes.append({"file": str(it.get("file") or it.get("path") or ""), "sha256": str(it.get("sha256", ""))})
    extra = [{"key": str(k), "value": kv(v) if isinstance(v, Mapping) else _plain(v)} for k, v in m.items()
             if v not in (None, "", [], {})]
    # provisional values used: latest year first, then units-file and tree order
    cells = np.argwhere(p.leaf_prov)
    cells = sorted(cells.tolist(), key=lambda c: (-c[1], c[0], c[2]))
    provisional = [{"unit": p.units[a].label(lang), "year": str(p.years[b]), "indicator": p.leaves[c].name.get(lang)}
                   for a, b, c in cells[:PROV_LIST_MAX]]
    out = {
        "provisional": provisional,
        "provisional_more": t("and_more", lang, n=len(cells) - PROV_LIST_MAX) if len(cells) > PROV_LIST_MAX else "",
        "provisional_total": t("m_prov_total", lang, n=len(cells)) if cells else "",
        "norm_method": str(norm.pop("method", "")) if norm else "",
        "norm_scope": scope_text,
        "norm_extra": kv(norm) if norm else "",
        "agg_method": str(agg.pop("method", "")) if agg else "",
        "agg_extra": kv(agg) if agg else "",
        "agg_overrides": overrides,
        "scheme": str(scheme or ""),
        "scale": f"{p.scale[0]:g}–{p.scale[1]:g}",
        "grades": ", ".join(f"{k} ≥ {v:g}" if isinstance(v, (int, float)) else f"{k} ≥ {v}"
                            for k, v in p.grades.items()) or t("m_none", lang),
        "preparation": prep_rows,
        "weights": weights,
        "weights_year": t("m_weights_year", lang, year=int(year)) if (year is not None and p.weights_by_year) else "",
        "ahp": ahp,
        "ri_tables": ri_tables,
        "ri_n": [str(i) for i in range(1, 16)],
        "sources": [{"source": k, "indicators": "、".join(v) if lang == "zh" else "; ".join(v)}
                    for k, v in sources.items()],
        "years": f"{p.years[0]}–{p.years[-1]}" if p.years else "",
        "version": version,
        "hashes": hashes,
        "notes": list(p.inp.notes),
        "extra": extra,
    }
    p._method_cache[lang] = out
    return out


def _plain(v: Any) -> str:
    """A parameter value in words: floats to 4 significant digits, lists joined, cut at 160 characters."""
    if isinstance(v, bool) or v is None:
        out = str(v)
    elif isinstance(v, float):
        out = f"{v:.4g}"
    elif isinstance(v, Mapping):
        out = "(" + ", ".join(f"{k}={_plain(x)}" for k, x in v.items()) + ")"
    elif isinstance(v, (list, tuple)):
        out = ", ".join(_plain(x) for x in v)
    else:
        out = str(v)
    return out if len(out) <= 160 else out[:157] + "…"


def _fmt_w(v: Any) -> str:
    return f"{float(v):.4f}" if ok(v) else ""


# ---------------------------------------------------------------- optional sections

def _one(p: Prepared, name: str, unit_id: str, year: int) -> list[dict] | None:
    if name not in p.tables:
        return None
    return p.tables[name].get((unit_id, year), [])


def _coordination(p: Prepared, unit_id: str, year: int, lang: str) -> dict | None:
    rows = _one(p, "coordination", unit_id, year)
    if rows is None:
        return None
    r = rows[0] if rows else {}
    all_d = [_num(x.get("D")) for x in p.table_years["coordination"].get(year, [])]
    all_d = [v for v in all_d if ok(v)]
    dv = _num(r.get("D"))
    rank = 1 + sum(1 for v in all_d if v > dv) if ok(dv) else None
    lag = r.get("lagging")
    lag_s = "" if lag is None or (isinstance(lag, float) and math.isnan(lag)) else str(lag)
    lag_names = [p.node_name(x.strip(), lang) for x in re.split(r"[;,|]", lag_s) if x.strip()]
    cls = r.get("class_zh" if lang == "zh" else "class_en")
    return {
        "present": bool(rows),
        "D": fmt_score(dv, 3), "C": fmt_score(r.get("C"), 3), "T": fmt_score(r.get("T"), 3),
        "level": fmt_rank(r.get("level")),
        "cls": "" if cls is None or (isinstance(cls, float) and math.isnan(cls)) else str(cls),
        "lagging": "、".join(lag_names) if lang == "zh" else ", ".join(lag_names),
        "avg_D": fmt_score(sum(all_d) / len(all_d), 3) if all_d else DASH,
        "rank": fmt_rank(rank), "n": len(all_d),
    }


def _obstacles(p: Prepared, unit_id: str, year: int, lang: str, city: str) -> dict | None:
    rows = _one(p, "obstacles", unit_id, year)
    if rows is None:
        return None
    by_level: dict[str, list[dict]] = {}
    for r in rows:
        by_level.setdefault(str(r.get("level", "")).lower(), []).append(r)
    ind = sorted(by_level.get("indicator", []), key=lambda r: -_num(r.get("obstacle")) if ok(r.get("obstacle")) else 1)
    u, y = p.uidx[unit_id], p.yidx[year]
    top = []
    for r in ind[:5]:
        nid = str(r.get("node"))
        n = p.tree.by_id.get(nid)
        j = p.lidx.get(nid)
        top.append({"name": p.node_name(nid, lang),
                    "domain": p.node_name(p.tree.domain_of(nid) or "", lang) if n else "",
                    "share": fmt_pct(r.get("obstacle")),
                    "raw": fmt_raw(p.raw[u, y, j]) if j is not None else DASH,
                    "measure": n.unit_for(lang) if n else "",
                    "score": fmt_score(p.score[u, y, p.nidx[nid]]) if nid in p.nidx else DASH})
    # domain shares in tree order
    dom_share = {str(r.get("node")): _num(r.get("obstacle")) for r in by_level.get("domain", [])}
    doms = [d for d in p.tree.domains if d.id in dom_share]
    dlabels = [d.name.get(lang) for d in doms]
    dvals = [dom_share[d.id] for d in doms]
    # stage shares: rows may name stage nodes (gov.input) or stage words (input)
    stage_share: dict[str, float] = {}
    stage_nodes: dict[str, float] = {}
    for r in by_level.get("stage", []):
        nid = str(r.get("node"))
        v = _num(r.get("obstacle"))
        if not ok(v):
            continue
        n = p.tree.by_id.get(nid)
        st = n.stage if n is not None else (nid if nid in STAGES else None)
        if n is not None:
            stage_nodes[nid] = v
        if st:
            stage_share[st] = stage_share.get(st, 0.0) + v
    slabels = [t(f"stage_{s}", lang) for s in STAGES if s in stage_share]
    svals = [stage_share[s] for s in STAGES if s in stage_share]
    pct = lambda v: f"{100 * v:.1f}%"  # noqa: E731
    hi_d = max(dvals + [0.0]) if dvals else 1.0
    hi_s = max(svals + [0.0]) if svals else 1.0
    reading = ""
    if dvals and any(ok(v) for v in dvals):
        k = int(np.nanargmax(np.array(dvals)))
        d = doms[k]
        in_d = {nid: v for nid, v in stage_nodes.items() if p.tree.domain_of(nid) == d.id}
        if in_d:
            best = max(in_d, key=in_d.get)
            reading = t("o_reading", lang, domain=d.name.get(lang), share=pct(dvals[k]),
                        stage=t(f"stage_{p.tree.by_id[best].stage}", lang))
        elif svals:
            reading = t("o_reading", lang, domain=d.name.get(lang), share=pct(dvals[k]),
                        stage=slabels[int(np.argmax(svals))])
        else:
            reading = t("o_reading_short", lang, domain=d.name.get(lang), share=pct(dvals[k]))
    return {
        "present": bool(rows),
        "top": top,
        "domain_chart": charts.hbars(dlabels, dvals, lo=0, hi=max(hi_d, 1e-9) * 1.1,
                                     title=t("o_domain_title", lang, city=city), desc=t("o_by_domain", lang),
                                     fmt=pct, uid="obst-d") if dvals else None,
        "stage_chart": charts.hbars(slabels, svals, lo=0, hi=max(hi_s, 1e-9) * 1.1,
                                    title=t("o_stage_title", lang, city=city), desc=t("o_by_stage", lang),
                                    fmt=pct, color=charts.PALETTE[6], uid="obst-s") if svals else None,
        "domains": [{"name": a, "share": fmt_pct(b)} for a, b in zip(dlabels, dvals)],
        "stages": [{"name": a, "share": fmt_pct(b)} for a, b in zip(slabels, svals)],
        "reading": reading,
    }


def _split_peers(v: Any) -> list[str]:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return []
    return [x for x in re.split(r"[;,|\s]+", str(v)) if x]


def _bod(p: Prepared, unit_id: str, year: int, lang: str) -> dict | None:
    """This unit's own benefit-of-the-doubt weights, per bod node (None when no node has them)."""
    rows = _one(p, "bod", unit_id, year)
    if not rows:
        return None
    nodes: dict[str, list[dict]] = {}
    for r in rows:
        nodes.setdefault(str(r.get("node")), []).append(
            {"child": p.node_name(str(r.get("child")), lang), "weight": fmt_pct(_num(r.get("weight"))),
             "share": fmt_pct(_num(r.get("share")))})
    return {"nodes": [{"name": p.node_name(n, lang), "rows": rs} for n, rs in nodes.items()]}


def _efficiency(p: Prepared, unit_id: str, year: int, lang: str) -> dict | None:
    rows = _one(p, "efficiency", unit_id, year)
    if rows is None:
        return None
    order = {d.id: k for k, d in enumerate(p.tree.domains)}
    rows = sorted(rows, key=lambda r: order.get(str(r.get("domain")), 99))
    out = []
    for r in rows:
        e = _num(r.get("efficiency"))
        out.append({"domain": p.node_name(str(r.get("domain")), lang), "efficiency": fmt_score(e, 3),
                    "efficient": ok(e) and e >= 1 - 1e-9, "ratio": fmt_score(r.get("ratio"), 2),
                    "peers": ", ".join(p.unit_label(x, lang) for x in _split_peers(r.get("peers")))})
    return {"present": bool(rows), "rows": out}


_STATUS = {
    "met": ("met", "achieved", "done", "ok", "green", "reached", "达标", "完成", "已完成"),
    "near": ("near", "close", "amber", "yellow", "partial", "at_risk", "接近", "基本完成"),
    "missed": ("missed", "miss", "not_met", "red", "behind", "fail", "failed", "未完成", "未达标"),
}


def status_of(status: Any, attainment: Any) -> str:
    """Traffic-light class: met | near | missed | unknown (status text first, else attainment ≥ 1 / ≥ 0.9)."""
    s = "" if status is None or (isinstance(status, float) and math.isnan(status)) else str(status).strip().lower()
    for k, words in _STATUS.items():
        if s in words:
            return k
    if ok(attainment):
        a = float(attainment)
        return "met" if a >= 1 else ("near" if a >= 0.9 else "missed")
    return "unknown"


def _attainment(p: Prepared, unit_id: str, year: int, lang: str) -> dict | None:
    rows = _one(p, "attainment", unit_id, year)
    if rows is None:
        return None
    sev = {"missed": 0, "near": 1, "unknown": 2, "met": 3}
    items = []
    for r in rows:
        st = status_of(r.get("status"), r.get("attainment"))
        nid = str(r.get("node"))
        n = p.tree.by_id.get(nid)
        a = _num(r.get("attainment"))
        name = p.node_name(nid, lang)
        dom = p.tree.domain_of(nid) if n is not None else None
        if n is not None and not n.is_leaf and dom and dom != nid:
            name = f"{p.node_name(dom, lang)} · {name}"          # 交通 · 过程, not a bare 过程
        items.append((sev[st], a if ok(a) else math.inf, {
            "name": name, "level": str(r.get("level", "") or ""),
            "actual": fmt_raw(r.get("actual")), "target": fmt_raw(r.get("target")),
            "measure": n.unit_for(lang) if n is not None and n.is_leaf else "",
            "attainment": fmt_pct(a, 0), "status": st, "status_text": t(f"a_{st}", lang)}))
    items.sort(key=lambda x: (x[0], x[1]))
    rows_out = [x[2] for x in items]
    n_met = sum(1 for r in rows_out if r["status"] == "met")
    n_missed = sum(1 for r in rows_out if r["status"] == "missed")
    return {"present": bool(rows), "rows": rows_out,
            "summary": t("a_summary", lang, n=len(rows_out), met=n_met, missed=n_missed)}


def _robustness(p: Prepared, unit_id: str, year: int, lang: str, city: str, n_all: int) -> dict | None:
    rows = _one(p, "robustness", unit_id, year)
    if rows is None:
        return None
    r = rows[0] if rows else {}
    nom, med, lo, hi = (_num(r.get(k)) for k in ("nominal_rank", "median_rank", "rank_p05", "rank_p95"))
    n = max(n_all, len(p.table_years["robustness"].get(year, [])), 2)
    # ranks are whole places: widen a fractional percentile outwards, so that "at least 90 %" stays true
    lo_i = float(math.floor(lo + 1e-9)) if ok(lo) else lo
    hi_i = float(math.ceil(hi - 1e-9)) if ok(hi) else hi
    # ranks are discrete: at least 90 % of the draws lie in [p05, p95], widened or not
    med_s = fmt_score(med, 1) if ok(med) and med != int(med) else fmt_rank(med)
    sentence = t("r_sentence", lang, rank=fmt_rank(nom), lo=fmt_rank(lo_i), hi=fmt_rank(hi_i),
                 median=med_s) if rows else ""
    return {
        "present": bool(rows),
        "sentence": sentence,
        "nominal": fmt_rank(nom), "median": med_s,
        "lo": fmt_rank(lo_i), "hi": fmt_rank(hi_i),
        "interval": f"{fmt_rank(lo_i)}–{fmt_rank(hi_i)}",
        "p_top5": fmt_pct(r.get("p_top5"), 0), "p_bottom5": fmt_pct(r.get("p_bottom5"), 0),
        "chart": charts.rank_interval([(city, nom, lo_i, hi_i, med)], n_units=n,
                                      title=t("r_title", lang, city=city), desc=t("r_desc", lang),
                                      legend=(t("r_leg_dot", lang), t("r_leg_bar", lang), t("r_leg_tick", lang)),
                                      uid="rankint") if rows else None,
        "page_href": "robustness.html",
    }


# ---------------------------------------------------------------- overview

HEATMAP_MAX_UNITS = 150


def overview(p: Prepared, year: int, lang: str) -> dict:
    """The year's index page: league table, heat map, province averages, data quality."""
    y = p.yidx[year]
    root = p.root
    tree = p.tree
    ctx = _common(p, lang, year)
    ctx["page_title"] = f"{ctx['title']} · {ctx['year_label']} · {t('overview', lang)}"
    doms = tree.domains
    didx = [p.nidx[d.id] for d in doms]
    ctx["domain_names"] = [d.name.get(lang) for d in doms]
    S = p.score[:, y]
    R = p.rank[:, y, root]
    order = sorted(range(len(p.units)), key=lambda i: (R[i] if ok(R[i]) else math.inf,
                                                       -S[i, root] if ok(S[i, root]) else math.inf, i))
    missed = None
    if "attainment" in p.tables:
        missed = {}
        for (uid, yr), rows in p.tables["attainment"].items():
            if yr == year:
                missed[uid] = sum(1 for r in rows if status_of(r.get("status"), r.get("attainment")) == "missed")
    ctx["has_targets"] = missed is not None
    ctx["has_grade"] = bool(p.grades) or "grade" in p.inp.results.columns
    league = []
    apart = []
    for i in order:
        info = p.units[i]
        if p.insufficient[i, y]:  # listed apart: not ranked, no score
            cov = p.cov[i, y]
            apart.append({"id": info.id, "href": f"{unit_file_stem(info.id)}.html", "label": info.label(lang),
                          "group": info.group_name(lang), "coverage": fmt_pct(cov[root]),
                          "domains": [fmt_pct(cov[k], 0) for k in didx]})
            continue
        league.append({
            "id": info.id, "href": f"{unit_file_stem(info.id)}.html", "label": info.label(lang), "name": info.name(lang),
            "group": info.group_name(lang),
            "rank": fmt_rank(R[i]), "score": fmt_score(S[i, root]),
            "domains": [fmt_score(S[i, k]) for k in didx],
            "grade": p.grade[i, y] or DASH,
            "d_rank": delta_rank(R[i], p.rank[i, y - 1, root] if y > 0 else None, lang),
            "missed": str(missed.get(info.id, 0)) if missed is not None else "",
            "provisional": bool(p.unit_prov[i, y]),
        })
    ctx["league"] = league
    ctx["insufficient_units"] = apart
    ctx["insufficient_head"] = t("insufficient_list_head", lang, n=len(apart))
    ctx["insufficient_note"] = t("insufficient_list_note", lang, min=fmt_pct(p.min_coverage, 0))
    ctx["n_units"] = len(p.units)
    # the regional page is rendered with the overview whenever the disparity table is there
    ctx["region_link"] = ({"href": "region.html", "text": t("region_link", lang)}
                          if p.inp.tables.get("disparity") is not None else None)
    if missed is not None:
        n_missed = sum(1 for v in missed.values() if v > 0)
        ctx["missed_summary"] = t("missed_summary", lang, n=n_missed, total=len(missed))
    else:
        ctx["missed_summary"] = ""
    # provisional notice
    prov_units = [i for i in range(len(p.units)) if p.unit_prov[i, y]]
    if prov_units:
        names = [p.units[i].label(lang) for i in prov_units[:12]]
        more = len(prov_units) - len(names)
        ctx["provisional_notice"] = t("prov_notice", lang, year=year, n=len(prov_units),
                                      names=("、" if lang == "zh" else ", ").join(names)
                                      + (t("and_more", lang, n=more) if more else ""))
    else:
        ctx["provisional_notice"] = ""
    ctx["n_provisional"] = len(prov_units)
    ctx.update(_movers(p, y, lang))
    if len(p.units) <= HEATMAP_MAX_UNITS and doms:
        ctx["heatmap"] = charts.heatmap([p.units[i].label(lang) for i in order], ctx["domain_names"],
                                        [[S[i, k] for k in didx] for i in order], lo=p.scale[0], hi=p.scale[1],
                                        title=t("heat_title", lang, year=year), desc=t("heat_desc", lang),
                                        row_links=[f"{unit_file_stem(p.units[i].id)}.html" for i in order], uid="heat")
        ctx["heatmap_note"] = ""
    else:
        ctx["heatmap"] = None
        ctx["heatmap_note"] = t("heat_too_many", lang, n=len(p.units))
    groups = []
    for gi, gname in enumerate(p.groups):
        first = next(x for x in p.units if x.group == gname)
        groups.append({"name": first.group_name(lang), "n": str(int(np.sum(p.gidx == gi))),
                       "score": fmt_score(p.avg_group[gi, y, root]),
                       "domains": [fmt_score(p.avg_group[gi, y, k]) for k in didx]})
    groups.append({"name": t("all_avg_generic", lang), "n": str(len(p.units)), "score": fmt_score(p.avg_all[y, root]),
                   "domains": [fmt_score(p.avg_all[y, k]) for k in didx], "total": True})
    ctx["groups"] = groups
    # data quality: share of cells by domain (this year)
    quality = []
    tot = np.zeros(5)
    for d in doms:
        cols = [p.lidx[n] for n in tree.leaves_under(d.id)]
        raw = p.raw[:, y, cols]
        cells = raw.size
        miss = int(np.sum(np.isnan(raw)))
        imp = int(np.sum(p.f_imp[:, y, cols]))
        trt = int(np.sum(p.f_trt[:, y, cols]))
        prv = int(np.sum(p.leaf_prov[:, y, cols]))
        tot += (cells, miss, imp, trt, prv)
        quality.append(_quality_row(d.name.get(lang), cells, miss, imp, trt, prv))
    quality.append(_quality_row(t("total", lang), *tot) | {"total": True})
    ctx["quality"] = quality
    ctx["screen"] = screened(p, lang)
    ctx["synthetic_note"] = p.synthetic
    return ctx


def _quality_row(name: str, cells: float, miss: float, imp: float, trt: float, prv: float) -> dict:
    c = max(cells, 1)
    return {"name": name, "cells": f"{int(cells):,}", "missing": fmt_pct(miss / c), "imputed": fmt_pct(imp / c),
            "treated": fmt_pct(trt / c), "provisional": fmt_pct(prv / c), "n_provisional": str(int(prv))}


MOVERS = 5
SLOPE_MAX_UNITS = 150


def _movers(p: Prepared, y: int, lang: str) -> dict:
    """The overview's "most improved" lists and the rank-change slope chart.

    Top ``MOVERS`` units by composite score change and by rank change (places
    gained) since the previous year, improvements only, ties broken by the
    other change and then units-file order.  None in the first year.
    """
    root = p.root
    if y == 0:
        return {"has_previous": False, "movers_score": [], "movers_rank": [], "slope": None,
                "movers_note": t("movers_first_year", lang, year=p.years[0])}
    S, Sp = p.score[:, y, root], p.score[:, y - 1, root]
    R, Rp = p.rank[:, y, root], p.rank[:, y - 1, root]
    n = len(p.units)
    ds = np.round(np.where(np.isfinite(S) & np.isfinite(Sp), S - Sp, np.nan), 9)   # float noise makes no order
    dr = np.where(np.isfinite(R) & np.isfinite(Rp), Rp - R, np.nan)

    def row(i: int) -> dict:
        info = p.units[i]
        return {"id": info.id, "href": f"{unit_file_stem(info.id)}.html", "label": info.label(lang),
                "score": fmt_score(S[i]), "prev_score": fmt_score(Sp[i]), "d_score": delta_score(S[i], Sp[i]),
                "rank": fmt_rank(R[i]), "prev_rank": fmt_rank(Rp[i]), "d_rank": delta_rank(R[i], Rp[i], lang),
                "provisional": bool(p.unit_prov[i, y])}

    by_score = sorted((i for i in range(n) if ok(ds[i]) and round(ds[i], 1) > 0),
                      key=lambda i: (-ds[i], -(dr[i] if ok(dr[i]) else -math.inf), i))[:MOVERS]
    by_rank = sorted((i for i in range(n) if ok(dr[i]) and dr[i] > 0),
                     key=lambda i: (-dr[i], -(ds[i] if ok(ds[i]) else -math.inf), i))[:MOVERS]
    down = sorted((i for i in range(n) if ok(dr[i]) and dr[i] < 0), key=lambda i: (dr[i], i))[:MOVERS]
    year, prev = p.years[y], p.years[y - 1]
    slope = None
    if 1 < n <= SLOPE_MAX_UNITS:
        slope = charts.slope([x.label(lang) for x in p.units], list(Rp), list(R), years=(str(prev), str(year)),
                             title=t("slope_title", lang, prev=prev, year=year),
                             desc=t("slope_desc", lang, prev=prev, year=year, k=MOVERS),
                             highlight=by_rank + down, provisional=[bool(v) for v in p.unit_prov[:, y]],
                             prov_label=t("prov_mark", lang),
                             legend=(t("slope_up", lang), t("slope_down", lang), t("slope_same", lang)),
                             uid="slope")
    return {"has_previous": True, "movers_score": [row(i) for i in by_score], "movers_rank": [row(i) for i in by_rank],
            "slope": slope, "movers_note": "", "prev_year": prev,
            "movers_score_head": t("movers_score", lang, prev=prev), "movers_rank_head": t("movers_rank", lang, prev=prev),
            "movers_none": t("movers_none", lang)}


def css_markup(text: str) -> Markup:
    """Inline CSS: safe because it comes from the templates folder, not the data."""
    return Markup(text.replace("</", "<\\/"))
