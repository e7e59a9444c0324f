"""The regional page ``<year>/region.html``: disparity and convergence across the units.

Shows, for the composite and every domain, over the years up to the report
year: Theil T with its within/between-province split, Dagum's Gini with its
within / net-between / transvariation split, the coefficient of variation,
σ-convergence (CV and standard deviation) and absolute β-convergence, the
province averages, and each province's own spread. Every number comes from
the run's tables (disparity.csv, convergence.csv, region_groups.csv) and
results; only β for a report year before the last year is recomputed (the
same function, over the shorter period) because convergence.csv holds the
whole period. Self-contained like the scorecards (CSS inline, inline SVG, no
script), rendered with the report module's jinja2 Environment (autoescape on,
StrictUndefined) from ``reports/region.html.j2``. Cities are always shown as
name + code (苏州 320500 / 宿州 341300). Numbers in tables carry their full
value in ``data-v`` (Python repr), so tests compare them with the CSV files.

Source: README.md "Command line" (disparity.csv, region_groups.csv);
docs/methods.md#theil, #dagum, #convergence; Barro &
Sala-i-Martin (1992) JPE 100(2):223–251 (β-convergence, speed, half-life).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd
from markupsafe import Markup

from ..unitids import unit_label
from . import charts
from .charts import Series
from ..i18n import catalogue, t
from .inputs import ReportInput
from .context.common import page_common
from .context.prepared import records
from .templates import environment, templates_dir

DASH = "—"
MINUS = "\u2212"
WITHIN = "#56b4e9"      # within provinces: light blue
BETWEEN = "#1f4e79"     # between provinces: dark blue
TRANS = "#e69f00"       # transvariation (overlap): orange

# ---------------------------------------------------------------- formatting

def _ok(v: Any) -> bool:
    try:
        return v is not None and not isinstance(v, str) and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _fx(v: Any, digits: int) -> str:
    """Fixed decimals with a true minus sign; "—" when missing."""
    if not _ok(v):
        return DASH
    s = f"{float(v):.{digits}f}"
    if float(s) == 0:
        s = s.lstrip("-")
    return s.replace("-", MINUS)


def _pct(v: Any, digits: int = 1) -> str:
    return f"{_fx(100 * float(v), digits)}%" if _ok(v) else DASH


def _p(v: Any) -> str:
    """A p-value as read in a sentence: "< 0.001" or "= 0.042"."""
    if not _ok(v):
        return "= " + DASH
    return "< 0.001" if float(v) < 0.001 else f"= {float(v):.3f}"


def pcell(v: Any) -> dict:
    """A p-value cell: "< 0.001" or three decimals, the full value in data-v."""
    f = float(v) if _ok(v) else float("nan")
    return {"s": DASH if f != f else ("< 0.001" if f < 0.001 else f"{f:.3f}"), "v": repr(f) if f == f else ""}


def cell(v: Any, digits: int = 4, *, pct: bool = False) -> dict:
    """A table cell: the shown text and the full value (repr) for data-v."""
    f = float(v) if _ok(v) else float("nan")
    return {"s": _pct(f, digits) if pct else _fx(f, digits), "v": repr(f) if f == f else ""}


# ---------------------------------------------------------------- names

class _Units:
    """Unit id → "name code", and group (province) labels → display names."""

    def __init__(self, table: pd.DataFrame) -> None:
        self.rows = {str(r["id"]): r for r in table.to_dict("records")}
        self.group_names: dict[str, dict[str, str]] = {}
        for r in self.rows.values():
            g = _s(r.get("group"))
            self.group_names.setdefault(g, {"zh": _s(r.get("group_zh")) or g, "en": _s(r.get("group_en")) or g})

    def label(self, uid: str, lang: str) -> str:
        r = self.rows.get(str(uid), {})
        n = _s(r.get("name_zh")) if lang == "zh" else (_s(r.get("name_en")) or _s(r.get("name_zh")))
        return unit_label(n, uid)

    def group(self, g: str, lang: str) -> str:
        return self.group_names.get(str(g), {}).get(lang) or str(g)


def _s(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)


# ---------------------------------------------------------------- charts

def stacked_bars(categories: Sequence[str], parts: Sequence[tuple[str, Sequence[float], str]], *, title: str,
                 desc: str, percent: bool = False, width: float = 620, height: float = 250,
                 fmt=lambda v: f"{v:.3f}", uid: str | None = None) -> Markup:
    """Vertical stacked bars: one bar per category, segments ``parts`` (label, values, colour) bottom up.

    ``percent``: every bar is scaled to its total (shares, axis 0–100 %). A
    segment of value v spans ``plot_h · v / top`` (``data-y0``, ``data-h`` and
    ``data-top`` on the plot group); the total is written above each bar; a
    category with any NaN draws no bar, only "—".
    """
    left, right, top_pad, bottom = 48, 10, 18, 26
    n = max(1, len(categories))
    totals = []
    for i in range(len(categories)):
        vals = [p[1][i] for p in parts]
        totals.append(sum(float(v) for v in vals) if all(_ok(v) for v in vals) else float("nan"))
    if percent:
        vmax = 1.0
    else:
        vmax = max([x for x in totals if x == x], default=1.0) or 1.0
    ticks = charts.nice_ticks(0, vmax * (1.0 if percent else 1.08), 4)
    top = max(ticks[-1], vmax) if ticks else vmax
    legend = [Series(lab, [], color=col) for lab, _, col in parts]
    legend_svg, legend_h = charts._legend(legend, left, height + 6, width - left - right, kind="bar")
    total_h = height + legend_h + 6
    plot_h = height - top_pad - bottom
    y0 = top_pad + plot_h
    group_w = (width - left - right) / n
    bar_w = min(46.0, group_w * 0.6)
    out = [f'<g class="plot" data-y0="{y0:.2f}" data-h="{plot_h:.2f}" data-top="{top:g}">']
    for tv in ticks:
        y = y0 - plot_h * tv / top
        out.append(f'<line x1="{left}" y1="{y:.2f}" x2="{width - right:.2f}" y2="{y:.2f}" stroke="{charts.GRID}"/>')
        lab = f"{tv * 100:g}%" if percent else charts._fmt_tick(tv)
        out.append(charts._text(left - 4, y + 4, lab, size=9, anchor="end", color=charts.AXIS))
    for i, cat in enumerate(categories):
        x = left + group_w * i + (group_w - bar_w) / 2
        tot = totals[i]
        if tot == tot and tot > 0:
            acc = 0.0
            for si, (lab, vals, col) in enumerate(parts):
                v = float(vals[i])
                share = v / tot if percent else v
                h = plot_h * share / top
                out.append(f'<rect class="seg" data-series="{si}" data-cat="{i}" data-value="{v:.6g}" '
                           f'x="{x:.2f}" y="{y0 - acc - h:.2f}" width="{bar_w:.2f}" height="{max(h, 0):.2f}" '
                           f'fill="{col}"/>')
                if percent and h >= 13:
                    out.append(charts._text(x + bar_w / 2, y0 - acc - h / 2 + 4, f"{100 * share:.0f}%", size=9,
                                            anchor="middle", color="#ffffff" if si != 0 else charts.INK))
                acc += h
            if not percent:
                out.append(charts._text(x + bar_w / 2, y0 - acc - 4, fmt(tot), size=9, anchor="middle"))
        else:
            out.append(charts._text(x + bar_w / 2, y0 - 3, DASH, size=10, anchor="middle", color=charts.AXIS,
                                    cls="gap"))
        out.append(charts._text(x + bar_w / 2, y0 + 16, str(cat), size=11, anchor="middle", cls="axis-label"))
    out.append(f'<line x1="{left}" y1="{y0:.2f}" x2="{width - right:.2f}" y2="{y0:.2f}" stroke="{charts.AXIS}"/>')
    out.append("</g>")
    out.append(legend_svg)
    return charts._svg(width, total_h, title, desc, "".join(out), cls="stacked", uid=uid)


def _line_chart(years: Sequence[int], series: list[Series], *, title: str, desc: str, uid: str,
                lo: float | None = None, hi: float | None = None, width: float = 620,
                height: float = 240) -> Markup:
    vals = [float(v) for s in series for v in s.values if _ok(v)]
    if lo is None:
        lo = 0.0
    if hi is None:
        hi = (max(vals) * 1.15 if vals else 1.0) or 1.0
    return charts.lines(years, series, lo=lo, hi=hi, title=title, desc=desc, width=width, height=height,
                        fit=True, uid=uid)


# ---------------------------------------------------------------- context

def _rows(df: pd.DataFrame | None, node: str, years: Sequence[int]) -> dict[int, dict]:
    if df is None or not len(df):
        return {}
    d = df[(df["node"].astype(str) == node) & df["year"].astype(int).isin(list(years))]
    return {int(r["year"]): r for r in records(d)}


def _sigma_with_beta(conv: pd.DataFrame | None) -> pd.DataFrame | None:
    """convergence.csv's σ rows, each node's absolute β (one row per node in the file) on its last year's row."""
    if conv is None or "analysis" not in conv.columns:
        return conv
    sig = conv[conv["analysis"] == "sigma"].copy()
    beta = conv[conv["analysis"] == "beta_absolute"]
    cols = ["beta", "beta_se", "beta_p", "beta_speed", "beta_half_life", "beta_n"]
    key = ["node", "year"]
    sig = sig.drop(columns=[c for c in cols if c in sig.columns]).merge(beta[key + cols], on=key, how="left")
    return sig


