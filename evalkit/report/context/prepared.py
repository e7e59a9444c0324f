"""The ReportInput pivoted once into arrays ``[unit, year, node]`` (:class:`Prepared`), and what it
knows about each value (imputed how, treated how, screened out)."""

from __future__ import annotations

import weakref
import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ...project import DEFAULT_MIN_COVERAGE
from ...tree import STAGES
from ...i18n import t
from ..inputs import ReportInput
from .formatting import fmt_pct, ok, _truthy


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


def adopt(p: "Prepared", inp: ReportInput) -> "Prepared":
    """``p``, built from an earlier ReportInput of the same run (the same tree, units, results, weights, raw
    values and settings; fewer optional tables: some were still being computed), as the Prepared of
    ``inp``: the optional tables ``inp`` adds are bucketed, the rest is kept (it is what Prepared(inp)
    would build)."""
    p.inp = inp
    p._bucket_tables()
    _PREPARED[inp] = p
    return p


def _positions(table: pd.DataFrame, *keys: tuple[str, type, Mapping]) -> tuple[pd.Series, tuple[np.ndarray, ...]]:
    """The rows of a long table whose keys all have a place in the arrays, and those places.

    ``keys``: (column, type its values are read as, value -> index along one axis); rows with a
    value an index does not know (a unit or year outside the report) are left out.
    """
    at = [table[col].astype(kind).map(index) for col, kind, index in keys]
    keep = at[0].notna()
    for a in at[1:]:
        keep = keep & a.notna()
    return keep, tuple(a[keep].astype(int).to_numpy() for a in at)


def _flags(column: pd.Series) -> Any:
    """A flag column as booleans: a bool column as it is, anything else read by :func:`_truthy`."""
    if column.dtype == bool:
        return column.to_numpy(dtype=bool)
    return [_truthy(v) for v in column]


def records(df: pd.DataFrame) -> list[dict]:
    """``df.to_dict("records")``, the same Python values, built a column at a time (pandas' own loop
    boxes every cell of a text column one by one: most of the time of a large table)."""
    from pandas.api.types import is_string_dtype
    from pandas.core.dtypes.cast import maybe_box_native

    cols = df.columns.tolist()
    data = []
    for k in range(len(cols)):
        s = df.iloc[:, k]
        values = s.array
        if is_string_dtype(s.dtype) and type(values).__name__ == "StringArray":  # texts and NaN, unboxed
            data.append(s.to_numpy().tolist())
        elif isinstance(values, pd.arrays.NumpyExtensionArray):
            a = s.to_numpy()
            if a.dtype == object:  # to_dict's boxing of object cells (numpy scalars -> Python's)
                data.append([maybe_box_native(v) for v in a.tolist()])
            else:  # numbers: Python's int, float and bool, as iterating the column gives
                data.append(a.tolist())
        else:  # other extension arrays (nullable numbers, dates, categories): pandas' own conversion
            data.append([next(iter(r.values())) for r in df.iloc[:, [k]].to_dict("records")])
    return [dict(zip(cols, row)) for row in zip(*data)] if cols else [{} for _ in range(len(df))]


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

        keep, (ui, yi, ni) = _positions(res, ("unit", str, self.uidx), ("year", int, self.yidx),
                                        ("node", str, self.nidx))
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
            self.prov[ui, yi, ni] = _flags(sub["provisional"])
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
            k, (a, b, c) = _positions(rw, ("unit", str, self.uidx), ("year", int, self.yidx),
                                      ("indicator", str, self.lidx))
            rs = rw[k]
            self.raw[a, b, c] = pd.to_numeric(rs["value"], errors="coerce").to_numpy(dtype=float)
            for col, arr in (("imputed", self.f_imp), ("treated", self.f_trt), ("provisional", self.f_prov)):
                if col in rs.columns:
                    arr[a, b, c] = _flags(rs[col])
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
        self._bucket_tables()

        wt = inp.weights
        self.weights: dict[str, dict] = {}
        # per-year weights (by: year): one weights table a year; self.weights is then the last year's
        self.weights_by_year: dict[int, dict[str, dict]] = {}
        if wt is not None and len(wt):
            for rec in records(wt):
                self.weights[str(rec.get("node"))] = rec
                year = rec.get("year")
                if year is not None and str(year) != "" and not (isinstance(year, float) and math.isnan(year)):
                    self.weights_by_year.setdefault(int(year), {})[str(rec.get("node"))] = rec
        self._method_cache: dict[tuple[str, int | None], dict] = {}  # (language, year of per-year weights)

    def _bucket_tables(self) -> None:
        """The optional tables of ``self.inp`` not bucketed yet, bucketed by (unit, year) and by year."""
        for name in OPTIONAL_TABLES:
            df = (self.inp.tables or {}).get(name)
            if df is None or name in self.tables:
                continue
            by: dict[tuple[str, int], list[dict]] = {}
            by_year: dict[int, list[dict]] = {}
            for rec in records(df):
                key = (str(rec.get("unit")), int(rec.get("year")))
                by.setdefault(key, []).append(rec)
                by_year.setdefault(key[1], []).append(rec)
            self.tables[name] = by
            self.table_years[name] = by_year

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
