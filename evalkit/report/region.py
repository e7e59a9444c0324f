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

from . import charts
from .charts import Series
from .i18n import catalogue, t
from .inputs import ReportInput
from .templates import environment, templates_dir

DASH = "—"
MINUS = "\u2212"
WITHIN = "#56b4e9"      # within provinces: light blue
BETWEEN = "#1f4e79"     # between provinces: dark blue
TRANS = "#e69f00"       # transvariation (overlap): orange

MESSAGES: dict[str, dict[str, str]] = {
    "rg_title": {"zh": "区域差异与收敛分析", "en": "Regional disparity and convergence"},
    "rg_lead": {"zh": "各城市之间的差距有多大？差距主要来自省份之间还是省份内部？差距是在缩小还是扩大？",
                "en": "How far apart are the cities? Do the gaps lie between provinces or within them? "
                      "Are they narrowing or widening?"},
    "rg_period": {"zh": "时期", "en": "Period"},
    "rg_n_groups": {"zh": "省份数", "en": "Provinces"},
    "rg_sec_reading": {"zh": "主要结论", "en": "Main findings"},
    "rg_r_moran_pos": {"zh": "{year} 年综合得分存在正的空间自相关（Moran's I = {i}，伪 p {p}）：相邻城市得分相近，高分与低分各自成片。",
                       "en": "In {year} the composite shows positive spatial autocorrelation (Moran's I = {i}, pseudo p {p}): "
                             "neighbouring cities score alike, high and low scorers cluster."},
    "rg_r_moran_neg": {"zh": "{year} 年综合得分存在负的空间自相关（Moran's I = {i}，伪 p {p}）：相邻城市高低交错。",
                       "en": "In {year} the composite shows negative spatial autocorrelation (Moran's I = {i}, pseudo p {p}): "
                             "high and low scorers alternate."},
    "rg_r_moran_none": {"zh": "{year} 年综合得分没有显著的空间自相关（Moran's I = {i}，伪 p {p}）。",
                        "en": "In {year} the composite shows no significant spatial autocorrelation (Moran's I = {i}, "
                              "pseudo p {p})."},
    "rg_beta_models": {"zh": "综合得分的 β 收敛：绝对、条件与俱乐部收敛（{y0}—{y1}）",
                       "en": "β-convergence of the composite: absolute, conditional and club ({y0}–{y1})"},
    "rg_beta_models_note": {"zh": "条件 β 加入省份固定效应；面板 β 为逐年增长率对上年得分（对数）的回归，含城市与年份双向固定效应；俱乐部收敛为各省内部的绝对 β。σ 检验：变异系数对年份的线性趋势，斜率 {slope}/年，p {p}（各年 CV 序列相关，p 值仅供参考）。数据见 convergence.csv。",
                            "en": "Conditional β adds province fixed effects; panel β regresses year-on-year growth on the "
                                  "previous year's (log) score with city and year fixed effects; club β is the absolute "
                                  "β within each province. σ test: linear trend of the CV on the year, slope {slope} per "
                                  "year, p {p} (yearly CVs are serially correlated: read p as indicative). Data: "
                                  "convergence.csv."},
    "rg_model": {"zh": "模型", "en": "Model"},
    "rg_m_beta_absolute": {"zh": "绝对 β", "en": "Absolute β"},
    "rg_m_beta_conditional": {"zh": "条件 β（省份固定效应）", "en": "Conditional β (province fixed effects)"},
    "rg_m_beta_panel": {"zh": "面板 β（城市与年份固定效应）", "en": "Panel β (city and year fixed effects)"},
    "rg_m_beta_club": {"zh": "俱乐部 β：{group}", "en": "Club β: {group}"},
    "rg_pairs": {"zh": "{year} 年省际 Gini 系数 G_jh 与相对经济影响 D_jh（Dagum 分解）",
                 "en": "Between-province Gini G_jh and relative affluence D_jh in {year} (Dagum)"},
    "rg_pairs_note": {"zh": "G_jh 为两省城市两两之间的 Gini 系数；D_jh 越接近 1，两省得分分布重叠越少。贡献为该省份对在省际净差异 G_nb 中所占的比重。数据见 dagum-pairs.csv。",
                      "en": "G_jh: the Gini coefficient between the cities of two provinces; D_jh near 1: their score "
                            "distributions hardly overlap. Contribution: the pair's share of the net between-province "
                            "Gini G_nb. Data: dagum-pairs.csv."},
    "rg_pair": {"zh": "省份对", "en": "Provinces"},
    "rg_obs": {"zh": "样本数", "en": "Obs."},
    "rg_contrib_nb": {"zh": "对 G_nb 的贡献", "en": "Share of G_nb"},
    "rg_sec_spatial": {"zh": "空间自相关：高分城市是否相邻", "en": "Spatial autocorrelation: do high scorers neighbour each other?"},
    "rg_spatial_note": {"zh": "全局 Moran's I > 0 表示相邻城市得分相近（集聚），< 0 表示相邻城市高低交错；伪 p 值来自 {perm} 次随机置换（种子 {seed}）。空间权重：{weights}，按行标准化。数据见 spatial.csv 与 spatial-units.csv。",
                        "en": "Global Moran's I > 0: neighbouring cities score alike (clustering); < 0: high and low "
                              "alternate. Pseudo p-values from {perm} random permutations (seed {seed}). Spatial "
                              "weights: {weights}, row-standardised. Data: spatial.csv and spatial-units.csv."},
    "rg_w_knn": {"zh": "{k} 个最近邻城市（按球面距离）", "en": "the {k} nearest cities (great-circle distance)"},
    "rg_w_inverse_distance": {"zh": "距离倒数", "en": "inverse distance"},
    "rg_w_contiguity": {"zh": "相邻关系（单位表 neighbours 列）", "en": "contiguity (the units file's neighbours column)"},
    "rg_moran_i": {"zh": "Moran's I", "en": "Moran's I"},
    "rg_moran_z": {"zh": "z 值（正态）", "en": "z (normal)"},
    "rg_moran_p": {"zh": "伪 p 值", "en": "Pseudo p"},
    "rg_map_chart": {"zh": "{year} 年综合得分的局部空间集聚（LISA，p < {alpha}）",
                     "en": "Local clusters of the composite score in {year} (LISA, p < {alpha})"},
    "rg_map_desc": {"zh": "每个点为一个城市，按经纬度放置，颜色为 LISA 集聚类型。",
                    "en": "One point per city, placed by longitude and latitude, coloured by LISA cluster."},
    "rg_hh": {"zh": "高-高集聚", "en": "High-high"},
    "rg_ll": {"zh": "低-低集聚", "en": "Low-low"},
    "rg_hl": {"zh": "高-低（高值被低值包围）", "en": "High-low (outlier)"},
    "rg_lh": {"zh": "低-高（低值被高值包围）", "en": "Low-high (outlier)"},
    "rg_ns": {"zh": "不显著", "en": "Not significant"},
    "rg_sec_density": {"zh": "得分分布的演变（核密度估计）", "en": "How the distribution of scores moved (kernel density)"},
    "rg_density_note": {"zh": "高斯核，带宽按 Scott 规则 h = σ̂·n^(−1/5)（与 scipy 的 gaussian_kde 相同），{year} 年综合得分 h = {h}；曲线右移表示整体水平提高，变窄表示差距缩小，出现多个峰表示两极或多极分化。数据见 density.csv。",
                        "en": "Gaussian kernel, bandwidth by Scott's rule h = σ̂·n^(−1/5) (as scipy's gaussian_kde), "
                              "h = {h} for the composite in {year}. A curve moving right means higher scores, a "
                              "narrower one smaller gaps, several peaks polarisation. Data: density.csv."},
    "rg_density_chart": {"zh": "综合得分的核密度（按年份，颜色越深年份越近）",
                         "en": "Kernel density of the composite score by year (darker = later)"},
    "rg_density_desc": {"zh": "横轴为得分，纵轴为密度，每条曲线为一年。", "en": "x: score, y: density; one curve per year."},
    "rg_density_domains": {"zh": "各领域得分的核密度", "en": "Kernel density of each domain's score"},
    "rg_sec_overall": {"zh": "综合得分的总体差异（历年）", "en": "Overall disparity of the composite score, by year"},
    "rg_sec_theil": {"zh": "泰尔指数分解：省内差异与省际差异", "en": "Theil index: within and between provinces"},
    "rg_sec_gini": {"zh": "Dagum 基尼系数分解", "en": "Dagum Gini decomposition"},
    "rg_sec_sigma": {"zh": "σ 收敛：离散程度是否随时间下降", "en": "σ-convergence: is the dispersion falling over time?"},
    "rg_sec_beta": {"zh": "β 收敛：起点低的城市是否增长更快", "en": "β-convergence: did cities that started lower grow faster?"},
    "rg_sec_domains": {"zh": "分领域差异（{year}年）", "en": "Disparity by domain, {year}"},
    "rg_sec_provinces": {"zh": "分省平均得分（历年）", "en": "Province averages over the years"},
    "rg_sec_within": {"zh": "各省内部差异（{year}年）", "en": "Disparity within each province, {year}"},
    "rg_sec_within_years": {"zh": "各省内部泰尔指数（历年）", "en": "Theil index within each province, by year"},
    "rg_sec_method": {"zh": "方法说明", "en": "How this was computed"},
    # column heads
    "rg_mean": {"zh": "平均得分", "en": "Mean score"},
    "rg_sd": {"zh": "标准差", "en": "Std. dev."},
    "rg_cv": {"zh": "变异系数", "en": "CV"},
    "rg_theil": {"zh": "泰尔指数 T", "en": "Theil T"},
    "rg_tw": {"zh": "省内 T_w", "en": "Within T_w"},
    "rg_tb": {"zh": "省际 T_b", "en": "Between T_b"},
    "rg_tb_share": {"zh": "泰尔省际占比", "en": "Theil between share"},
    "rg_gini": {"zh": "基尼系数 G", "en": "Gini G"},
    "rg_gw": {"zh": "省内 G_w", "en": "Within G_w"},
    "rg_gnb": {"zh": "省际净差 G_nb", "en": "Net between G_nb"},
    "rg_gt": {"zh": "超变密度 G_t", "en": "Transvariation G_t"},
    "rg_node": {"zh": "对象", "en": "Score"},
    "rg_beta": {"zh": "β 系数", "en": "β"},
    "rg_se": {"zh": "标准误", "en": "Std. error"},
    "rg_p": {"zh": "p 值", "en": "p-value"},
    "rg_speed": {"zh": "收敛速度（每年）", "en": "Speed (per year)"},
    "rg_half": {"zh": "半衰期（年）", "en": "Half-life (years)"},
    "rg_n": {"zh": "城市数", "en": "Cities"},
    "rg_verdict": {"zh": "结论", "en": "Reading"},
    "rg_beta_short": {"zh": "β 收敛", "en": "β-convergence"},
    "rg_cv_first": {"zh": "{year}年变异系数", "en": "CV {year}"},
    "rg_cv_change": {"zh": "变化", "en": "Change"},
    "rg_lowest": {"zh": "得分最低的城市", "en": "Lowest city"},
    "rg_highest": {"zh": "得分最高的城市", "en": "Highest city"},
    "rg_range": {"zh": "极差", "en": "Range"},
    "rg_tg": {"zh": "省内泰尔指数 T_g", "en": "Theil within T_g"},
    "rg_contrib": {"zh": "占省内差异比重", "en": "Share of within-province part"},
    "rg_gjj": {"zh": "省内基尼 G_jj", "en": "Gini within G_jj"},
    # notes under charts and tables
    "rg_theil_note": {"zh": "泰尔指数 T 衡量城市得分偏离平均水平的程度（0 = 各城市完全相同，越大差距越大），可精确分解为省内差异 T_w 与省际差异 T_b 之和。",
                      "en": "The Theil index T measures how far the cities' scores are from equal (0 = all equal; "
                            "larger = wider gaps). It splits exactly into a within-province part T_w and a "
                            "between-province part T_b."},
    "rg_theil_chart": {"zh": "综合得分泰尔指数分解（堆积：省内 + 省际 = 总体）",
                       "en": "Theil index of the composite, stacked: within + between = total"},
    "rg_theil_desc": {"zh": "每年一根柱：浅色为省内差异，深色为省际差异，柱高为泰尔指数 T。",
                      "en": "One bar per year: light = within provinces, dark = between provinces; bar height = Theil T."},
    "rg_gini_note": {"zh": "Dagum 基尼系数分解为三部分：省内差异 G_w；省际净差异 G_nb（得分高的省份整体领先的部分）；超变密度 G_t（不同省份城市得分交叉重叠造成的部分）。图中为各部分占基尼系数的比重。",
                     "en": "Dagum's Gini splits into three parts: within provinces G_w; net between provinces G_nb "
                           "(the higher-scoring province simply ahead); and transvariation G_t (cities of "
                           "different provinces overlapping). The chart shows each part's share of G."},
    "rg_gini_chart": {"zh": "综合得分基尼系数的构成（占比）", "en": "Composition of the Gini of the composite (shares)"},
    "rg_gini_desc": {"zh": "每年一根柱，三段分别为省内、省际净差、超变密度占基尼系数的百分比。",
                     "en": "One bar per year; segments: within, net between and transvariation as % of G."},
    "rg_within": {"zh": "省内", "en": "Within provinces"},
    "rg_between": {"zh": "省际", "en": "Between provinces"},
    "rg_net_between": {"zh": "省际净差", "en": "Net between"},
    "rg_trans": {"zh": "超变密度（交叉重叠）", "en": "Transvariation (overlap)"},
    "rg_cv_chart": {"zh": "变异系数（相对离散程度）", "en": "Coefficient of variation (relative dispersion)"},
    "rg_cv_desc": {"zh": "综合得分与各领域得分的变异系数（标准差 ÷ 平均值）。下降表示相对差距缩小。",
                   "en": "CV (sd ÷ mean) of the composite and of each domain. Falling = relative gaps narrowing."},
    "rg_sd_chart": {"zh": "标准差（绝对离散程度，得分点）", "en": "Standard deviation (absolute dispersion, score points)"},
    "rg_sd_desc": {"zh": "综合得分与各领域得分的标准差。", "en": "Standard deviation of the composite and of each domain."},
    "rg_prov_chart": {"zh": "各省综合得分平均值", "en": "Composite score, province averages"},
    "rg_prov_desc": {"zh": "每条线为一个省份内各城市综合得分的平均值。",
                     "en": "Each line is the average composite score of one province's cities."},
    "rg_prov_one": {"zh": "{group}：综合及各领域平均得分", "en": "{group}: composite and domain averages"},
    "rg_prov_one_desc": {"zh": "{group}内 {n} 个城市的平均得分，黑色粗线为综合得分。各省图表纵轴相同。",
                         "en": "Average scores of the {n} cities of {group}; the thick black line is the composite. "
                               "All province charts share one vertical axis."},
    "rg_prov_axis_note": {"zh": "下列各省图表：黑色粗线为综合得分，彩色线为各领域得分（省内城市平均）；各图纵轴相同，可直接比较。",
                          "en": "Below, one chart per province: the thick black line is the composite, the coloured "
                                "lines the domains (averages of the province's cities); all share one vertical axis."},
    "rg_n_cities": {"zh": "{n} 个城市", "en": "{n} cities"},
    "rg_n_city": {"zh": "{n} 个城市", "en": "{n} city"},
    "rg_single": {"zh": "{group}只有 1 个城市（{city}），按定义其省内差异为 0。",
                  "en": "{group} has one city only ({city}): its within-province disparity is 0 by construction."},
    "rg_beta_note": {"zh": "回归：各城市 {y0}—{y1} 年得分的年均增长率（对数）对 {y0} 年得分（对数）回归。β < 0 且显著表示起点低的城市增长更快（绝对 β 收敛）。",
                     "en": "Regression of each city's average annual growth rate (log) over {y0}–{y1} on its {y0} "
                           "score (log). β < 0 and significant means cities that started lower grew faster "
                           "(absolute β-convergence)."},
    "rg_sigma_which": {"zh": "这里的 σ 指变异系数（总体标准差 ÷ 平均值），衡量相对差距；标准差衡量绝对差距，两者可能走向相反。",
                       "en": "σ here is the coefficient of variation (population standard deviation ÷ mean), a measure "
                             "of relative gaps; the standard deviation measures absolute gaps, and the two can move "
                             "in opposite directions."},
    # readings
    "rg_r_theil": {"zh": "{year}年综合得分的泰尔指数为 {T}：省际差异占 {b}，省内差异占 {w}。",
                   "en": "In {year} the Theil index of the composite is {T}: {b} of it lies between provinces, {w} "
                         "within them."},
    "rg_r_theil_change": {"zh": "与 {y0} 年（{T0}）相比，总体差异{dir}。", "en": "Compared with {y0} ({T0}), overall "
                                                                                "disparity has {dir}."},
    "rg_down": {"zh": "缩小", "en": "narrowed"},
    "rg_up": {"zh": "扩大", "en": "widened"},
    "rg_flat": {"zh": "基本不变", "en": "hardly changed"},
    "rg_r_gini": {"zh": "Dagum 基尼系数为 {G}，其中省内 {w}、省际净差 {nb}、超变密度 {t}。",
                  "en": "Dagum's Gini is {G}: within provinces {w}, net between {nb}, transvariation {t}."},
    "rg_r_sigma_rel_yes": {"zh": "存在相对 σ 收敛：综合得分的变异系数由 {y0} 年的 {c0} 降至 {y1} 年的 {c1}。",
                           "en": "Relative σ-convergence: the CV of the composite fell from {c0} in {y0} to {c1} "
                                 "in {y1}."},
    "rg_r_sigma_rel_no": {"zh": "不存在相对 σ 收敛：综合得分的变异系数由 {y0} 年的 {c0} 升至 {y1} 年的 {c1}。",
                          "en": "No relative σ-convergence: the CV of the composite rose from {c0} in {y0} to {c1} "
                                "in {y1}."},
    "rg_r_sigma_abs_yes": {"zh": "标准差（绝对差距）也由 {s0} 降至 {s1}，绝对 σ 收敛同样成立。",
                           "en": "The standard deviation (absolute gap) also fell, from {s0} to {s1}: absolute "
                                 "σ-convergence holds too."},
    "rg_r_sigma_abs_no": {"zh": "但标准差（绝对差距）由 {s0} 升至 {s1}，绝对 σ 收敛不成立。",
                          "en": "But the standard deviation (absolute gap) rose from {s0} to {s1}: absolute "
                                "σ-convergence does not hold."},
    "rg_r_sigma_years": {"zh": "{k} / {n} 个年度间隔中变异系数下降。", "en": "The CV fell in {k} of {n} year-on-year steps."},
    "rg_r_beta_conv": {"zh": "起点低的城市增长更快（β = {beta}，p {p}）：存在绝对 β 收敛，隐含收敛速度每年 {speed}，半衰期 {half} 年。",
                       "en": "Cities that started lower grew faster (β = {beta}, p {p}): absolute β-convergence, "
                             "with an implied speed of {speed} a year and a half-life of {half} years."},
    "rg_r_beta_conv_nospeed": {"zh": "起点低的城市增长更快（β = {beta}，p {p}）：存在绝对 β 收敛。",
                               "en": "Cities that started lower grew faster (β = {beta}, p {p}): absolute "
                                     "β-convergence."},
    "rg_r_beta_div": {"zh": "起点高的城市增长更快（β = {beta}，p {p}）：差距呈发散趋势。",
                      "en": "Cities that started higher grew faster (β = {beta}, p {p}): the gaps are diverging."},
    "rg_r_beta_none": {"zh": "增长快慢与起点高低没有显著关系（β = {beta}，p {p}）：不能认为存在 β 收敛。",
                       "en": "Growth is not significantly related to the starting level (β = {beta}, p {p}): no "
                             "evidence of β-convergence."},
    "rg_v_conv": {"zh": "收敛", "en": "converging"},
    "rg_v_div": {"zh": "发散", "en": "diverging"},
    "rg_v_none": {"zh": "不显著", "en": "not significant"},
    "rg_r_extremes": {"zh": "{year}年综合得分最高的是 {hi}（{hs}），最低的是 {lo}（{ls}），相差 {gap} 分。",
                      "en": "In {year} the highest composite score is {hi} ({hs}), the lowest {lo} ({ls}): a gap of "
                            "{gap} points."},
    "rg_r_provinces": {"zh": "省份平均得分最高为{hi}（{hs}），最低为{lo}（{ls}）。",
                       "en": "Highest province average: {hi} ({hs}); lowest: {lo} ({ls})."},
    "rg_one_city": {"zh": "，仅 1 个城市", "en": "; a single city"},
    "rg_r_domain_widest": {"zh": "各领域中相对差距最大的是「{dom}」（变异系数 {cv}），最小的是「{dom2}」（{cv2}）。",
                           "en": "Among the domains, relative gaps are widest in \"{dom}\" (CV {cv}) and narrowest in "
                                 "\"{dom2}\" ({cv2})."},
    "rg_one_year": {"zh": "只有一个年份的数据，无法判断收敛。", "en": "Only one year of data: convergence cannot be assessed."},
    "rg_scope_warn": {"zh": "注意：本项目按年份分别标准化（scope: year）或使用排序/Z 分数标准化，各年得分不在同一标尺上，σ 与 β 收敛的结论不可靠。请使用面板标准化（scope: panel）或目标值法。",
                      "en": "Caution: this project normalises each year separately (scope: year) or by ranks / "
                            "z-scores, so scores are not on one scale over time and the σ- and β-convergence "
                            "readings are not reliable. Use panel normalisation (scope: panel) or goalposts."},
    "rg_method_text": {"zh": "差异指标的计算详见 evalkit 方法文档（docs/methods.md）“泰尔指数”“Dagum 基尼系数”“收敛”各节，每个城市权重相同：泰尔指数 T = (1/n) Σ (y/μ) ln(y/μ)，省内 T_w = Σ s_g T_g、省际 T_b = Σ s_g ln(μ_g/μ)，s_g 为省份得分份额（得分为 0 的城市不计入泰尔指数）；Dagum (1997) 基尼系数分解 G = G_w + G_nb + G_t；变异系数 = 总体标准差 ÷ 平均值。σ 收敛比较各年变异系数；绝对 β 收敛为 g_i = α + β ln y_i0 的最小二乘回归（g_i 为年均对数增长率），收敛速度 λ = −ln(1 + βT)/T，半衰期 = ln 2 / λ（Barro 与 Sala-i-Martin, 1992）。收敛分析要求各年得分可比（面板标准化或目标值法）。",
                       "en": "Disparity measures as in the evalkit methods documentation (docs/methods.md, sections Theil, Dagum and convergence), each city counting once: Theil T = (1/n) Σ (y/μ) "
                             "ln(y/μ), within T_w = Σ s_g T_g and between T_b = Σ s_g ln(μ_g/μ) with s_g the "
                             "province's share of the total score (cities scoring 0 are left out of Theil); Dagum "
                             "(1997) Gini decomposition G = G_w + G_nb + G_t; CV = population sd ÷ mean. "
                             "σ-convergence compares the yearly CVs; absolute β-convergence is the OLS regression "
                             "g_i = α + β ln y_i0 (g_i the average annual log growth), speed λ = −ln(1 + βT)/T, "
                             "half-life ln 2 / λ (Barro and Sala-i-Martin 1992). Convergence needs scores "
                             "comparable over time (panel normalisation or goalposts)."},
    "rg_no_tables": {"zh": "本次运行没有区域差异分析结果。", "en": "This run has no disparity tables."},
}