def _beta_reading(b: Mapping[str, Any], lang: str) -> tuple[str, str]:
    """(sentence, one-word verdict) for a β regression row."""
    beta, p = b.get("beta"), b.get("beta_p")
    if not _ok(beta):
        return "", DASH
    kw = {"beta": _fx(beta, 3), "p": _p(p)}
    if _ok(p) and float(p) < 0.05 and float(beta) < 0:
        if _ok(b.get("beta_speed")) and _ok(b.get("beta_half_life")):
            return t("rg_r_beta_conv", lang, speed=_pct(b["beta_speed"], 1), half=_fx(b["beta_half_life"], 1),
                      **kw), t("rg_v_conv", lang)
        return t("rg_r_beta_conv_nospeed", lang, **kw), t("rg_v_conv", lang)
    if _ok(p) and float(p) < 0.05 and float(beta) > 0:
        return t("rg_r_beta_div", lang, **kw), t("rg_v_div", lang)
    return t("rg_r_beta_none", lang, **kw), t("rg_v_none", lang)


def _beta_for(inp: ReportInput, node: str, years: Sequence[int], conv_rows: Mapping[int, Mapping],
              last_in_table: int | None) -> dict:
    """β over years[0]..years[-1]: convergence.csv's (whose last year is ``last_in_table``) when that is its
    period, else recomputed alike."""
    from ..analysis.convergence import beta_convergence

    if conv_rows and years[-1] == last_in_table and "beta" in next(iter(conv_rows.values())):
        r = conv_rows[years[-1]]
        return {k: r.get(k) for k in ("beta", "beta_se", "beta_p", "beta_speed", "beta_half_life", "beta_n")}
    res = inp.results
    d = res[(res["node"].astype(str) == node) & res["year"].astype(int).isin([years[0], years[-1]])]
    w = d.pivot_table(index="unit", columns="year", values="score", aggfunc="first")
    w = w.reindex(columns=[years[0], years[-1]])
    b = beta_convergence(w.to_numpy(dtype=float), years=[years[0], years[-1]])
    return {"beta": b.beta, "beta_se": b.se, "beta_p": b.p_value, "beta_speed": b.speed,
            "beta_half_life": b.half_life, "beta_n": b.n}


