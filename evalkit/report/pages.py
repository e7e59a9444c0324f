"""Stand-alone analysis pages: ``compare.html`` and ``<year>/robustness.html``.

Both are self-contained like the scorecards (CSS inline from reports/style.css,
inline SVG charts, no script, no network), rendered with the report module's
jinja2 Environment (autoescape on, StrictUndefined) from
``reports/compare.html.j2`` and ``reports/robustness.html.j2``, which extend
``base.html.j2``.  Cities are always shown as name + code (苏州 320500 /
宿州 341300).  Fixed text comes from :mod:`evalkit.report.i18n` and, for the
strings only these pages use, from :data:`MESSAGES` here (same shape).

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

from . import charts
from .context import DASH, delta_rank, delta_score, fmt_pct, fmt_rank, fmt_score, fmt_signed, ok
from .i18n import catalogue
from .templates import environment, templates_dir

# Strings of these two pages only (zh / en); ``L.key`` in the templates sees
# these merged over the report catalogue.
MESSAGES: dict[str, dict[str, str]] = {
    # robustness page
    "rb_title": {"zh": "排名稳健性分析", "en": "Robustness of the ranking"},
    "rb_lead": {"zh": "若换用其他同样合理的方法（权重、标准化、合成方式等），各城市的名次会怎样变化？",
                "en": "How would each city's rank change under other, equally reasonable method choices "
                      "(weights, normalisation, aggregation, ...)?"},
    "rb_setup": {"zh": "共重新计算 {evals} 次（{draws} 组基础抽样，随机种子 {seed}），每次随机组合以下方法选择：",
                 "en": "The ranking was recomputed {evals} times ({draws} base samples, seed {seed}), each time "
                       "with a random combination of these choices:"},
    "rb_setup_short": {"zh": "共重新计算 {evals} 次，每次随机组合以下方法选择：",
                       "en": "The ranking was recomputed {evals} times, each with a random combination of:"},
    "rb_sec_reading": {"zh": "主要结论", "en": "Main findings"},
    "rb_sec_chart": {"zh": "各城市名次区间", "en": "Rank interval of every city"},
    "rb_sec_factors": {"zh": "哪项方法选择影响最大", "en": "Which choice matters most"},
    "rb_sec_table": {"zh": "名次区间明细", "en": "Rank intervals in detail"},
    "rb_sec_method": {"zh": "方法说明", "en": "How this was computed"},
    "rb_how": {"zh": "读图方法：橙色圆点为名义名次（按项目自身方法计算、即报告中公布的名次），蓝色横线覆盖 90% 重新计算结果的名次范围（第 5 至第 95 百分位），"
                     "黑色竖线为中位名次。横线越短，名次越稳健。",
               "en": "How to read: the orange dot is the nominal rank (the project's own method: the rank published in "
                     "the scorecards), the blue bar "
                     "spans the ranks of 90% of the recomputations (5th to 95th percentile), the black tick is the "
                     "median rank. The shorter the bar, the more robust the rank."},
    "rb_city_sentence": {"zh": "{city}：名次 {rank}；在至少 90% 的合理方法选择下介于第 {lo} 至第 {hi} 名之间（中位数 {median}）。",
                         "en": "{city}: rank {rank}, between {lo} and {hi} in at least 90% of reasonable method choices "
                               "(median {median})."},
    "rb_shift": {"zh": "平均而言，一次重新计算使城市名次偏离名义名次 {shift} 位。",
                 "en": "On average, a recomputation moves a city {shift} places away from its nominal rank."},
    "rb_stable": {"zh": "{k} / {n} 个城市的 90% 区间宽度不超过 {w} 位，名次较稳健。",
                  "en": "{k} of {n} cities have a 90% interval spanning at most {w} places: their rank is robust."},
    "rb_unstable": {"zh": "名次最不确定的城市（区间最宽）：{cities}。解读这些城市的名次应格外谨慎。",
                    "en": "Least certain ranks (widest intervals): {cities}. Read these ranks with particular care."},
    "rb_top_sure": {"zh": "在至少 90% 的重新计算中位列前五：{cities}。",
                    "en": "In the top five in at least 90% of the recomputations: {cities}."},
    "rb_top_none": {"zh": "没有城市在 90% 以上的重新计算中稳居前五。",
                    "en": "No city is in the top five in 90% or more of the recomputations."},
    "rb_factor_most": {"zh": "影响名次最大的是「{factor}」：连同其与其他选择的交互作用，约占名次变动方差的 {st}（总效应指数 {st_num}，95% 置信区间 {lo}–{hi}）。",
                       "en": "The choice that matters most is \"{factor}\": with its interactions it accounts for "
                             "about {st} of the variance of the rank shifts (total-order index {st_num}, 95% "
                             "confidence interval {lo}–{hi})."},
    "rb_factor_next": {"zh": "其次是「{factor}」（总效应指数 {st_num}）。", "en": "Next comes \"{factor}\" "
                                                                          "(total-order index {st_num})."},
    "rb_factor_least": {"zh": "影响最小的是「{factor}」（总效应指数 {st_num}）。",
                        "en": "The least influential is \"{factor}\" (total-order index {st_num})."},
    "rb_factor_interact": {"zh": "各项一阶指数之和仅为 {sum}，说明名次变动主要来自多项选择的共同作用，而非单一选择。",
                           "en": "The first-order indices sum to only {sum}: rank shifts come mostly from choices "
                                 "acting together rather than from any single one."},
    "rb_chart_title": {"zh": "{year}年各城市名次区间（按名义名次排序）",
                       "en": "Rank intervals of the cities, {year} (by nominal rank)"},
    "rb_chart_desc": {"zh": "圆点：名义名次；横线：5%—95% 区间；竖线：中位名次。名次 1 为最佳（左）。",
                      "en": "Dot: nominal rank; bar: 5th–95th percentile; tick: median rank. Rank 1 (best) at left."},
    "rb_chart_too_many": {"zh": "城市数量较多（{n} 个），图中仅显示名义名次前 {k} 位，其余见下表。",
                          "en": "Many units ({n}): the chart shows the first {k} by nominal rank; see the table for all."},
    "rb_axis_rank": {"zh": "名次（1 = 最佳）", "en": "Rank (1 = best)"},
    "rb_legend_nominal": {"zh": "名义名次", "en": "Nominal rank"},
    "rb_legend_interval": {"zh": "90% 区间（5%—95%）", "en": "90% interval (5th–95th percentile)"},
    "rb_legend_median": {"zh": "中位名次", "en": "Median rank"},
    "rb_sobol_title": {"zh": "各项方法选择的敏感性指数（Sobol）", "en": "Sensitivity indices of the choices (Sobol)"},
    "rb_sobol_desc": {"zh": "浅色：一阶指数（单独作用）；深色：总效应指数（含交互作用）；细线：95% 置信区间。",
                      "en": "Light: first-order index (the choice alone); dark: total-order index (with "
                            "interactions); thin line: 95% confidence interval."},
    "rb_first": {"zh": "一阶指数 S1（单独作用）", "en": "First-order S1 (alone)"},
    "rb_total": {"zh": "总效应指数 ST（含交互）", "en": "Total-order ST (with interactions)"},
    "rb_ci": {"zh": "95% 置信区间", "en": "95% CI"},
    "rb_factor": {"zh": "方法选择", "en": "Choice"},
    "rb_options": {"zh": "备选项", "en": "Options"},
    "rb_width": {"zh": "区间宽度", "en": "Width"},
    "rb_sobol_note": {"zh": "指数衡量各选择对“名次平均偏移”方差的贡献（0 = 无影响，1 = 全部）。估计值（或其置信区间）略低于 0 或高于 1 属于抽样误差，分别按 0 或 1 理解；抽样次数越多，估计越精确。",
                      "en": "The indices measure each choice's share of the variance of the mean absolute rank "
                            "shift (0 = no influence, 1 = all of it). Estimates (or interval bounds) slightly below 0 "
                            "or above 1 are sampling noise: read them as 0 or 1; more draws give sharper estimates."},
    "rb_method_text": {"zh": "抽样采用 Saltelli 设计（Saltelli 等，2010）：{draws} 组基础样本 × （{d} 项选择 + 2）= {evals} 次计算；每次计算按所抽选择重新计算综合得分与名次。每个城市的名次区间取全部计算结果的第 5 和第 95 百分位；敏感性指数的输出量为全部城市相对名义名次的平均绝对名次偏移，一阶和总效应指数按 Saltelli (2010) 与 Jansen (1999) 估计，95% 置信区间由自助法（bootstrap）得到。参见 OECD/JRC《构建综合指数手册》（2008）第 7 步。",
                       "en": "Sampling follows the Saltelli design (Saltelli et al. 2010): {draws} base samples × "
                             "({d} choices + 2) = {evals} evaluations, each recomputing the composite scores and "
                             "ranks under the sampled choices. A city's interval is the 5th and 95th percentile of "
                             "its ranks over all evaluations; the sensitivity indices decompose the variance of the "
                             "mean absolute rank shift from the nominal ranks (first order: Saltelli 2010, total "
                             "order: Jansen 1999), with 95% bootstrap confidence intervals. See the OECD/JRC Handbook on "
                             "Constructing Composite Indicators (2008), Step 7."},
    "rb_missing_note": {"zh": "部分城市在某些方法选择下（如不插补缺失值）数据不足、无法排名，这些计算不计入其区间。",
                        "en": "Some cities cannot be ranked under some choices (e.g. without imputation, too much is "
                              "missing); those evaluations are left out of their interval."},
    "rb_published": {"zh": "名义名次", "en": "Nominal rank"},
    # factors and their options, in plain words
    "f_weights": {"zh": "权重扰动", "en": "Weight noise"},
    "f_weights_opt": {"zh": "每个权重在 ±{share} 范围内随机变动后重新归一", "en": "each weight moved by up to ±{share}, then renormalised"},
    "f_weights_dir": {"zh": "权重按 Dirichlet 分布（集中度 {c}）随机变动", "en": "weights drawn from a Dirichlet (concentration {c})"},
    "f_judgments": {"zh": "层次分析法判断值", "en": "AHP judgments"},
    "f_judgments_opt": {"zh": "每个两两比较判断在 1–9 标度上移动 ±{steps} 级", "en": "each pairwise judgment moved ±{steps} step(s) on the 1–9 scale"},
    "f_normalize": {"zh": "标准化方法", "en": "Normalisation method"},
    "f_aggregate": {"zh": "合成方法", "en": "Aggregation method"},
    "f_weighting": {"zh": "赋权方法", "en": "Weighting method"},
    "f_impute": {"zh": "缺失值插补", "en": "Imputation of missing values"},
    "o_minmax": {"zh": "极差标准化", "en": "min–max"},
    "o_zscore": {"zh": "Z 分数", "en": "z-score"},
    "o_rank": {"zh": "排序", "en": "rank"},
    "o_goalpost": {"zh": "目标值法", "en": "goalposts"},
    "o_arithmetic": {"zh": "算术加权", "en": "arithmetic mean"},
    "o_geometric": {"zh": "几何加权", "en": "geometric mean"},
    "o_topsis": {"zh": "TOPSIS", "en": "TOPSIS"},
    "o_nominal": {"zh": "原方案", "en": "the project's scheme"},
    "o_entropy": {"zh": "熵权法", "en": "entropy"},
    "o_ahp": {"zh": "层次分析法", "en": "AHP"},
    "o_combined": {"zh": "组合赋权", "en": "combined"},
    "o_equal": {"zh": "等权", "en": "equal weights"},
    "o_True": {"zh": "插补", "en": "imputed"},
    "o_fixed": {"zh": "固定权重", "en": "fixed weights"},
    "o_critic": {"zh": "CRITIC 法", "en": "CRITIC"},
    "o_cv": {"zh": "变异系数法", "en": "coefficient of variation"},
    "o_False": {"zh": "不插补", "en": "not imputed"},
    # compare page
    "cp_title": {"zh": "方案比较", "en": "Comparing two variants"},
    "cp_lead": {"zh": "同一数据、两种方案（A 与 B）下的得分与名次差异。变化 = B − A；▲ 表示在 B 下名次上升（更好）。",
                "en": "Scores and ranks of the same data under two variants (A and B). Shift = B − A; ▲ means a "
                      "better rank under B."},
    "cp_sec_what": {"zh": "比较的两个方案", "en": "What is compared"},
    "cp_sec_reading": {"zh": "主要结论", "en": "Main findings"},
    "cp_sec_corr": {"zh": "名次相关系数（各年份）", "en": "Rank correlations by year"},
    "cp_sec_shifts": {"zh": "{year}年各城市名次与得分变化（按综合名次变化幅度排序）",
                      "en": "Rank and score shifts per city, {year} (largest composite rank shift first)"},
    "cp_variant": {"zh": "方案", "en": "Variant"},
    "cp_source": {"zh": "来源", "en": "Defined by"},
    "cp_normalize": {"zh": "标准化", "en": "Normalisation"},
    "cp_aggregate": {"zh": "合成", "en": "Aggregation"},
    "cp_domain_weights": {"zh": "一级领域权重", "en": "Domain weights"},
    "cp_weight_method": {"zh": "赋权方法", "en": "Weighting method"},
    "cp_corr_note": {"zh": "Spearman ρ 与 Kendall τ 衡量两种方案名次的一致程度：1 = 完全一致，0 = 无关。一般认为 ρ ≥ 0.9 表示排名基本一致。",
                     "en": "Spearman's ρ and Kendall's τ measure how far the two rankings agree: 1 = identical, "
                           "0 = unrelated. ρ ≥ 0.9 is usually read as broad agreement."},
    "cp_max_shift": {"zh": "最大名次变化", "en": "Largest rank shift"},
    "cp_rank_ab": {"zh": "名次 A → B", "en": "Rank A → B"},
    "cp_score_ab": {"zh": "得分 A → B", "en": "Score A → B"},
    "cp_rank_shift": {"zh": "名次变化", "en": "Rank shift"},
    "cp_score_shift": {"zh": "得分变化", "en": "Score shift"},
    "cp_domains_note": {"zh": "各领域列：名次变化（箭头）及得分变化（小字）。",
                        "en": "Domain columns: rank shift (arrow) and score shift (small)."},
    "cp_agree": {"zh": "{year}年两种方案的综合名次高度一致（Spearman ρ = {rho}）。",
                 "en": "In {year} the two variants rank the cities in broadly the same order (Spearman ρ = {rho})."},
    "cp_differ": {"zh": "{year}年两种方案的综合名次差异明显（Spearman ρ = {rho}），选择哪种方案会影响结论。",
                  "en": "In {year} the two variants rank the cities noticeably differently (Spearman ρ = {rho}): "
                        "the choice between them matters for the conclusions."},
    "cp_moved": {"zh": "{k} / {n} 个城市的综合名次发生变化，最大变化 {m} 位（{cities}）。",
                 "en": "{k} of {n} cities change composite rank; the largest shift is {m} places ({cities})."},
    "cp_none_moved": {"zh": "没有城市的综合名次发生变化。", "en": "No city changes composite rank."},
    "cp_domain_most": {"zh": "名次一致性最低的领域：{domain}（Spearman ρ = {rho}）。",
                       "en": "The domain whose ranking changes most: {domain} (Spearman ρ = {rho})."},
    "cp_same_scheme": {"zh": "同一方案", "en": "same scheme"},
}


def catalogue_pages(lang: str) -> dict[str, str]:
    """The report catalogue with this module's strings merged in (``L.key`` in the templates)."""
    pick = "zh" if lang == "zh" else "en"
    out = dict(catalogue(lang))
    out.update({k: v[pick] for k, v in MESSAGES.items()})
    return out