def catalogue_region(lang: str) -> dict[str, str]:
    """The report catalogue with this page's strings merged in (``L.key`` in the template)."""
    out = dict(catalogue(lang))
    out.update({k: v["zh" if lang == "zh" else "en"] for k, v in MESSAGES.items()})
    return out


def tr(key: str, lang: str, **kw: Any) -> str:
    msg = catalogue_region(lang)[key]
    return msg.format(**kw) if kw else msg


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
        return f"{n} {uid}" if n and n != str(uid) else str(uid)  # a unit named by its id: once

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
    return {int(r["year"]): r for r in d.to_dict("records")}


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
            return tr("rg_r_beta_conv", lang, speed=_pct(b["beta_speed"], 1), half=_fx(b["beta_half_life"], 1),
                      **kw), tr("rg_v_conv", lang)
        return tr("rg_r_beta_conv_nospeed", lang, **kw), tr("rg_v_conv", lang)
    if _ok(p) and float(p) < 0.05 and float(beta) > 0:
        return tr("rg_r_beta_div", lang, **kw), tr("rg_v_div", lang)
    return tr("rg_r_beta_none", lang, **kw), tr("rg_v_none", lang)


def _beta_for(inp: ReportInput, node: str, years: Sequence[int], conv_rows: Mapping[int, Mapping]) -> dict:
    """β over years[0]..years[-1]: convergence.csv's when that is its period, else recomputed alike."""
    from ..analysis.convergence import beta_convergence

    conv = _sigma_with_beta(inp.tables.get("convergence"))
    last_in_table = int(conv["year"].max()) if conv is not None and len(conv) else None
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
    out["density_note"] = tr("rg_density_note", lang, year=year, h=_fx(float(h.iloc[0]), 2) if len(h) else DASH)
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
                label = tr(f"rg_m_{kind}", lang, group=names.group(g, lang)) if kind == "beta_club" \
                    else L.get(f"rg_m_{kind}", kind)
                rows.append({"kind": kind, "name": label, "cells": [cell(r["beta"], 4), cell(r["beta_se"], 4),
                                                                    pcell(r["beta_p"])],
                             "n": "" if pd.isna(r["beta_n"]) else str(int(r["beta_n"])),
                             "verdict": _beta_reading(r, lang)[1]})
            st = c[c["analysis"] == "sigma_trend"]
            out["beta_models"] = rows
            out["beta_models_title"] = tr("rg_beta_models", lang, y0=years[0], y1=years[-1])
            if len(st):
                out["beta_models_note"] = tr("rg_beta_models_note", lang, slope=_fx(st["sigma_trend"].iloc[0], 4),
                                             p=_p(st["sigma_trend_p"].iloc[0]))
    pairs = inp.tables.get("dagum-pairs")
    if pairs is not None and len(pairs):
        d = pairs[(pairs["node"].astype(str) == root) & (pairs["year"].astype(int) == int(year))]
        gnb = float(d["contribution_nb"].sum()) if len(d) else float("nan")
        out["pair_rows"] = [{"name": f"{names.group(str(r['group_j']), lang)} – {names.group(str(r['group_h']), lang)}",
                             "cells": [cell(r["G_jh"], 4), cell(r["D_jh"], 4),
                                       cell(r["contribution_nb"] / gnb if gnb > 0 else None, 1, pct=True)]}
                            for _, r in d.iterrows()]
        out["pairs_title"] = tr("rg_pairs", lang, year=year)
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
    wtext = tr(f"rg_w_{kind}", lang, k=int(last["k"]) if _ok(last["k"]) else "")
    note = tr("rg_spatial_note", lang, perm=int(last["permutations"]), seed=int(last["seed"]), weights=wtext)
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
    title = tr("rg_map_chart", lang, year=year, alpha=alpha)
    chart = charts.point_map(pts, title=title, desc=L["rg_map_desc"], legend=legend, uid="rg-map") if pts else None
    return {"map_chart": chart, "moran_rows": rows, "spatial_note": note, "map_title": title}