def _density_context(inp: ReportInput, nodes: Sequence[str], node_name: Mapping[str, str], years: Sequence[int],
                     year: int, lang: str, L: Mapping[str, str]) -> dict:
    """Kernel-density curves of density.csv: the composite (every year up to ``year``) and each domain."""
    dens = inp.tables.get("density")
    empty = {"density_chart": None, "density_charts": [], "density_note": ""}
    if dens is None or not len(dens) or not nodes:
        return empty
    dens = dens[dens["year"].astype(int).isin(list(years))]
    colors = charts.year_colors(len(years))

    def chart(node: str, width: float, height: float, title: str, uid: str):
        d = dens[dens["node"].astype(str) == node]
        if not len(d):
            return None
        by_year = {int(y): g.sort_values("x") for y, g in d.groupby("year")}
        grid = next(iter(by_year.values()))["x"].to_numpy(dtype=float)
        series = [Series(str(y), by_year[y]["density"].to_numpy(dtype=float).tolist() if y in by_year else [],
                         color=c) for y, c in zip(years, colors)]
        return charts.curves(grid.tolist(), series, title=title, desc=L["rg_density_desc"], width=width,
                             height=height, uid=uid)

    root = nodes[0]
    out = dict(empty)
    out["density_chart"] = chart(root, 620, 240, L["rg_density_chart"], "rg-density")
    out["density_charts"] = [{"name": node_name[n], "chart": chart(n, 420, 180, node_name[n], f"rg-density-{i}")}
                             for i, n in enumerate(nodes[1:])]
    out["density_charts"] = [c for c in out["density_charts"] if c["chart"] is not None]
    h = dens[(dens["node"].astype(str) == root) & (dens["year"].astype(int) == int(year))]["bandwidth"]
    out["density_note"] = t("rg_density_note", lang, year=year, h=_fx(float(h.iloc[0]), 2) if len(h) else DASH)
    return out


