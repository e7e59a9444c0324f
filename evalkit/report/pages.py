"""Stand-alone analysis pages: ``compare.html`` and ``<year>/robustness.html``.

Both are self-contained like the scorecards (CSS inline from reports/style.css,
inline SVG charts, no script, no network), rendered with the report module's
jinja2 Environment (autoescape on, StrictUndefined) from
``reports/compare.html.j2`` and ``reports/robustness.html.j2``, which extend
``base.html.j2``.  Cities are always shown as name + code (苏州 320500 /
宿州 341300).  Fixed text comes from the report catalogue (:mod:`evalkit.i18n`,
``locale/<lang>.yaml``).

Source: README.md "Command line" (robustness.csv, compare.csv; the outputs table);
(sensitivity, compare); OECD/JRC Handbook (2008) Step 7 on presenting
uncertainty and sensitivity results.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd
from markupsafe import Markup, escape

from ..unitids import unit_label
from . import charts
from .context.common import page_common
from .context import DASH, delta_rank, delta_score, fmt_pct, fmt_rank, fmt_score, fmt_signed, ok, to_float
from ..i18n import catalogue, t
from .templates import environment, templates_dir

# ---------------------------------------------------------------- shared bits

def _env():
    return environment(templates_dir())


class _Names:
    """Unit id → "name code" from a units table (id, name_zh, name_en, group ...)."""

    def __init__(self, table: pd.DataFrame | None) -> None:
        self.rows: dict[str, dict] = {}
        if table is not None:
            for rec in table.to_dict("records"):
                self.rows[str(rec["id"])] = rec

    def name(self, uid: str, lang: str) -> str:
        r = self.rows.get(str(uid))
        if r is None:
            return ""
        zh, en = _s(r.get("name_zh")), _s(r.get("name_en"))
        return zh if lang == "zh" else (en or zh)

    def label(self, uid: str, lang: str) -> str:
        """Name and code, never the name alone (苏州 320500 / 宿州 341300)."""
        n = self.name(uid, lang)
        return unit_label(n, uid)

    def group(self, uid: str, lang: str) -> str:
        r = self.rows.get(str(uid))
        if r is None:
            return ""
        key = "group_zh" if lang == "zh" else "group_en"
        return _s(r.get(key)) or _s(r.get("group"))


def _s(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)


def _fmt_median(v: Any) -> str:
    """A median rank: whole, or with one decimal when it falls between two ranks."""
    if not ok(v):
        return DASH
    x = float(v)
    return str(int(round(x))) if abs(x - round(x)) < 1e-9 else f"{x:.1f}"


def _fmt_index(v: Any) -> str:
    return f"{float(v):.2f}".replace("-", "\u2212") if ok(v) else DASH


def _svg(width: float, height: float, title: str, desc: str, body: str, *, cls: str, uid: str) -> Markup:
    tid, did = f"{uid}-t", f"{uid}-d"
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {cls}" role="img" '
        f'aria-labelledby="{tid} {did}" viewBox="0 0 {_f(width)} {_f(height)}" '
        f'width="{_f(width)}" height="{_f(height)}" font-family="{charts.FONT}">'
        f'<title id="{tid}">{escape(title)}</title><desc id="{did}">{escape(desc)}</desc>'
        f"{body}</svg>")


def _f(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".") if x == x else "0"


def _text(x: float, y: float, s: str, *, size: float = 12, anchor: str = "start", color: str = charts.INK,
          weight: str = "", cls: str = "") -> str:
    extra = (f' font-weight="{weight}"' if weight else "") + (f' class="{cls}"' if cls else "")
    return (f'<text x="{_f(x)}" y="{_f(y)}" font-size="{size:g}" fill="{color}" text-anchor="{anchor}"{extra}>'
            f"{escape(s)}</text>")


# ---------------------------------------------------------------- charts of these pages

MEDIAN = "#111111"


def rank_interval_chart(rows: Sequence[dict], *, n_units: int, title: str, desc: str, lang: str,
                        width: float = 1040, uid: str = "rb-int") -> Markup:
    """Every unit on one rank axis 1..n_units (best at the left): whisker p05–p95, median tick, nominal dot.

    ``rows``: dicts with label, nominal, median, lo, hi (NaN allowed); one row each,
    in the given order.  x(rank) = x0 + w·(rank − 1)/(n_units − 1); the numbers
    "nominal (lo–hi)" are written at the right end of each row.
    """
    size = 12
    row_h = 19
    label_w = min(210.0, max((charts.text_width(r["label"], size) for r in rows), default=40) + 14)
    num_w = 120
    x0, x1 = label_w + 10, width - num_w - 12
    w = x1 - x0
    legend_h = 30
    top = legend_h + 26            # legend, then the upper axis labels
    plot_h = row_h * len(rows)
    height = top + plot_h + 34

    def px(rank: float) -> float:
        return x0 + (w * (rank - 1) / (n_units - 1) if n_units > 1 else w / 2)

    p = [f'<g class="plot" data-x0="{_f(x0)}" data-w="{_f(w)}" data-n="{n_units}">']
    # legend
    lx = x0
    ly = 14
    p.append(f'<circle cx="{_f(lx + 6)}" cy="{_f(ly)}" r="5" fill="{charts.GROUP}"/>')
    p.append(_text(lx + 16, ly + 4, t("rb_legend_nominal", lang), size=11))
    lx += 30 + charts.text_width(t("rb_legend_nominal", lang), 11)
    p.append(f'<line x1="{_f(lx)}" y1="{_f(ly)}" x2="{_f(lx + 26)}" y2="{_f(ly)}" stroke="{charts.CITY}" '
             f'stroke-width="5" stroke-opacity="0.45"/>')
    p.append(_text(lx + 32, ly + 4, t("rb_legend_interval", lang), size=11))
    lx += 46 + charts.text_width(t("rb_legend_interval", lang), 11)
    p.append(f'<line x1="{_f(lx + 4)}" y1="{_f(ly - 7)}" x2="{_f(lx + 4)}" y2="{_f(ly + 7)}" stroke="{MEDIAN}" '
             f'stroke-width="2"/>')
    p.append(_text(lx + 14, ly + 4, t("rb_legend_median", lang), size=11))
    # bands every other row, grid and both axes
    for i in range(0, len(rows), 2):
        p.append(f'<rect x="{_f(4)}" y="{_f(top + i * row_h)}" width="{_f(width - 8)}" height="{row_h}" '
                 f'fill="#f3f5f8"/>')
    ticks = sorted(set([1, n_units] + [t for t in charts.nice_ticks(1, n_units, 8) if 1 < t < n_units]))
    # keep tick labels apart: drop an inner tick too close to the last one
    ticks = [t for t in ticks if t in (1, n_units) or px(n_units) - px(t) > 22]
    for tv in ticks:
        x = px(tv)
        p.append(f'<line x1="{_f(x)}" y1="{_f(top - 4)}" x2="{_f(x)}" y2="{_f(top + plot_h + 4)}" '
                 f'stroke="{charts.GRID}"/>')
        p.append(_text(x, top - 8, f"{tv:g}", size=10, anchor="middle", color=charts.AXIS))
        p.append(_text(x, top + plot_h + 16, f"{tv:g}", size=10, anchor="middle", color=charts.AXIS))
    p.append(_text(x0 + w / 2, top + plot_h + 30, t("rb_axis_rank", lang), size=11, anchor="middle",
                   color=charts.AXIS))
    p.append(_text(width - 8, ly + 4, f"{t('rb_published', lang)} ({t('r_interval', lang)})", size=10,
                   anchor="end", color=charts.AXIS))
    for i, r in enumerate(rows):
        y = top + i * row_h + row_h / 2
        p.append(_text(label_w, y + 4, charts.wrap(r["label"], label_w - 8, size, 1)[0], size=size, anchor="end",
                       cls="axis-label"))
        lo, hi, med, nom = r["lo"], r["hi"], r["median"], r["nominal"]
        if ok(lo) and ok(hi):
            p.append(f'<line class="whisker" data-lo="{lo:g}" data-hi="{hi:g}" x1="{_f(px(lo))}" y1="{_f(y)}" '
                     f'x2="{_f(max(px(hi), px(lo) + 1.5))}" y2="{_f(y)}" stroke="{charts.CITY}" stroke-width="7" '
                     f'stroke-opacity="0.45" stroke-linecap="round"/>')
        if ok(med):
            p.append(f'<line class="median" data-rank="{med:g}" x1="{_f(px(med))}" y1="{_f(y - 6)}" '
                     f'x2="{_f(px(med))}" y2="{_f(y + 6)}" stroke="{MEDIAN}" stroke-width="2"/>')
        if ok(nom):
            p.append(f'<circle class="dot" data-rank="{nom:g}" cx="{_f(px(nom))}" cy="{_f(y)}" r="4.5" '
                     f'fill="{charts.GROUP}" stroke="#ffffff" stroke-width="1"/>')
        p.append(_text(width - 8, y + 4, r["numbers"], size=11, anchor="end", color=charts.INK))
    p.append("</g>")
    return _svg(width, height, title, desc, "".join(p), cls="rankint-all", uid=uid)


def sobol_chart(rows: Sequence[dict], *, title: str, desc: str, lang: str, width: float = 760,
                uid: str = "rb-sobol") -> Markup:
    """Per factor two bars, first-order (light) and total-order (dark), each with its CI whisker.

    ``rows``: dicts with label, S1, S1_low, S1_high, ST, ST_low, ST_high.  Axis 0..hi
    with hi = max(1, the largest upper CI bound) rounded up to a tenth; bars below
    0 are drawn at 0 (the value is written beside it).
    """
    size = 12
    bar_h = 12
    row_h = 2 * bar_h + 16
    label_w = min(250.0, max((charts.text_width(r["label"], size) for r in rows), default=40) + 14)
    x0 = label_w + 8
    x1 = width - 60
    w = x1 - x0
    highs = [float(v) for r in rows for v in (r["ST_high"], r["S1_high"], r["ST"], r["S1"]) if ok(v)]
    hi = max([1.0] + highs)
    hi = math.ceil(hi * 10 - 1e-9) / 10
    legend_h = 28
    top = legend_h + 6
    height = top + row_h * len(rows) + 30

    def px(v: float) -> float:
        return x0 + w * min(max(v, 0.0), hi) / hi

    light, dark = "#9ecae1", charts.CITY
    p = [f'<g class="plot" data-x0="{_f(x0)}" data-w="{_f(w)}" data-hi="{hi:g}">']
    lx = x0
    for color, key in ((light, "rb_first"), (dark, "rb_total")):
        p.append(f'<rect x="{_f(lx)}" y="6" width="18" height="11" fill="{color}"/>')
        p.append(_text(lx + 24, 16, t(key, lang), size=11))
        lx += 40 + charts.text_width(t(key, lang), 11)
    p.append(f'<line x1="{_f(lx)}" y1="11.5" x2="{_f(lx + 22)}" y2="11.5" stroke="{charts.INK}" stroke-width="1.2"/>')
    p.append(_text(lx + 28, 16, t("rb_ci", lang), size=11))
    axis_y = top + row_h * len(rows)
    for tv in charts.nice_ticks(0, hi, 5):
        x = px(tv)
        p.append(f'<line x1="{_f(x)}" y1="{_f(top)}" x2="{_f(x)}" y2="{_f(axis_y + 3)}" stroke="{charts.GRID}"/>')
        p.append(_text(x, axis_y + 15, f"{tv:g}", size=10, anchor="middle", color=charts.AXIS))
    p.append(f'<line x1="{_f(x0)}" y1="{_f(top)}" x2="{_f(x0)}" y2="{_f(axis_y)}" stroke="{charts.AXIS}"/>')
    for i, r in enumerate(rows):
        y = top + i * row_h + 8
        p.append(_text(label_w, y + bar_h + 5, charts.wrap(r["label"], label_w - 8, size, 1)[0], size=size,
                       anchor="end", cls="axis-label"))
        for j, (key, color) in enumerate((("S1", light), ("ST", dark))):
            v = to_float(r[key])
            yy = y + j * bar_h
            if ok(v):
                p.append(f'<rect class="bar {key}" data-value="{v:.6g}" x="{_f(x0)}" y="{_f(yy)}" '
                         f'width="{_f(px(v) - x0)}" height="{bar_h - 1}" fill="{color}"/>')
                lo_, hi_ = to_float(r[f"{key}_low"]), to_float(r[f"{key}_high"])
                if ok(lo_) and ok(hi_):
                    cy = yy + (bar_h - 1) / 2
                    p.append(f'<line class="ci" x1="{_f(px(lo_))}" y1="{_f(cy)}" x2="{_f(px(hi_))}" y2="{_f(cy)}" '
                             f'stroke="{charts.INK}" stroke-width="1.2"/>')
                    for e in (lo_, hi_):
                        p.append(f'<line x1="{_f(px(e))}" y1="{_f(cy - 3)}" x2="{_f(px(e))}" y2="{_f(cy + 3)}" '
                                 f'stroke="{charts.INK}" stroke-width="1.2"/>')
                    end = max(px(v), px(hi_))
                else:
                    end = px(v)
                p.append(_text(end + 5, yy + bar_h - 2, _fmt_index(v), size=10, color=charts.INK))
    p.append("</g>")
    return _svg(width, height, title, desc, "".join(p), cls="sobol", uid=uid)


# ---------------------------------------------------------------- robustness page

def _factor_label(name: str, lang: str) -> str:
    key = f"factor_{name}"
    return t(key, lang) if key in catalogue(lang) else name


def _option_label(opt: Any, lang: str) -> str:
    key = f"option_{opt}"
    return t(key, lang) if key in catalogue(lang) else str(opt)


def _factor_options(name: str, options: Any, sens: Mapping[str, Any], lang: str) -> str:
    """The options of a factor in plain words."""
    if name == "weights":
        if sens.get("noise_kind") == "dirichlet":
            return t("factor_weights_dir", lang, c=f"{to_float(sens.get('concentration')):g}")
        noise = sens.get("noise")
        if isinstance(noise, Mapping):
            share = " / ".join(f"{100 * float(v):g}%" for _, v in sorted(noise.items()))
        elif ok(noise):
            share = f"{100 * float(noise):g}%"
        else:
            share = "?"
        return t("factor_weights_opt", lang, share=share)
    if name == "judgments":
        steps = sens.get("judgment_steps")
        return t("factor_judgments_opt", lang, steps=steps if steps is not None else 1)
    if isinstance(options, str):
        opts = [o.strip() for o in options.split(",") if o.strip()]
    else:
        opts = list(options or [])
    sep = "、" if lang == "zh" else ", "
    return sep.join(_option_label(o, lang) for o in opts)


def robustness_context(year: int, robustness_df: pd.DataFrame, sobol_df: pd.DataFrame | None,
                       units_table: pd.DataFrame | None, meta: Mapping[str, Any], lang: str) -> dict:
    """Everything the robustness page shows, formatted."""
    from ..version import __version__

    names = _Names(units_table)
    rob = robustness_df[robustness_df["year"].astype(int) == int(year)].copy()
    if units_table is not None:  # units-file order breaks ties of the nominal rank
        order = {str(u): i for i, u in enumerate(units_table["id"])}
        rob["_o"] = rob["unit"].astype(str).map(order).fillna(len(order))
    else:
        rob["_o"] = range(len(rob))
    rob["_n"] = pd.to_numeric(rob["nominal_rank"], errors="coerce")
    rob = rob.sort_values(["_n", "_o"], na_position="last")
    n_units = len(rob)
    sens = dict(meta.get("sensitivity") or {})
    title = dict(meta.get("title") or {})
    man = meta.get("manifest") or {}
    version = str(man.get("version") or __version__)
    year_label = t("year_n", lang, year=year)
    ctx = page_common(lang=lang, title=title, synthetic=bool(meta.get("synthetic")), year_label=year_label,
                       page_title=f"{t('rb_title', lang)} · {year_label} · {title.get(lang) or title.get('zh', '')}",
                       version=version)
    ctx["year"] = year
    ctx["n_units"] = n_units

    # table and chart rows
    rows = []
    for r in rob.to_dict("records"):
        uid = str(r["unit"])
        nom, med, lo, hi = (to_float(r.get(k)) for k in ("nominal_rank", "median_rank", "rank_p05", "rank_p95"))
        # ranks are whole places: widen fractional percentiles outwards so "at least 90 %" stays true
        lo = float(math.floor(lo + 1e-9)) if ok(lo) else lo
        hi = float(math.ceil(hi - 1e-9)) if ok(hi) else hi
        label = names.label(uid, lang)
        width = (int(round(hi)) - int(round(lo))) if ok(lo) and ok(hi) else None
        rows.append({
            "id": uid, "label": label, "group": names.group(uid, lang),
            "nominal": nom, "median": med, "lo": lo, "hi": hi,
            "nominal_s": fmt_rank(nom), "median_s": _fmt_median(med),
            "interval_s": f"{fmt_rank(lo)}–{fmt_rank(hi)}" if ok(lo) and ok(hi) else DASH,
            "width": width, "width_s": str(width) if width is not None else DASH,
            "p_top5": fmt_pct(r.get("p_top5"), 0), "p_bottom5": fmt_pct(r.get("p_bottom5"), 0),
            "p_top5_v": to_float(r.get("p_top5")),
            "numbers": f"{fmt_rank(nom)} ({fmt_rank(lo)}–{fmt_rank(hi)})" if ok(lo) and ok(hi) else fmt_rank(nom),
            "sentence": t("rb_city_sentence", lang, city=label, rank=fmt_rank(nom), lo=fmt_rank(lo),
                           hi=fmt_rank(hi), median=_fmt_median(med)) if ok(lo) and ok(hi) else "",
        })
    ctx["rows"] = rows
    ranked = [r for r in rows if ok(r["nominal"])]
    n_rank = max(n_units, 2)
    max_chart = 150
    shown = rows[:max_chart]
    ctx["chart_note"] = t("rb_chart_too_many", lang, n=n_units, k=max_chart) if n_units > max_chart else ""
    ctx["chart"] = rank_interval_chart(shown, n_units=n_rank, title=t("rb_chart_title", lang, year=year),
                                       desc=t("rb_chart_desc", lang), lang=lang) if shown else None

    # setup: the choices and how many evaluations
    factors = []
    sob_rows = []
    if sobol_df is not None and len(sobol_df):
        for r in sobol_df.to_dict("records"):
            name = str(r["factor"])
            label = _factor_label(name, lang)
            opts = _factor_options(name, r.get("options"), sens, lang)
            factors.append({"name": name, "label": label, "options": opts})
            sob_rows.append({"name": name, "label": label, "options": opts,
                             "S1": to_float(r["S1"]), "S1_low": to_float(r["S1_low"]), "S1_high": to_float(r["S1_high"]),
                             "ST": to_float(r["ST"]), "ST_low": to_float(r["ST_low"]), "ST_high": to_float(r["ST_high"])})
    ctx["factors"] = factors
    for s in sob_rows:
        s["S1_s"] = _fmt_index(s["S1"])
        s["ST_s"] = _fmt_index(s["ST"])
        s["S1_ci"] = f"{_fmt_index(s['S1_low'])} – {_fmt_index(s['S1_high'])}"
        s["ST_ci"] = f"{_fmt_index(s['ST_low'])} – {_fmt_index(s['ST_high'])}"
    by_st = sorted(sob_rows, key=lambda s: (-s["ST"] if ok(s["ST"]) else math.inf, s["name"]))
    ctx["sobol_rows"] = by_st
    ctx["sobol_chart"] = sobol_chart(by_st, title=t("rb_sobol_title", lang), desc=t("rb_sobol_desc", lang),
                                     lang=lang) if by_st else None
    evals = sens.get("evaluations")
    draws = sens.get("draws")
    seed = sens.get("seed")
    if evals is not None and draws is not None and seed is not None:
        ctx["setup"] = t("rb_setup", lang, evals=f"{int(evals):,}", draws=f"{int(draws):,}", seed=seed)
    else:
        ctx["setup"] = t("rb_setup_short", lang, evals=f"{int(evals):,}" if evals is not None else "?")
    ctx["method_text"] = t("rb_method_text", lang, draws=f"{int(draws):,}" if draws is not None else "N",
                            d=len(factors), evals=f"{int(evals):,}" if evals is not None else "N (d + 2)")

    # the reading, in plain words
    reading: list[str] = []
    shift = sens.get("mean_abs_rank_shift")
    if ok(shift):
        reading.append(t("rb_shift", lang, shift=f"{float(shift):.1f}"))
    widths = [r for r in rows if r["width"] is not None]
    if widths:
        narrow = max(3, int(round(0.1 * n_units)))  # a tenth of the field
        k = sum(1 for r in widths if r["width"] <= narrow)
        reading.append(t("rb_stable", lang, k=k, n=n_units, w=narrow))
        widest = sorted(widths, key=lambda r: (-r["width"], r["nominal"] if ok(r["nominal"]) else math.inf))[:3]
        sep = "；" if lang == "zh" else "; "
        reading.append(t("rb_unstable", lang, cities=sep.join(
            f"{r['label']}（{r['interval_s']}）" if lang == "zh" else f"{r['label']} ({r['interval_s']})"
            for r in widest)))
        sure = [r for r in ranked if ok(r["p_top5_v"]) and r["p_top5_v"] >= 0.9]
        sep2 = "、" if lang == "zh" else ", "
        reading.append(t("rb_top_sure", lang, cities=sep2.join(r["label"] for r in sure)) if sure
                       else t("rb_top_none", lang))
    if by_st and ok(by_st[0]["ST"]):
        f0 = by_st[0]
        reading.append(t("rb_factor_most", lang, factor=f0["label"], st=f"{100 * min(max(f0['ST'], 0), 1):.0f}%",
                          st_num=_fmt_index(f0["ST"]), lo=_fmt_index(f0["ST_low"]), hi=_fmt_index(f0["ST_high"])))
        if len(by_st) > 2:
            reading.append(t("rb_factor_next", lang, factor=by_st[1]["label"], st_num=_fmt_index(by_st[1]["ST"])))
        if len(by_st) > 1:
            reading.append(t("rb_factor_least", lang, factor=by_st[-1]["label"],
                              st_num=_fmt_index(by_st[-1]["ST"])))
        s1sum = sum(max(s["S1"], 0.0) for s in sob_rows if ok(s["S1"]))
        if len(sob_rows) > 1 and s1sum < 0.6:
            reading.append(t("rb_factor_interact", lang, sum=f"{s1sum:.2f}"))
    ctx["reading"] = reading
    examples = []
    if ranked:
        picks = [ranked[0], ranked[len(ranked) // 2]]
        if widths:
            picks.append(max(widths, key=lambda r: (r["width"], -(r["nominal"] if ok(r["nominal"]) else 0))))
        seen = set()
        for r in picks:
            if r["id"] not in seen and r["sentence"]:
                examples.append(r["sentence"])
                seen.add(r["id"])
    ctx["examples"] = examples
    ctx["missing_note"] = t("rb_missing_note", lang) if any(
        not ok(r["lo"]) for r in rows) or bool(sens.get("some_unranked")) else ""
    return ctx


def render_robustness_page(out_dir: Path, year: int, robustness_df: pd.DataFrame, sobol_df: pd.DataFrame | None,
                           units_table: pd.DataFrame | None, meta: Mapping[str, Any], lang: str) -> Path:
    """Write ``<out_dir>/<year>/robustness.html``; returns its path.

    robustness_df : robustness.csv (unit, year, nominal_rank, median_rank, rank_p05, rank_p95,
        p_top5, p_bottom5); rows of other years are ignored.
    sobol_df : sobol.csv (factor, options, S1, S1_low, S1_high, ST, ST_low, ST_high) or None.
    units_table : id, name_zh, name_en, group (names shown as "name code").
    meta : the report meta (title, synthetic, manifest ...) plus optional ``sensitivity``:
        {draws, evaluations, seed, noise, noise_kind, concentration, judgment_steps, mean_abs_rank_shift}.
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    ctx = robustness_context(int(year), robustness_df, sobol_df, units_table, meta, lang)
    ctx["coverage_banner"] = (meta.get("coverage_banner") or {}).get(lang, "")  # a half-collected year
    html = _env().get_template("robustness.html.j2").render(**ctx)
    path = Path(out_dir) / str(int(year)) / "robustness.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