def tt(key: str, lang: str, **kw) -> str:
    """A message of either catalogue, formatted."""
    msg = catalogue_pages(lang)[key]
    return msg.format(**kw) if kw else msg


# ---------------------------------------------------------------- shared bits

def _env():
    return environment(templates_dir())


def _page_common(*, lang: str, title: Mapping[str, str], synthetic: bool, year_label: str, page_title: str,
                 version: str) -> dict:
    """The variables base.html.j2 reads."""
    from .i18n import t

    return {
        "lang": lang,
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "L": catalogue_pages(lang),
        "title": title.get(lang) or title.get("zh") or "",
        "title_zh": title.get("zh", ""),
        "title_en": title.get("en", ""),
        "synthetic": bool(synthetic),
        "stamp_zh": t("synthetic_stamp", "zh"),
        "stamp_en": t("synthetic_stamp", "en"),
        "year_label": year_label,
        "page_title": page_title,
        "generated_by": t("generated_by", lang, version=version),
        "colon": "：" if lang == "zh" else ": ",
    }


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
        return f"{n} {uid}" if n and n != str(uid) else str(uid)  # a unit named by its id: once

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


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


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
    p.append(_text(lx + 16, ly + 4, tt("rb_legend_nominal", lang), size=11))
    lx += 30 + charts.text_width(tt("rb_legend_nominal", lang), 11)
    p.append(f'<line x1="{_f(lx)}" y1="{_f(ly)}" x2="{_f(lx + 26)}" y2="{_f(ly)}" stroke="{charts.CITY}" '
             f'stroke-width="5" stroke-opacity="0.45"/>')
    p.append(_text(lx + 32, ly + 4, tt("rb_legend_interval", lang), size=11))
    lx += 46 + charts.text_width(tt("rb_legend_interval", lang), 11)
    p.append(f'<line x1="{_f(lx + 4)}" y1="{_f(ly - 7)}" x2="{_f(lx + 4)}" y2="{_f(ly + 7)}" stroke="{MEDIAN}" '
             f'stroke-width="2"/>')
    p.append(_text(lx + 14, ly + 4, tt("rb_legend_median", lang), size=11))
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
    p.append(_text(x0 + w / 2, top + plot_h + 30, tt("rb_axis_rank", lang), size=11, anchor="middle",
                   color=charts.AXIS))
    p.append(_text(width - 8, ly + 4, f"{tt('rb_published', lang)} ({tt('r_interval', lang)})", size=10,
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
        p.append(_text(lx + 24, 16, tt(key, lang), size=11))
        lx += 40 + charts.text_width(tt(key, lang), 11)
    p.append(f'<line x1="{_f(lx)}" y1="11.5" x2="{_f(lx + 22)}" y2="11.5" stroke="{charts.INK}" stroke-width="1.2"/>')
    p.append(_text(lx + 28, 16, tt("rb_ci", lang), size=11))
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
            v = _num(r[key])
            yy = y + j * bar_h
            if ok(v):
                p.append(f'<rect class="bar {key}" data-value="{v:.6g}" x="{_f(x0)}" y="{_f(yy)}" '
                         f'width="{_f(px(v) - x0)}" height="{bar_h - 1}" fill="{color}"/>')
                lo_, hi_ = _num(r[f"{key}_low"]), _num(r[f"{key}_high"])
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
    key = f"f_{name}"
    return tt(key, lang) if key in MESSAGES else name


def _option_label(opt: Any, lang: str) -> str:
    key = f"o_{opt}"
    return tt(key, lang) if key in MESSAGES else str(opt)


def _factor_options(name: str, options: Any, sens: Mapping[str, Any], lang: str) -> str:
    """The options of a factor in plain words."""
    if name == "weights":
        if sens.get("noise_kind") == "dirichlet":
            return tt("f_weights_dir", lang, c=f"{_num(sens.get('concentration')):g}")
        noise = sens.get("noise")
        if isinstance(noise, Mapping):
            share = " / ".join(f"{100 * float(v):g}%" for _, v in sorted(noise.items()))
        elif ok(noise):
            share = f"{100 * float(noise):g}%"
        else:
            share = "?"
        return tt("f_weights_opt", lang, share=share)
    if name == "judgments":
        steps = sens.get("judgment_steps")
        return tt("f_judgments_opt", lang, steps=steps if steps is not None else 1)
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
    year_label = tt("year_n", lang, year=year)
    ctx = _page_common(lang=lang, title=title, synthetic=bool(meta.get("synthetic")), year_label=year_label,
                       page_title=f"{tt('rb_title', lang)} · {year_label} · {title.get(lang) or title.get('zh', '')}",
                       version=version)
    ctx["year"] = year
    ctx["n_units"] = n_units

    # table and chart rows
    rows = []
    for r in rob.to_dict("records"):
        uid = str(r["unit"])
        nom, med, lo, hi = (_num(r.get(k)) for k in ("nominal_rank", "median_rank", "rank_p05", "rank_p95"))
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
            "p_top5_v": _num(r.get("p_top5")),
            "numbers": f"{fmt_rank(nom)} ({fmt_rank(lo)}–{fmt_rank(hi)})" if ok(lo) and ok(hi) else fmt_rank(nom),
            "sentence": tt("rb_city_sentence", lang, city=label, rank=fmt_rank(nom), lo=fmt_rank(lo),
                           hi=fmt_rank(hi), median=_fmt_median(med)) if ok(lo) and ok(hi) else "",
        })
    ctx["rows"] = rows
    ranked = [r for r in rows if ok(r["nominal"])]
    n_rank = max(n_units, 2)
    max_chart = 150
    shown = rows[:max_chart]
    ctx["chart_note"] = tt("rb_chart_too_many", lang, n=n_units, k=max_chart) if n_units > max_chart else ""
    ctx["chart"] = rank_interval_chart(shown, n_units=n_rank, title=tt("rb_chart_title", lang, year=year),
                                       desc=tt("rb_chart_desc", lang), lang=lang) if shown else None

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
                             "S1": _num(r["S1"]), "S1_low": _num(r["S1_low"]), "S1_high": _num(r["S1_high"]),
                             "ST": _num(r["ST"]), "ST_low": _num(r["ST_low"]), "ST_high": _num(r["ST_high"])})
    ctx["factors"] = factors
    for s in sob_rows:
        s["S1_s"] = _fmt_index(s["S1"])
        s["ST_s"] = _fmt_index(s["ST"])
        s["S1_ci"] = f"{_fmt_index(s['S1_low'])} – {_fmt_index(s['S1_high'])}"
        s["ST_ci"] = f"{_fmt_index(s['ST_low'])} – {_fmt_index(s['ST_high'])}"
    by_st = sorted(sob_rows, key=lambda s: (-s["ST"] if ok(s["ST"]) else math.inf, s["name"]))
    ctx["sobol_rows"] = by_st
    ctx["sobol_chart"] = sobol_chart(by_st, title=tt("rb_sobol_title", lang), desc=tt("rb_sobol_desc", lang),
                                     lang=lang) if by_st else None
    evals = sens.get("evaluations")
    draws = sens.get("draws")
    seed = sens.get("seed")
    if evals is not None and draws is not None and seed is not None:
        ctx["setup"] = tt("rb_setup", lang, evals=f"{int(evals):,}", draws=f"{int(draws):,}", seed=seed)
    else:
        ctx["setup"] = tt("rb_setup_short", lang, evals=f"{int(evals):,}" if evals is not None else "?")
    ctx["method_text"] = tt("rb_method_text", lang, draws=f"{int(draws):,}" if draws is not None else "N",
                            d=len(factors), evals=f"{int(evals):,}" if evals is not None else "N (d + 2)")

    # the reading, in plain words
    reading: list[str] = []
    shift = sens.get("mean_abs_rank_shift")
    if ok(shift):
        reading.append(tt("rb_shift", lang, shift=f"{float(shift):.1f}"))
    widths = [r for r in rows if r["width"] is not None]
    if widths:
        narrow = max(3, int(round(0.1 * n_units)))  # a tenth of the field
        k = sum(1 for r in widths if r["width"] <= narrow)
        reading.append(tt("rb_stable", lang, k=k, n=n_units, w=narrow))
        widest = sorted(widths, key=lambda r: (-r["width"], r["nominal"] if ok(r["nominal"]) else math.inf))[:3]
        sep = "；" if lang == "zh" else "; "
        reading.append(tt("rb_unstable", lang, cities=sep.join(
            f"{r['label']}（{r['interval_s']}）" if lang == "zh" else f"{r['label']} ({r['interval_s']})"
            for r in widest)))
        sure = [r for r in ranked if ok(r["p_top5_v"]) and r["p_top5_v"] >= 0.9]
        sep2 = "、" if lang == "zh" else ", "
        reading.append(tt("rb_top_sure", lang, cities=sep2.join(r["label"] for r in sure)) if sure
                       else tt("rb_top_none", lang))
    if by_st and ok(by_st[0]["ST"]):
        f0 = by_st[0]
        reading.append(tt("rb_factor_most", lang, factor=f0["label"], st=f"{100 * min(max(f0['ST'], 0), 1):.0f}%",
                          st_num=_fmt_index(f0["ST"]), lo=_fmt_index(f0["ST_low"]), hi=_fmt_index(f0["ST_high"])))
        if len(by_st) > 2:
            reading.append(tt("rb_factor_next", lang, factor=by_st[1]["label"], st_num=_fmt_index(by_st[1]["ST"])))
        if len(by_st) > 1:
            reading.append(tt("rb_factor_least", lang, factor=by_st[-1]["label"],
                              st_num=_fmt_index(by_st[-1]["ST"])))
        s1sum = sum(max(s["S1"], 0.0) for s in sob_rows if ok(s["S1"]))
        if len(sob_rows) > 1 and s1sum < 0.6:
            reading.append(tt("rb_factor_interact", lang, sum=f"{s1sum:.2f}"))
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
    ctx["missing_note"] = tt("rb_missing_note", lang) if any(
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
    ctx = _page_common(lang=lang, title=title, synthetic=bool(project.synthetic),
                       year_label=f"{a.years[0]}–{a.years[-1]}",
                       page_title=f"{tt('cp_title', lang)} · {title.get(lang) or title['zh']}", version=__version__)
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
            rho, tau = _num(r.get("spearman")), _num(r.get("kendall"))
            cells.append({"rho": f"{rho:.3f}" if ok(rho) else DASH, "tau": f"{tau:.3f}" if ok(tau) else DASH,
                          "low": ok(rho) and rho < 0.9})
        corr_rows.append({"name": n.name.get(lang), "root": n is root, "cells": cells})
    ctx["corr_rows"] = corr_rows

    # shifts in the last year
    t = table[table["year"].astype(int) == last]
    by = {(str(r["unit"]), str(r["node"])): r for r in t.to_dict("records")}
    units = [str(u) for u in a.units]
    shift_rows = []
    for uid in units:
        r = by.get((uid, root.id), {})
        rs = _num(r.get("rank_shift"))
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
            "_abs": abs(rs) if ok(rs) else -1.0, "_ra": _num(r.get("rank_a")),
        })
    shift_rows.sort(key=lambda x: (-x["_abs"], x["_ra"] if ok(x["_ra"]) else math.inf, x["id"]))
    ctx["shift_rows"] = shift_rows
    ctx["domain_names"] = [d.name.get(lang) for d in domains]

    # reading
    reading = []
    c = cmap.get((last, root.id), {})
    rho = _num(c.get("spearman"))
    if ok(rho):
        reading.append(tt("cp_agree" if rho >= 0.9 else "cp_differ", lang, year=last, rho=f"{rho:.3f}"))
    moved = [x for x in shift_rows if x["_abs"] > 0]
    if moved:
        m = int(moved[0]["_abs"])
        top = [x["label"] for x in moved if x["_abs"] == m][:3]
        sep = "、" if lang == "zh" else ", "
        reading.append(tt("cp_moved", lang, k=len(moved), n=len(units), m=m, cities=sep.join(top)))
    else:
        reading.append(tt("cp_none_moved", lang))
    dom_rho = [(_num(cmap.get((last, d.id), {}).get("spearman")), d) for d in domains]
    dom_rho = [(v, d) for v, d in dom_rho if ok(v)]
    if dom_rho and moved:
        v, d = min(dom_rho, key=lambda x: x[0])
        if v < 1:
            reading.append(tt("cp_domain_most", lang, domain=d.name.get(lang), rho=f"{v:.3f}"))
    ctx["reading"] = reading
    return ctx


def render_compare_page(path: Path, a, b, table: pd.DataFrame, corr: pd.DataFrame, label_a: str, label_b: str,
                        lang: str) -> Path:
    """Write ``compare.html``: what A and B are, rank correlations per year, last year's shifts per city.

    a, b : :class:`evalkit.pipeline.Result` of the same project (tree, units, years).
    table : compare.csv (unit, year, node, score_a, score_b, score_shift, rank_a, rank_b, rank_shift).
    corr : :func:`evalkit.analysis.compare.rank_correlations` (year, node, spearman, kendall, max_abs_rank_shift).
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    ctx = compare_context(a, b, table, corr, label_a, label_b, lang)
    html = _env().get_template("compare.html.j2").render(**ctx)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


__all__ = ["render_compare_page", "render_robustness_page", "robustness_context", "compare_context",
           "rank_interval_chart", "sobol_chart", "MESSAGES"]