def _depth_tables(inp: ReportInput, root: str, years: Sequence[int], year: int, lang: str, L: Mapping[str, str],
                  names: "_Units") -> dict:
    """The composite's β models and σ test (convergence.csv's model rows, shown for the period the file
    covers) and the between-province Dagum pairs of the report year (dagum-pairs.csv)."""
    out: dict[str, Any] = {"beta_models": [], "beta_models_title": "", "beta_models_note": "", "pair_rows": [],
                           "pairs_title": ""}
    conv = inp.tables.get("convergence")
    if conv is not None and "analysis" in conv.columns and len(years) > 1:
        c = conv[conv["node"].astype(str) == root]
        if len(c) and int(c["year"].max()) == int(years[-1]):
            rows = []
            for _, r in c[c["analysis"].astype(str).str.startswith("beta_")].iterrows():
                kind = str(r["analysis"])
                g = "" if pd.isna(r.get("group")) else str(r.get("group"))
                label = t(f"rg_m_{kind}", lang, group=names.group(g, lang)) if kind == "beta_club" \
                    else L.get(f"rg_m_{kind}", kind)
                rows.append({"kind": kind, "name": label, "cells": [cell(r["beta"], 4), cell(r["beta_se"], 4),
                                                                    pcell(r["beta_p"])],
                             "n": "" if pd.isna(r["beta_n"]) else str(int(r["beta_n"])),
                             "verdict": _beta_reading(r, lang)[1]})
            st = c[c["analysis"] == "sigma_trend"]
            out["beta_models"] = rows
            out["beta_models_title"] = t("rg_beta_models", lang, y0=years[0], y1=years[-1])
            if len(st):
                out["beta_models_note"] = t("rg_beta_models_note", lang, slope=_fx(st["sigma_trend"].iloc[0], 4),
                                             p=_p(st["sigma_trend_p"].iloc[0]))
    pairs = inp.tables.get("dagum-pairs")
    if pairs is not None and len(pairs):
        d = pairs[(pairs["node"].astype(str) == root) & (pairs["year"].astype(int) == int(year))]
        gnb = float(d["contribution_nb"].sum()) if len(d) else float("nan")
        out["pair_rows"] = [{"name": f"{names.group(str(r['group_j']), lang)} – {names.group(str(r['group_h']), lang)}",
                             "cells": [cell(r["G_jh"], 4), cell(r["D_jh"], 4),
                                       cell(r["contribution_nb"] / gnb if gnb > 0 else None, 1, pct=True)]}
                            for _, r in d.iterrows()]
        out["pairs_title"] = t("rg_pairs", lang, year=year)
    return out


CLUSTER_COLORS = {"HH": "#b2182b", "LL": "#2166ac", "HL": "#f4a582", "LH": "#92c5de", "ns": "#bdbdbd"}


def _spatial_context(inp: ReportInput, root: str, years: Sequence[int], year: int, lang: str,
                     L: Mapping[str, str], names: "_Units") -> dict:
    """Moran's I by year and the LISA point map of the composite (spatial.csv, spatial-units.csv)."""
    g, u = inp.tables.get("spatial"), inp.tables.get("spatial-units")
    empty = {"map_chart": None, "moran_rows": [], "spatial_note": "", "map_title": ""}
    if g is None or u is None or not len(g):
        return empty
    g = g[(g["node"].astype(str) == root) & g["year"].astype(int).isin(list(years))].sort_values("year")
    if not len(g):
        return empty
    rows = [{"year": int(r["year"]), "current": int(r["year"]) == int(year),
             "cells": [cell(r["moran_i"], 4), cell(r["z_norm"], 2), pcell(r["p_sim"])]} for _, r in g.iterrows()]
    last = g.iloc[-1]
    kind = str(last["weights"])
    wtext = t(f"rg_w_{kind}", lang, k=int(last["k"]) if _ok(last["k"]) else "")
    note = t("rg_spatial_note", lang, perm=int(last["permutations"]), seed=int(last["seed"]), weights=wtext)
    loc = u[(u["node"].astype(str) == root) & (u["year"].astype(int) == int(year))]
    cluster = {str(r["unit"]): str(r["cluster"]) for _, r in loc.iterrows()}
    pts = []
    for uid, r in names.rows.items():
        lat, lon = r.get("lat"), r.get("lon")
        if uid in cluster and _ok(lat) and _ok(lon):
            c = cluster[uid]
            pts.append((names.label(uid, lang), float(lon), float(lat), CLUSTER_COLORS.get(c, CLUSTER_COLORS["ns"]),
                        f"{uid}.html"))
    legend = [(L[f"rg_{k.lower()}"], CLUSTER_COLORS[k]) for k in ("HH", "LL", "HL", "LH", "ns")]
    alpha = 0.05
    title = t("rg_map_chart", lang, year=year, alpha=alpha)
    chart = charts.point_map(pts, title=title, desc=L["rg_map_desc"], legend=legend, uid="rg-map") if pts else None
    return {"map_chart": chart, "moran_rows": rows, "spatial_note": note, "map_title": title}