def region_context(inp: ReportInput, year: int, lang: str) -> dict:
    """Everything region.html.j2 shows for ``year`` (series over the years up to it)."""
    from ..version import __version__

    L = catalogue_region(lang)
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
        "lang": lang, "html_lang": "zh-CN" if lang == "zh" else "en", "L": L,
        "title": title.get(lang) or title.get("zh") or "", "title_zh": title.get("zh", ""),
        "title_en": title.get("en", ""), "synthetic": bool(meta.get("synthetic")),
        "stamp_zh": t("synthetic_stamp", "zh"), "stamp_en": t("synthetic_stamp", "en"),
        "year_label": year_label, "year": int(year), "period": period,
        "page_title": f"{L['rg_title']} · {year_label} · {title.get(lang) or title.get('zh', '')}",
        "generated_by": t("generated_by", lang, version=version),
        "colon": "：" if lang == "zh" else ": ",
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
        ctx["scope_warning"] = tr("rg_scope_warn", lang)
    if not nodes:
        ctx.update(beta_models=[], beta_models_title="", beta_models_note="", pair_rows=[], pairs_title="")
        ctx.update(density_chart=None, density_charts=[], density_note="", map_chart=None, moran_rows=[],
                   spatial_note="", map_title="")
        ctx.update(reading=[], overall_rows=[], theil_chart=None, gini_chart=None, cv_chart=None, sd_chart=None,
                   sigma_reading=[], beta_rows=[], beta_note="", domain_rows=[], prov_chart=None, prov_charts=[],
                   within_rows=[], within_years=[], within_year_rows=[], single_notes=[], years=years,
                   method_text=tr("rg_method_text", lang), cv_first_head="")
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
            sigma.append(tr(key, lang, y0=y0, y1=y1, c0=_fx(cv0, 2), c1=_fx(cv1, 2)))
        if _ok(sd0) and _ok(sd1):
            key = "rg_r_sigma_abs_yes" if float(sd1) < float(sd0) else "rg_r_sigma_abs_no"
            sigma.append(tr(key, lang, s0=_fx(sd0, 1), s1=_fx(sd1, 1)))
        cvs = [C[R].get(y, {}).get("cv") for y in years]
        steps = [(a, b) for a, b in zip(cvs[:-1], cvs[1:]) if _ok(a) and _ok(b)]
        if steps:
            sigma.append(tr("rg_r_sigma_years", lang, k=sum(1 for a, b in steps if float(b) < float(a)),
                            n=len(steps)))
    else:
        sigma.append(tr("rg_one_year", lang))
    ctx["sigma_reading"] = sigma

    # ---- β per node
    beta_rows = []
    betas: dict[str, dict] = {}
    if len(years) > 1:
        for n in nodes:
            b = _beta_for(inp, n, years, C[n])
            betas[n] = b
            sentence, verdict = _beta_reading(b, lang)
            beta_rows.append({"node": n, "name": node_name[n], "root": n == R, "verdict": verdict,
                              "sentence": sentence,
                              "cells": [cell(b.get("beta"), 4), cell(b.get("beta_se"), 4), pcell(b.get("beta_p")),
                                        cell(b.get("beta_speed"), 1, pct=True), cell(b.get("beta_half_life"), 1)],
                              "n": int(b["beta_n"]) if _ok(b.get("beta_n")) else DASH})
    ctx["beta_rows"] = beta_rows
    ctx["beta_note"] = tr("rg_beta_note", lang, y0=y0, y1=y1) if len(years) > 1 else tr("rg_one_year", lang)

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
    ctx["cv_first_head"] = tr("rg_cv_first", lang, year=y0)
    ctx["cv_now_head"] = tr("rg_cv_first", lang, year=year)

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
            prov_charts.append({"name": gname, "n_label": tr("rg_n_city" if n_g == 1 else "rg_n_cities", lang, n=n_g),
                                "chart": charts.lines(
                years, ser, lo=plo, hi=phi, title=tr("rg_prov_one", lang, group=gname),
                desc=tr("rg_prov_one_desc", lang, group=gname, n=n_g), width=520, height=220, fit=False,
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
            single.append(tr("rg_single", lang, group=names.group(g, lang), city=names.label(members[0], lang)))
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
        reading.append(tr("rg_r_theil", lang, year=year, T=_fx(T, 4), b=_pct(float(Tb) / float(T), 0),
                          w=_pct(float(Tw) / float(T), 0)))
        T0 = D[R].get(y0, {}).get("theil")
        if y1 > y0 and _ok(T0):
            rel = (float(T) - float(T0)) / float(T0) if float(T0) > 0 else 0.0
            dirk = "rg_down" if rel < -0.05 else ("rg_up" if rel > 0.05 else "rg_flat")
            reading[-1] += (" " if lang == "en" else "") + tr("rg_r_theil_change", lang, y0=y0, T0=_fx(T0, 4),
                                                             dir=tr(dirk, lang))
    Gi = d_now.get("gini")
    if _ok(Gi) and float(Gi) > 0:
        reading.append(tr("rg_r_gini", lang, G=_fx(Gi, 4), w=_pct(float(d_now["gini_within"]) / float(Gi), 0),
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
        reading.append(tr("rg_r_extremes", lang, year=year, hi=names.label(hi_u, lang), hs=_fx(score_of[hi_u], 1),
                          lo=names.label(lo_u, lang), ls=_fx(score_of[lo_u], 1),
                          gap=_fx(score_of[hi_u] - score_of[lo_u], 1)))
    if within_rows and len(within_rows) > 1:
        hr = max(within_rows, key=lambda r: float(r["mean"]["v"] or "-inf"))
        lr = min(within_rows, key=lambda r: float(r["mean"]["v"] or "inf"))
        one = tr("rg_one_city", lang)
        reading.append(tr("rg_r_provinces", lang, hi=hr["name"], hs=hr["mean"]["s"] + (one if hr["n"] == 1 else ""),
                          lo=lr["name"], ls=lr["mean"]["s"] + (one if lr["n"] == 1 else "")))
    doms = [r for r in dom_rows if not r["root"] and r["cells"][2]["v"]]
    if len(doms) > 1:
        w_ = max(doms, key=lambda r: float(r["cells"][2]["v"]))
        n_ = min(doms, key=lambda r: float(r["cells"][2]["v"]))
        reading.append(tr("rg_r_domain_widest", lang, dom=w_["name"], cv=w_["cells"][2]["s"], dom2=n_["name"],
                          cv2=n_["cells"][2]["s"]))
    g = inp.tables.get("spatial")
    if g is not None and len(g):
        gr = g[(g["node"].astype(str) == R) & (g["year"].astype(int) == int(year))]
        if len(gr) and _ok(gr["moran_i"].iloc[0]):
            i_, p_ = float(gr["moran_i"].iloc[0]), gr["p_sim"].iloc[0]
            key = "rg_r_moran_pos" if i_ > 0 and _ok(p_) and float(p_) < 0.05 else \
                "rg_r_moran_neg" if i_ < 0 and _ok(p_) and float(p_) < 0.05 else "rg_r_moran_none"
            reading.append(tr(key, lang, year=year, i=_fx(i_, 3), p=_p(p_)))
    ctx["reading"] = reading
    ctx["method_text"] = tr("rg_method_text", lang)
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


__all__ = ["MESSAGES", "region_context", "render_region_page", "stacked_bars"]