# ---------------------------------------------------------------- compare page

def _variant(result, label: str, lang: str) -> dict:
    """What a variant is: its source, normalisation, aggregation and domain weights."""
    s = result.settings
    tree = result.tree
    gw = {n.id: float(result.global_weight[tree.index[n.id]]) for n in tree.domains}
    root_w = result.weighting.get(tree.root.id)
    method = getattr(root_w, "method", "") or ""
    return {
        "label": label,
        "normalize": f"{_option_label(s.normalize, lang)} ({s.normalize}, {s.scope})",
        "aggregate": f"{_option_label(s.aggregate, lang)} ({s.aggregate})",
        "root_method": _method_label(method, lang),
        "domain_weights": gw,
    }


def _method_label(method: str, lang: str) -> str:
    """A weighting method in plain words, the YAML word beside it: "熵权法 (entropy)"."""
    if not method:
        return ""
    base = method.partition(":")[0]
    words = _option_label(base, lang)
    return f"{words} ({method})" if words != method else method


def _signed3(v: float) -> str:
    if not ok(v):
        return DASH
    r = round(float(v), 3)
    return "0.000" if r == 0 else ("+" if r > 0 else "\u2212") + f"{abs(r):.3f}"


def compare_context(a, b, table: pd.DataFrame, corr: pd.DataFrame, label_a: str, label_b: str,
                    lang: str) -> dict:
    from ..version import __version__

    project = a.inputs.project
    names = _Names(a.inputs.units.table)
    tree = a.tree
    root = tree.root
    domains = list(tree.domains)
    nodes = [root] + domains
    last = int(a.years[-1])
    title = {"zh": project.title.zh, "en": project.title.en}
    ctx = page_common(lang=lang, title=title, synthetic=bool(project.synthetic),
                       year_label=f"{a.years[0]}–{a.years[-1]}",
                       page_title=f"{t('cp_title', lang)} · {title.get(lang) or title['zh']}", version=__version__)
    va, vb = _variant(a, label_a, lang), _variant(b, label_b, lang)
    ctx["variants"] = [dict(va, key="A"), dict(vb, key="B")]
    ctx["domain_weight_rows"] = [
        {"name": d.name.get(lang), "a": f"{va['domain_weights'][d.id]:.3f}", "b": f"{vb['domain_weights'][d.id]:.3f}",
         "delta": _signed3(vb["domain_weights"][d.id] - va["domain_weights"][d.id])}
        for d in domains]
    ctx["root_name"] = root.name.get(lang)
    ctx["last_year"] = last

    # correlations: rows = node, columns = years (ρ, τ)
    years = [int(y) for y in a.years]
    ctx["years"] = years
    cmap = {(int(r["year"]), str(r["node"])): r for r in corr.to_dict("records")}
    corr_rows = []
    for n in nodes:
        cells = []
        for y in years:
            r = cmap.get((y, n.id), {})
            rho, tau = to_float(r.get("spearman")), to_float(r.get("kendall"))
            cells.append({"rho": f"{rho:.3f}" if ok(rho) else DASH, "tau": f"{tau:.3f}" if ok(tau) else DASH,
                          "low": ok(rho) and rho < 0.9})
        corr_rows.append({"name": n.name.get(lang), "root": n is root, "cells": cells})
    ctx["corr_rows"] = corr_rows

    # shifts in the last year
    shifts = table[table["year"].astype(int) == last]
    by = {(str(r["unit"]), str(r["node"])): r for r in shifts.to_dict("records")}
    units = [str(u) for u in a.units]
    shift_rows = []
    for uid in units:
        r = by.get((uid, root.id), {})
        rs = to_float(r.get("rank_shift"))
        doms = []
        for d in domains:
            rd = by.get((uid, d.id), {})
            doms.append({"rank": delta_rank(rd.get("rank_b"), rd.get("rank_a"), lang),
                         "score": fmt_signed(rd.get("score_shift")),
                         "ab": f"{fmt_rank(rd.get('rank_a'))} → {fmt_rank(rd.get('rank_b'))}"})
        shift_rows.append({
            "id": uid, "label": names.label(uid, lang), "group": names.group(uid, lang),
            "rank_a": fmt_rank(r.get("rank_a")), "rank_b": fmt_rank(r.get("rank_b")),
            "score_a": fmt_score(r.get("score_a")), "score_b": fmt_score(r.get("score_b")),
            "d_rank": delta_rank(r.get("rank_b"), r.get("rank_a"), lang),
            "d_score": delta_score(r.get("score_b"), r.get("score_a")),
            "domains": doms,
            "_abs": abs(rs) if ok(rs) else -1.0, "_ra": to_float(r.get("rank_a")),
        })
    shift_rows.sort(key=lambda x: (-x["_abs"], x["_ra"] if ok(x["_ra"]) else math.inf, x["id"]))
    ctx["shift_rows"] = shift_rows
    ctx["domain_names"] = [d.name.get(lang) for d in domains]

    # reading
    reading = []
    c = cmap.get((last, root.id), {})
    rho = to_float(c.get("spearman"))
    if ok(rho):
        reading.append(t("cp_agree" if rho >= 0.9 else "cp_differ", lang, year=last, rho=f"{rho:.3f}"))
    moved = [x for x in shift_rows if x["_abs"] > 0]
    if moved:
        m = int(moved[0]["_abs"])
        top = [x["label"] for x in moved if x["_abs"] == m][:3]
        sep = "、" if lang == "zh" else ", "
        reading.append(t("cp_moved", lang, k=len(moved), n=len(units), m=m, cities=sep.join(top)))
    else:
        reading.append(t("cp_none_moved", lang))
    dom_rho = [(to_float(cmap.get((last, d.id), {}).get("spearman")), d) for d in domains]
    dom_rho = [(v, d) for v, d in dom_rho if ok(v)]
    if dom_rho and moved:
        v, d = min(dom_rho, key=lambda x: x[0])
        if v < 1:
            reading.append(t("cp_domain_most", lang, domain=d.name.get(lang), rho=f"{v:.3f}"))
    ctx["reading"] = reading
    return ctx


def render_compare_page(path: Path, a, b, table: pd.DataFrame, corr: pd.DataFrame, label_a: str, label_b: str,
                        lang: str, back: str | None = None) -> Path:
    """Write ``compare.html``: what A and B are, rank correlations per year, last year's shifts per city.

    a, b : :class:`evalkit.pipeline.Result` of the same project (tree, units, years).
    table : compare.csv (unit, year, node, score_a, score_b, score_shift, rank_a, rank_b, rank_shift).
    corr : :func:`evalkit.analysis.compare.rank_correlations` (year, node, spearman, kendall, max_abs_rank_shift).
    back : the overview beside it (``2024/index.html``), linked at the top; None: no link.
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    ctx = compare_context(a, b, table, corr, label_a, label_b, lang)
    ctx["back_href"] = back
    html = _env().get_template("compare.html.j2").render(**ctx)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


__all__ = ["render_compare_page", "render_robustness_page", "robustness_context", "compare_context",
           "rank_interval_chart", "sobol_chart"]