def region_context(inp: ReportInput, year: int, lang: str) -> dict:
    """Everything region.html.j2 shows for ``year`` (series over the years up to it)."""
    from ..version import __version__

    L = catalogue(lang)
    meta = inp.meta
    tree = inp.tree
    root = tree.root
    title = dict(meta.get("title") or {})
    all_years = [int(y) for y in meta.get("years") or sorted(inp.results["year"].unique())]
    years = [y for y in all_years if y <= int(year)]
    y0, y1 = years[0], years[-1]
    names = _Units(inp.units)
    disp = inp.tables.get("disparity")
    conv = _sigma_with_beta(inp.tables.get("convergence"))
    grp = inp.tables.get("region_groups")
    lo, hi = (meta.get("scale") or (0, 100))[:2]
    man = meta.get("manifest") or {}
    version = str(man.get("version") or __version__)
    year_label = t("year_n", lang, year=year)
    period = f"{y0}–{y1}"
    ctx: dict[str, Any] = {
        **page_common(lang=lang, title=title, synthetic=bool(meta.get("synthetic")), year_label=year_label,
                      page_title=f"{L['rg_title']} · {year_label} · {title.get(lang) or title.get('zh', '')}",
                      version=version),
        "year": int(year), "period": period,
    }
    from .context import coverage_banner, prepared

    ctx["coverage_banner"] = coverage_banner(prepared(inp), int(year), lang)  # a half-collected year says so
    disp_nodes = list(dict.fromkeys(disp["node"].astype(str))) if disp is not None and len(disp) else []
    order = [root.id] + [d.id for d in tree.domains]
    nodes = [n for n in order if n in disp_nodes] + [n for n in disp_nodes if n not in order]
    node_name = {n: (tree.by_id[n].name.get(lang) if n in tree.by_id else n) for n in nodes}
    ctx["has_tables"] = bool(nodes)
    units = [str(u) for u in inp.units["id"]]
    ctx["n_units"] = len(units)
    group_of = {str(r["id"]): _s(r.get("group")) for r in inp.units.to_dict("records")}
    groups = list(dict.fromkeys(group_of[u] for u in units))
    ctx["n_groups"] = len(groups)
    ctx["scope_warning"] = ""
    norm = ((meta.get("method") or {}).get("normalize") or {})
    if norm.get("scope") == "year" or norm.get("method") in ("rank", "zscore"):
        ctx["scope_warning"] = t("rg_scope_warn", lang)
    from .region_network import malmquist_context, network_context  # both empty without their inputs

    ctx.update(network_context(inp, years, year, lang, L, names))
    ctx.update(malmquist_context(inp, year, lang, names,
                                 lambda n: tree.by_id[n].name.get(lang) if n in tree.by_id else n))
    if not nodes:
        ctx.update(beta_models=[], beta_models_title="", beta_models_note="", pair_rows=[], pairs_title="")
        ctx.update(density_chart=None, density_charts=[], density_note="", map_chart=None, moran_rows=[],
                   spatial_note="", map_title="")
        ctx.update(reading=[], overall_rows=[], theil_chart=None, gini_chart=None, cv_chart=None, sd_chart=None,
                   sigma_reading=[], beta_rows=[], beta_note="", domain_rows=[], prov_chart=None, prov_charts=[],
                   within_rows=[], within_years=[], within_year_rows=[], single_notes=[], years=years,
                   method_text=t("rg_method_text", lang), cv_first_head="")
        return ctx
    R = nodes[0]
    D = {n: _rows(disp, n, years) for n in nodes}
    C = {n: _rows(conv, n, years) for n in nodes}
    ylab = [str(y) for y in years]

    # ---- overall table (composite), one row per year
    overall = []
    for y in years:
        d, c = D[R].get(y, {}), C[R].get(y, {})
        T, Tb = d.get("theil"), d.get("theil_between")
        overall.append({
            "year": y, "current": y == year,
            "cells": [cell(c.get("mean"), 2), cell(c.get("sd"), 2), cell(d.get("cv"), 4), cell(T, 4),
                      cell(d.get("theil_within"), 4), cell(Tb, 4),
                      cell(float(Tb) / float(T) if _ok(T) and _ok(Tb) and float(T) > 0 else None, 1, pct=True),
                      cell(d.get("gini"), 4), cell(d.get("gini_within"), 4), cell(d.get("gini_between"), 4),
                      cell(d.get("gini_trans"), 4)],
        })
    ctx["overall_rows"] = overall
    ctx["years"] = years

    # ---- charts: Theil stacked, Gini shares, CV and sd lines
    tw = [D[R].get(y, {}).get("theil_within", float("nan")) for y in years]
    tb = [D[R].get(y, {}).get("theil_between", float("nan")) for y in years]
    ctx["theil_chart"] = stacked_bars(ylab, [(L["rg_within"], tw, WITHIN), (L["rg_between"], tb, BETWEEN)],
                                      title=L["rg_theil_chart"], desc=L["rg_theil_desc"], fmt=lambda v: f"{v:.4f}",
                                      uid="rg-theil")
    gw = [D[R].get(y, {}).get("gini_within", float("nan")) for y in years]
    gnb = [D[R].get(y, {}).get("gini_between", float("nan")) for y in years]
    gt = [D[R].get(y, {}).get("gini_trans", float("nan")) for y in years]
    ctx["gini_chart"] = stacked_bars(ylab, [(L["rg_within"], gw, WITHIN), (L["rg_net_between"], gnb, BETWEEN),
                                            (L["rg_trans"], gt, TRANS)], title=L["rg_gini_chart"],
                                     desc=L["rg_gini_desc"], percent=True, uid="rg-gini")
    ctx.update(_density_context(inp, nodes, node_name, years, year, lang, L))
    ctx.update(_depth_tables(inp, R, years, year, lang, L, names))
    ctx.update(_spatial_context(inp, R, years, year, lang, L, names))
    pal = charts.PALETTE

    def node_style(k: int) -> dict:
        return {"color": charts.INK, "marker": "square"} if k == 0 else \
            {"color": pal[k % len(pal)], "marker": ("circle", "diamond")[k % 2]}

    def node_series(col: str, src: Mapping[str, Mapping[int, Mapping]]) -> list[Series]:
        return [Series(node_name[n], [src[n].get(y, {}).get(col, float("nan")) for y in years], **node_style(k))
                for k, n in enumerate(nodes)]

    ctx["cv_chart"] = _line_chart(years, node_series("cv", C), title=L["rg_cv_chart"], desc=L["rg_cv_desc"],
                                  uid="rg-cv", width=530) if len(years) > 1 else None
    ctx["sd_chart"] = _line_chart(years, node_series("sd", C), title=L["rg_sd_chart"], desc=L["rg_sd_desc"],
                                  uid="rg-sd", width=530) if len(years) > 1 else None

    # ---- σ reading (composite)
    sigma = []
    if len(years) > 1:
        c0, c1 = C[R].get(y0, {}), C[R].get(y1, {})
        cv0, cv1, sd0, sd1 = c0.get("cv"), c1.get("cv"), c0.get("sd"), c1.get("sd")
        if _ok(cv0) and _ok(cv1):
            key = "rg_r_sigma_rel_yes" if float(cv1) < float(cv0) else "rg_r_sigma_rel_no"
            sigma.append(t(key, lang, y0=y0, y1=y1, c0=_fx(cv0, 2), c1=_fx(cv1, 2)))
        if _ok(sd0) and _ok(sd1):
            key = "rg_r_sigma_abs_yes" if float(sd1) < float(sd0) else "rg_r_sigma_abs_no"
            sigma.append(t(key, lang, s0=_fx(sd0, 1), s1=_fx(sd1, 1)))
        cvs = [C[R].get(y, {}).get("cv") for y in years]
        steps = [(a, b) for a, b in zip(cvs[:-1], cvs[1:]) if _ok(a) and _ok(b)]
        if steps:
            sigma.append(t("rg_r_sigma_years", lang, k=sum(1 for a, b in steps if float(b) < float(a)),
                            n=len(steps)))
    else:
        sigma.append(t("rg_one_year", lang))
    ctx["sigma_reading"] = sigma

    # ---- β per node
    beta_rows = []
    betas: dict[str, dict] = {}
    if len(years) > 1:
        last_in_table = int(conv["year"].max()) if conv is not None and len(conv) else None
        for n in nodes:
            b = _beta_for(inp, n, years, C[n], last_in_table)
            betas[n] = b
            sentence, verdict = _beta_reading(b, lang)
            beta_rows.append({"node": n, "name": node_name[n], "root": n == R, "verdict": verdict,
                              "sentence": sentence,
                              "cells": [cell(b.get("beta"), 4), cell(b.get("beta_se"), 4), pcell(b.get("beta_p")),
                                        cell(b.get("beta_speed"), 1, pct=True), cell(b.get("beta_half_life"), 1)],
                              "n": int(b["beta_n"]) if _ok(b.get("beta_n")) else DASH})
    ctx["beta_rows"] = beta_rows
    ctx["beta_note"] = t("rg_beta_note", lang, y0=y0, y1=y1) if len(years) > 1 else t("rg_one_year", lang)

    # ---- domains in the report year
    dom_rows = []
    for n in nodes:
        d, c = D[n].get(year, {}), C[n].get(year, {})
        cv_now, cv_then = d.get("cv"), D[n].get(y0, {}).get("cv")
        T, Tb = d.get("theil"), d.get("theil_between")
        change = float(cv_now) - float(cv_then) if _ok(cv_now) and _ok(cv_then) and y1 > y0 else float("nan")
        arrow = "" if change != change else ("▼" if change < 0 else ("▲" if change > 0 else ""))
        dom_rows.append({"node": n, "name": node_name[n], "root": n == R,
                         "cells": [cell(c.get("mean"), 1), cell(cv_then, 4), cell(cv_now, 4)],
                         "change": {"s": (arrow + " " if arrow else "") + _fx(change, 4), "v": repr(change),
                                    "cls": "down" if change > 0 else ("up" if change < 0 else "flat")},
                         "cells2": [cell(T, 4),
                                    cell(float(Tb) / float(T) if _ok(T) and _ok(Tb) and float(T) > 0 else None, 1,
                                         pct=True),
                                    cell(d.get("gini"), 4)],
                         "verdict": _beta_reading(betas[n], lang)[1] if n in betas else DASH})
    ctx["domain_rows"] = dom_rows
    ctx["cv_first_head"] = t("rg_cv_first", lang, year=y0)
    ctx["cv_now_head"] = t("rg_cv_first", lang, year=year)

    # ---- provinces: averages over the years (from region_groups), per-province charts
    G = grp if grp is not None and len(grp) else None

    def gval(node: str, g: str, y: int, col: str) -> float:
        if G is None:
            return float("nan")
        r = G_index.get((node, g, y))
        return float(r[col]) if r is not None and _ok(r.get(col)) else float("nan")

    G_index: dict[tuple, Mapping] = {}
    if G is not None:
        for r in G.to_dict("records"):
            G_index[(str(r["node"]), str(r["group"]), int(r["year"]))] = r
    prov_series = [Series(names.group(g, lang), [gval(R, g, y, "mean") for y in years], color=pal[k % len(pal)],
                          marker=("circle", "square", "diamond")[k % 3]) for k, g in enumerate(groups)]
    ctx["prov_chart"] = charts.lines(years, prov_series, lo=lo, hi=hi, title=L["rg_prov_chart"],
                                     desc=L["rg_prov_desc"], fit=True, uid="rg-prov") if G is not None else None
    prov_charts = []
    if G is not None:
        # one y range for every province, so that the charts compare at a glance
        allv = [gval(n, g, y, "mean") for n in nodes for g in groups for y in years]
        allv = [v for v in allv if v == v]
        step = (hi - lo) / 10
        plo = max(lo, math.floor((min(allv) - step / 2) / step) * step) if allv else lo
        phi = min(hi, math.ceil((max(allv) + step / 2) / step) * step) if allv else hi
        for k, g in enumerate(groups):
            gname = names.group(g, lang)
            ser = [Series(node_name[n], [gval(n, g, y, "mean") for y in years], **node_style(i))
                   for i, n in enumerate(nodes)]
            n_g = sum(1 for u in units if group_of[u] == g)
            prov_charts.append({"name": gname, "n_label": t("rg_n_city" if n_g == 1 else "rg_n_cities", lang, n=n_g),
                                "chart": charts.lines(
                years, ser, lo=plo, hi=phi, title=t("rg_prov_one", lang, group=gname),
                desc=t("rg_prov_one_desc", lang, group=gname, n=n_g), width=520, height=220, fit=False,
                uid=f"rg-prov-{k}")})
    ctx["prov_charts"] = prov_charts

    # ---- within each province in the report year: spread, top/bottom city, T_g, G_jj
    res = inp.results
    now = res[(res["node"].astype(str) == R) & (res["year"].astype(int) == int(year))]
    score_of = {str(u): float(s) for u, s in zip(now["unit"], now["score"]) if _ok(s)}
    tw_now = D[R].get(year, {}).get("theil_within")
    within_rows, single = [], []
    for g in groups:
        members = [u for u in units if group_of[u] == g and u in score_of]
        if not members:
            continue
        top = max(members, key=lambda u: (score_of[u], -units.index(u)))
        bot = min(members, key=lambda u: (score_of[u], units.index(u)))
        contrib = gval(R, g, year, "theil_contribution")
        within_rows.append({
            "group": g, "name": names.group(g, lang), "n": len(members),
            "mean": cell(gval(R, g, year, "mean"), 1),
            "top": names.label(top, lang), "top_id": top, "top_s": cell(score_of[top], 1),
            "bot": names.label(bot, lang), "bot_id": bot, "bot_s": cell(score_of[bot], 1),
            "range": cell(score_of[top] - score_of[bot], 1),
            "tg": cell(gval(R, g, year, "theil_group"), 4),
            "share": cell(contrib / float(tw_now) if _ok(tw_now) and float(tw_now) > 0 and contrib == contrib
                          else None, 1, pct=True),
            "gjj": cell(gval(R, g, year, "gini_group"), 4),
        })
        if len(members) == 1:
            single.append(t("rg_single", lang, group=names.group(g, lang), city=names.label(members[0], lang)))
    ctx["within_rows"] = within_rows
    ctx["single_notes"] = single
    ctx["within_year_rows"] = [{"name": names.group(g, lang),
                                "cells": [cell(gval(R, g, y, "theil_group"), 4) for y in years]}
                               for g in groups] if G is not None else []

    # ---- the reading
    reading = []
    d_now = D[R].get(year, {})
    T, Tw, Tb = d_now.get("theil"), d_now.get("theil_within"), d_now.get("theil_between")
    if _ok(T) and float(T) > 0:
        reading.append(t("rg_r_theil", lang, year=year, T=_fx(T, 4), b=_pct(float(Tb) / float(T), 0),
                          w=_pct(float(Tw) / float(T), 0)))
        T0 = D[R].get(y0, {}).get("theil")
        if y1 > y0 and _ok(T0):
            rel = (float(T) - float(T0)) / float(T0) if float(T0) > 0 else 0.0
            dirk = "rg_down" if rel < -0.05 else ("rg_up" if rel > 0.05 else "rg_flat")
            reading[-1] += (" " if lang == "en" else "") + t("rg_r_theil_change", lang, y0=y0, T0=_fx(T0, 4),
                                                             dir=t(dirk, lang))
    Gi = d_now.get("gini")
    if _ok(Gi) and float(Gi) > 0:
        reading.append(t("rg_r_gini", lang, G=_fx(Gi, 4), w=_pct(float(d_now["gini_within"]) / float(Gi), 0),
                          nb=_pct(float(d_now["gini_between"]) / float(Gi), 0),
                          t=_pct(float(d_now["gini_trans"]) / float(Gi), 0)))
    reading.extend(sigma[:2] if len(years) > 1 else [])
    if R in betas:
        s, _ = _beta_reading(betas[R], lang)
        if s:
            reading.append(s)
    if score_of:
        hi_u = max(units, key=lambda u: (score_of.get(u, -math.inf), -units.index(u)))
        lo_u = min(units, key=lambda u: (score_of.get(u, math.inf), units.index(u)))
        reading.append(t("rg_r_extremes", lang, year=year, hi=names.label(hi_u, lang), hs=_fx(score_of[hi_u], 1),
                          lo=names.label(lo_u, lang), ls=_fx(score_of[lo_u], 1),
                          gap=_fx(score_of[hi_u] - score_of[lo_u], 1)))
    if within_rows and len(within_rows) > 1:
        hr = max(within_rows, key=lambda r: float(r["mean"]["v"] or "-inf"))
        lr = min(within_rows, key=lambda r: float(r["mean"]["v"] or "inf"))
        one = t("rg_one_city", lang)
        reading.append(t("rg_r_provinces", lang, hi=hr["name"], hs=hr["mean"]["s"] + (one if hr["n"] == 1 else ""),
                          lo=lr["name"], ls=lr["mean"]["s"] + (one if lr["n"] == 1 else "")))
    doms = [r for r in dom_rows if not r["root"] and r["cells"][2]["v"]]
    if len(doms) > 1:
        w_ = max(doms, key=lambda r: float(r["cells"][2]["v"]))
        n_ = min(doms, key=lambda r: float(r["cells"][2]["v"]))
        reading.append(t("rg_r_domain_widest", lang, dom=w_["name"], cv=w_["cells"][2]["s"], dom2=n_["name"],
                          cv2=n_["cells"][2]["s"]))
    g = inp.tables.get("spatial")
    if g is not None and len(g):
        gr = g[(g["node"].astype(str) == R) & (g["year"].astype(int) == int(year))]
        if len(gr) and _ok(gr["moran_i"].iloc[0]):
            i_, p_ = float(gr["moran_i"].iloc[0]), gr["p_sim"].iloc[0]
            key = "rg_r_moran_pos" if i_ > 0 and _ok(p_) and float(p_) < 0.05 else \
                "rg_r_moran_neg" if i_ < 0 and _ok(p_) and float(p_) < 0.05 else "rg_r_moran_none"
            reading.append(t(key, lang, year=year, i=_fx(i_, 3), p=_p(p_)))
    ctx["reading"] = reading
    ctx["method_text"] = t("rg_method_text", lang)
    return ctx


def render_region_page(out_dir: Path, year: int, inp: ReportInput, lang: str) -> Path:
    """Write ``<out_dir>/<year>/region.html``; returns its path.

    inp : the run's :class:`ReportInput`; reads ``tables["disparity"]``,
        ``tables["convergence"]`` and ``tables["region_groups"]`` (any may be
        missing: the page then says so), ``results`` (composite scores of the
        year, and β for a year before the last), ``units`` and ``meta``.
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    ctx = region_context(inp, int(year), lang)
    html = environment(templates_dir()).get_template("region.html.j2").render(**ctx)
    path = Path(out_dir) / str(int(year)) / "region.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


__all__ = ["region_context", "render_region_page", "stacked_bars"]
