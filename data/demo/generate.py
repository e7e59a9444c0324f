#!/usr/bin/env python3
"""Generate the SYNTHETIC demonstration data set of evalkit (41 YRD cities, 2019–2024).

Writes ``units.csv``, ``values.csv`` (long form: unit, year, indicator, value),
``targets.csv`` (unit, year, indicator, target) and ``relations.csv`` (city-pair ties:
from, to, year, relation, value; see ``generate_relations``) into ``--out`` (default: this folder).
The output is deterministic: the same tree and calibration file give byte-identical files.

    python data/demo/generate.py [--out DIR] [--tree indicators/digital_governance.yaml]

Inputs
------
* the indicator tree (``indicators/digital_governance.yaml``), read with ``yaml.safe_load``:
  leaf ids, order, directions, units, target intervals and the raw ``variables`` of the one
  derived indicator, so that data and tree cannot drift apart;
* ``calibration_yrd41.csv`` beside this script: a few REAL 2019/2020 statistics per city
  (resident population, GDP per capita, hospital beds per 1,000, land area, urbanisation),
  copied from leiii/census and kangqiao-ctrl/EnvCausal (both MIT; see README.md).

Model (all on a latent "digital-governance capacity" scale, sd ≈ 1)
-------------------------------------------------------------------
city capacity  D_c  = 0.5·z(log GDP per capita) + 0.2·z(log population) + province effect + noise
domain factor  F_cd = D_c + noise                      (indicators of a domain are correlated)
stage factor   F_cds = F_cd + k_s·e_cd + noise        (e_cd "efficiency": k = −0.35 input …
                                                       +0.35 outcome, so some cities are strong on
                                                       input but weaker on outcome and vice versa)
indicator      L_cit = F_cds + γ_c·t + idiosyncratic + yearly noise   (γ_c: laggards catch up)

Each indicator maps L to its unit through a spec below: ``logit`` (shares with a ceiling:
diminishing returns near 100 %), ``log`` (positive quantities, with population/density
elasticities), ``lin`` (levels such as ratios and grades) or ``count`` (cumulative integer
counts, non-decreasing over the years); cost indicators move the other way. PM2.5 and the
share of good-air days follow a regional pattern and a falling trend instead.
Then ~3 % of cells are deleted (more often in Anhui, in 2019 and for new indicators), six rows
are written with an empty value, and six deliberate outliers are planted (see OUTLIERS).
The 跨域协同 domain's values-file leaves come from ``collab_values`` (COLLAB_SPECS) on their own
random stream, so that the other domains' values stayed as they were; its network leaves
(``from_network``) have no rows, they are measures of relations.csv.
Targets (2023, 2024, not for 跨域协同) extend each city's own clean trend (before missing cells and outliers,
as a planning office would from its own records) by at least 0.6 × the indicator's typical
yearly improvement; target-direction indicators move halfway into their optimal interval.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
from pathlib import Path

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
TREE = HERE.parent.parent / "indicators" / "digital_governance.yaml"
CALIBRATION = HERE / "calibration_yrd41.csv"

# City-centre coordinates (decimal degrees, 2 decimals: the urban core of each prefecture-level
# city, not its administrative area's centroid), for the spatial analysis and the map of the
# regional page. They change no score.
CITY_CENTRES = {
    "310000": (31.23, 121.47), "320100": (32.06, 118.80), "320200": (31.49, 120.31), "320300": (34.21, 117.28),
    "320400": (31.81, 119.97), "320500": (31.30, 120.59), "320600": (31.98, 120.89), "320700": (34.60, 119.22),
    "320800": (33.61, 119.02), "320900": (33.35, 120.16), "321000": (32.39, 119.41), "321100": (32.19, 119.42),
    "321200": (32.46, 119.92), "321300": (33.96, 118.28), "330100": (30.27, 120.16), "330200": (29.87, 121.54),
    "330300": (28.00, 120.70), "330400": (30.75, 120.76), "330500": (30.89, 120.09), "330600": (30.00, 120.58),
    "330700": (29.08, 119.65), "330800": (28.94, 118.87), "330900": (29.99, 122.21), "331000": (28.66, 121.42),
    "331100": (28.45, 119.92), "340100": (31.82, 117.23), "340200": (31.35, 118.43), "340300": (32.92, 117.39),
    "340400": (32.63, 117.00), "340500": (31.67, 118.51), "340600": (33.96, 116.80), "340700": (30.94, 117.81),
    "340800": (30.54, 117.06), "341000": (29.71, 118.34), "341100": (32.30, 118.32), "341200": (32.89, 115.81),
    "341300": (33.65, 116.96), "341500": (31.73, 116.52), "341600": (33.84, 115.78), "341700": (30.66, 117.49),
    "341800": (30.94, 118.76),
}
SEED = 20240601
YEARS = tuple(range(2019, 2025))
TARGET_YEARS = (2023, 2024)

# Province effect on the latent capacity (Zhejiang: 最多跑一次 and 数字化改革 pioneers).
PROVINCE_EFFECT = {"Shanghai": 0.55, "Zhejiang": 0.35, "Jiangsu": 0.15, "Anhui": -0.35}

# Indicator specs. Parameters are in the "good" direction (sign flips for cost indicators):
#   logit: v = cap·logistic(logit(p0/cap) + sign·(b·L + r·t) + pop·z_pop + prov[p]), dp decimals
#   log:   v = m0·exp(sign·(b·L + r·t)) · (pop/median)^ep · (density/median)^ed
#   lin:   v = m0 + sign·(b·L + r·t) + sd·(city effect) + prov[p], clipped to [lo, hi]
#   count: λ = m0·exp(b·L + r·t)·(pop/median)^ep; integers, cumulative (never decrease)
#   shock2020: added in the transformed space in 2020 (COVID year), in the value direction.
SPECS: dict[str, dict] = {
    # 政务服务
    "gov_it_spend_share": dict(kind="lin", m0=1.55, b=0.35, r=0.11, sd=0.45, lo=0.3, hi=6.0, dp=2, sign=1),
    "gov_cloud_rate": dict(kind="logit", p0=55, b=0.6, r=0.45, dp=1),
    "gov_5g_bs_per_10k": dict(kind="logit", cap=45, p0=1.0, b=0.45, r=0.85, dp=2),
    "gov_online_avail_rate": dict(kind="logit", p0=85, b=0.5, r=0.45, dp=1),
    "gov_data_share_calls": dict(kind="log", m0=800, b=0.5, r=0.38, ep=1.1, dp=1),
    "gov_e_license_rate": dict(kind="logit", p0=35, b=0.6, r=0.5, dp=1),
    "gov_full_online_rate": dict(kind="logit", p0=45, b=0.6, r=0.38, dp=1, prov={"Zhejiang": 0.3}),
    "gov_run_once_rate": dict(kind="logit", p0=86, b=0.5, r=0.4, dp=1, prov={"Zhejiang": 0.8}),
    "gov_proc_days": dict(kind="log", m0=7.5, b=0.2, r=0.11, dp=1),
    "gov_hotline_satisfaction": dict(kind="logit", p0=90, b=0.35, r=0.12, dp=1),
    "gov_bad_review_rate": dict(kind="logit", p0=0.35, b=0.35, r=0.12, dp=2),
    # 交通
    "tr_its_invest_share": dict(kind="logit", p0=5.5, b=0.35, r=0.12, dp=1),
    "tr_bus_smart_rate": dict(kind="logit", p0=80, b=0.6, r=0.4, dp=1),
    "tr_signal_smart_rate": dict(kind="logit", p0=30, b=0.55, r=0.3, pop=0.2, dp=1),
    "tr_bus_realtime_rate": dict(kind="logit", p0=75, b=0.6, r=0.4, dp=1),
    "tr_incident_clear_min": dict(kind="log", m0=28, b=0.15, r=0.07, dp=1),
    "tr_epay_rate": dict(kind="logit", p0=55, b=0.5, r=0.45, dp=1),
    "tr_smart_parking_share": dict(kind="logit", p0=25, b=0.6, r=0.35, dp=1),
    "tr_congestion_index": dict(kind="congestion", dp=3),
    "tr_commute_min": dict(kind="log", m0=33, b=0.05, r=0.005, ep=0.15, dp=1, shock2020=-0.04),
    "tr_transit_share": dict(kind="logit", p0=35, b=0.3, r=0.06, pop=0.35, dp=1, shock2020=-0.3),
    # 医疗
    "he_it_invest_share": dict(kind="lin", m0=3.0, b=0.5, r=0.15, sd=0.4, lo=0.3, hi=10, dp=2, sign=1),
    "he_emr_level": dict(kind="lin", m0=3.0, b=0.35, r=0.25, sd=0.2, lo=0.5, hi=8, dp=2, sign=1),
    "he_ehr_file_rate": dict(kind="logit", p0=82, b=0.4, r=0.15, dp=1),
    "he_hie_connect_rate": dict(kind="logit", p0=65, b=0.6, r=0.4, dp=1),
    "he_appt_rate": dict(kind="logit", p0=45, b=0.55, r=0.3, dp=1),
    "he_ehr_access_rate": dict(kind="logit", p0=35, b=0.6, r=0.35, dp=1),
    "he_internet_hosp": dict(kind="count", m0=1.2, b=0.5, r=0.5, ep=0.9),
    "he_outpatient_wait": dict(kind="log", m0=32, b=0.15, r=0.07, dp=1),
    "he_avg_stay": dict(kind="log", m0=8.6, b=0.06, r=0.025, dp=1),
    # 教育
    "ed_it_spend_share": dict(kind="lin", m0=6.0, b=0.9, r=0.2, sd=0.8, lo=0.5, hi=15, dp=2, sign=1),
    "ed_terminals_per_100": dict(kind="log", m0=14, b=0.15, r=0.06, dp=1),
    "ed_student_teacher_ratio": dict(kind="lin", m0=14.2, b=0.9, r=0.12, sd=0.7, lo=8, hi=22, dp=1,
                                     sign=-1, prov={"Anhui": 1.2, "Shanghai": -1.5}),
    "ed_smart_classroom_share": dict(kind="logit", p0=25, b=0.6, r=0.35, dp=1),
    "ed_wifi_coverage": dict(kind="logit", p0=70, b=0.6, r=0.5, dp=1),
    "ed_learning_space_coverage": dict(kind="logit", p0=60, b=0.55, r=0.4, dp=1),
    "ed_online_courses": dict(kind="count", m0=80, b=0.4, r=0.3, ep=0.7),
    "ed_satisfaction": dict(kind="logit", p0=85, b=0.3, r=0.08, dp=1),
    "ed_digital_literacy_rate": dict(kind="logit", p0=75, b=0.45, r=0.15, dp=1),
    # 环保
    "en_monitor_density": dict(kind="log", m0=1.2, b=0.35, r=0.12, ed=0.35, dp=2),
    "en_it_invest_share": dict(kind="lin", m0=6.0, b=0.9, r=0.25, sd=1.0, lo=0.5, hi=20, dp=2, sign=1),
    "en_source_online_rate": dict(kind="logit", p0=88, b=0.5, r=0.4, dp=1),
    "en_offsite_enforce_share": dict(kind="logit", p0=15, b=0.6, r=0.35, dp=1),
    "en_open_datasets": dict(kind="count", m0=20, b=0.5, r=0.3, ep=0.5),
    "en_complaint_days": dict(kind="log", m0=12, b=0.15, r=0.06, dp=1),
    "en_pm25": dict(kind="pm25", dp=0),
    "en_good_air_days": dict(kind="goodair", dp=1),
    "en_water_good_share": dict(kind="logit", p0=78, b=0.25, r=0.2, dp=1,
                                prov={"Zhejiang": 0.9, "Anhui": -0.2, "Shanghai": -0.6}),
}

# Indicators reported only recently: more often missing in the early years.
NEW_INDICATORS = {"gov_5g_bs_per_10k", "he_internet_hosp", "en_offsite_enforce_share",
                  "ed_digital_literacy_rate", "gov_e_license_rate"}

# PM2.5 2019 regional baseline (μg/m³), by adcode; a rough north–south gradient of the YRD.
PM25_BASE = {
    "310000": 35,
    "320100": 40, "320200": 41, "320300": 56, "320400": 44, "320500": 39, "320600": 38,
    "320700": 44, "320800": 48, "320900": 40, "321000": 45, "321100": 46, "321200": 44,
    "321300": 51,
    "330100": 38, "330200": 29, "330300": 29, "330400": 35, "330500": 33, "330600": 36,
    "330700": 34, "330800": 32, "330900": 20, "331000": 27, "331100": 25,
    "340100": 44, "340200": 45, "340300": 50, "340400": 51, "340500": 44, "340600": 51,
    "340700": 44, "340800": 42, "341000": 24, "341100": 44, "341200": 57, "341300": 54,
    "341500": 43, "341600": 55, "341700": 38, "341800": 36,
}

# Deliberate outliers: (adcode, year, indicator, factor) — reporting slips a data check must catch.
OUTLIERS = (
    ("320500", 2022, "gov_data_share_calls", 9.0),   # platform migration counted twice
    ("340100", 2023, "he_internet_hosp", 6.0),       # licence applications counted as hospitals
    ("330900", 2021, "en_monitor_density", 7.0),     # marine buoys included once
    ("341600", 2019, "ed_wifi_coverage", 0.1),       # decimal slip (8.x instead of 8x %)
    ("320300", 2020, "tr_commute_min", 2.3),         # round-trip reported instead of one-way
    ("341200", 2024, "gov_proc_days", 6.0),          # calendar days of the statutory limit
)
# 跨域协同 (cross-city collaboration): values-file leaves, made by collab_values on their own
# random stream. Same parameters as SPECS plus ``sh``: the effect of nearness to Shanghai (per sd of
# log distance; the YRD's services, transport cards and medical settlement spread out from it) and
# ``border``: the effect of a city of another province lying close (cross-border water sections).
COLLAB_DOMAINS = {"collab"}
COLLAB_SPECS: dict[str, dict] = {
    # 跨界断面联合监测断面数: cumulative count, more where another province is near
    "collab_joint_sections": dict(kind="count", m0=3.0, b=0.25, r=0.18, ep=0.3, border=0.9),
    # 一网通办跨省通办事项数: the regional list grew from 51 items (2019) to ~150 (2023), cities
    # catch up with it at different speeds
    "collab_cross_prov_items": dict(kind="items", cap=175, p0=55, b=0.35, r=0.55, sh=0.25, dp=0,
                                    prov={"Shanghai": 0.6, "Zhejiang": 0.2, "Anhui": -0.3}),
    # 交通一卡通互联互通线路比例
    "collab_transit_card_share": dict(kind="logit", p0=35, b=0.55, r=0.55, sh=0.35, dp=1,
                                      prov={"Anhui": -0.2}),
    # 异地就医门诊直接结算人次 (万人次): big hospitals draw patients; COVID dip in 2020
    "collab_medical_settlement": dict(kind="log", m0=2.0, b=0.45, r=0.42, ep=1.0, sh=0.3, dp=2,
                                      shock2020=-0.35, prov={"Shanghai": 0.6}),
    # 跨界断面水质达标率
    "collab_water_section_rate": dict(kind="logit", p0=72, b=0.3, r=0.22, dp=1,
                                      prov={"Zhejiang": 0.7, "Anhui": -0.3, "Shanghai": -0.4}),
}
EMPTY_ROWS = 6          # rows kept in the file with an empty value
MISSING_BASE = 0.024    # base probability that a cell is not reported


def logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


def logit(p):
    return math.log(p / (1.0 - p))


def zscore(a):
    a = np.asarray(a, dtype=float)
    return (a - a.mean()) / a.std()


def read_tree(path: Path):
    """Leaves in tree order as dicts (with stage and domain filled in) and the variables."""
    with open(path, encoding="utf-8") as f:
        tree = yaml.safe_load(f)
    leaves = []

    def walk(node, domain, stage):
        stage = node.get("stage", stage)
        kids = node.get("children")
        if kids:
            for k in kids:
                walk(k, domain, stage)
            return
        leaves.append(dict(node, stage=stage, domain=domain))

    for d in tree["children"]:
        walk(d, d["id"], None)
    return leaves, list(tree.get("variables", []))


def read_calibration(path: Path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(line for line in f if not line.startswith("#"))]
    return rows


def collab_values(leaves, cap, catch_up, eff_city, codes, prov, pop_rel):
    """SYNTHETIC values of the collaboration domain's values-file leaves: ({id: (n, ny)}, {id: present}).

    Same latent model as the other domains (domain factor around the city's capacity, stage
    factors, catch-up), on its own stream ``default_rng([SEED, 3])`` so that the other domains'
    values do not move; plus nearness to Shanghai (z of log great-circle distance) and the
    nearness of a city of another province (e^(−d/100 km) to the nearest one).
    """
    rng = np.random.default_rng([SEED, 3])
    n, ny = len(codes), len(YEARS)
    t = np.arange(ny, dtype=float)
    d = distance_km(np.array([CITY_CENTRES[c] for c in codes]))
    prov_a = np.array(prov)
    near_sh = -zscore(np.log(np.maximum(d[codes.index("310000")], 30.0)))   # + = close to Shanghai
    other = np.where(prov_a[:, None] != prov_a[None, :], d, np.inf)
    border = np.exp(-other.min(axis=1) / 100.0)
    stage_k = dict(zip(("input", "process", "output", "outcome"), (-0.35, -0.12, 0.12, 0.35)))
    f_d = cap + 0.45 * rng.standard_normal(n)
    e_d = 0.6 * eff_city + 0.5 * rng.standard_normal(n)
    F = {s: f_d + k * e_d + 0.3 * rng.standard_normal(n) for s, k in stage_k.items()}
    out, present = {}, {}
    for leaf in leaves:
        iid, spec = leaf["id"], COLLAB_SPECS[leaf["id"]]
        L = (F[leaf["stage"]][:, None] + catch_up[:, None] * t[None, :]
             + 0.45 * rng.standard_normal(n)[:, None] + 0.12 * rng.standard_normal((n, ny)))
        pv = np.array([spec.get("prov", {}).get(p, 0.0) for p in prov])[:, None]
        extra = pv + spec.get("sh", 0.0) * near_sh[:, None] + spec.get("border", 0.0) * border[:, None]
        covid = (np.array(YEARS) == 2020).astype(float)[None, :] * spec.get("shock2020", 0.0)
        kind = spec["kind"]
        if kind in ("logit", "items"):
            c = spec.get("cap", 100.0)
            v = c * logistic(logit(spec["p0"] / c) + spec["b"] * L + spec["r"] * t + extra + covid)
            if kind == "items":   # a list of items only grows
                v = np.maximum.accumulate(np.round(v), axis=1)
        elif kind == "log":
            v = np.exp(np.log(spec["m0"]) + spec["b"] * L + spec["r"] * t
                       + spec.get("ep", 0.0) * np.log(pop_rel)[:, None] + extra + covid)
        else:  # count
            lam = spec["m0"] * np.exp(spec["b"] * L + spec["r"] * t + extra) * pop_rel[:, None] ** spec["ep"]
            v = np.maximum.accumulate(np.round(lam * np.exp(0.1 * rng.standard_normal((n, ny)))), axis=1)
        out[iid] = np.round(v, spec.get("dp", 0))
        # gaps as elsewhere: more in Anhui and in 2019
        p = MISSING_BASE * np.array([1.6 if q == "Anhui" else 1.0 for q in prov])[:, None] \
            * np.array([1.5, 1.0, 0.9, 0.8, 0.9, 1.2])[None, :]
        present[iid] = rng.random((n, ny)) >= p
    return out, present


def fmt(v: float, dp: int) -> str:
    s = f"{v:.{dp}f}"
    return "0" + s[2:] if s.startswith("-0") and float(s) == 0 else s


def generate(tree_path: Path = TREE, calibration_path: Path = CALIBRATION):
    """Return (units_rows, values_rows, targets_rows) as lists of lists of strings."""
    leaves, variables = read_tree(tree_path)
    cal = read_calibration(calibration_path)
    rng = np.random.default_rng(SEED)

    # The collaboration domain has its own random stream (collab_values), so adding it left the
    # other domains' values unchanged; its network leaves come from relations.csv, not values.csv.
    raw_leaves = [l for l in leaves if "formula" not in l and l["domain"] not in COLLAB_DOMAINS]
    collab_leaves = [l for l in leaves if l["domain"] in COLLAB_DOMAINS and "from_network" not in l]
    missing_specs = [l["id"] for l in raw_leaves if l["id"] not in SPECS]
    missing_specs += [l["id"] for l in collab_leaves if l["id"] not in COLLAB_SPECS]
    if missing_specs:
        raise SystemExit(f"generate.py has no spec for indicator(s): {', '.join(missing_specs)}")
    var_ids = [v["id"] for v in variables]
    if set(var_ids) != {"hospital_beds", "population"}:
        raise SystemExit(f"generate.py knows the variables hospital_beds and population, got {var_ids}")

    n, ny = len(cal), len(YEARS)
    t = np.arange(ny, dtype=float)
    codes = [r["adcode"] for r in cal]
    prov = [r["province_en"] for r in cal]
    pop19 = np.array([float(r["resident_pop_10k_2019"]) for r in cal]) * 1e4   # persons
    gdppc = np.array([float(r["gdp_per_capita_10k_cny_2019"]) for r in cal])
    beds1000 = np.array([float(r["hospital_beds_per_1000_2019"]) for r in cal])
    area = np.array([float(r["land_area_km2"]) for r in cal])
    z_pop, z_gdp = zscore(np.log(pop19)), zscore(np.log(gdppc))
    pop_rel = pop19 / np.median(pop19)
    dens = pop19 / area
    dens_rel = dens / np.median(dens)

    # ---- latent structure -------------------------------------------------------------
    prov_eff = np.array([PROVINCE_EFFECT[p] for p in prov])
    cap = 0.5 * z_gdp + 0.2 * z_pop + prov_eff + 0.35 * rng.standard_normal(n)
    catch_up = -0.04 * zscore(cap) + 0.03 * rng.standard_normal(n)      # per year
    domains = sorted({l["domain"] for l in raw_leaves}, key=[l["domain"] for l in raw_leaves].index)
    stages = ("input", "process", "output", "outcome")
    stage_k = dict(zip(stages, (-0.35, -0.12, 0.12, 0.35)))
    eff_city = rng.standard_normal(n)
    F = {}
    for d in domains:
        f_d = cap + 0.45 * rng.standard_normal(n)
        e_d = 0.6 * eff_city + 0.5 * rng.standard_normal(n)
        for s in stages:
            F[d, s] = f_d + stage_k[s] * e_d + 0.3 * rng.standard_normal(n)

    clean: dict[str, np.ndarray] = {}     # id -> (n, ny) values before rounding
    transform: dict[str, tuple] = {}      # id -> (kind of space, cap) for targets
    for leaf in raw_leaves:
        iid = leaf["id"]
        spec = SPECS[iid]
        sign = spec.get("sign", -1 if leaf["direction"] == "cost" else 1)
        L = (F[leaf["domain"], leaf["stage"]][:, None] + catch_up[:, None] * t[None, :]
             + 0.45 * rng.standard_normal(n)[:, None] + 0.12 * rng.standard_normal((n, ny)))
        covid = (np.array(YEARS) == 2020).astype(float)[None, :] * spec.get("shock2020", 0.0)
        pv = np.array([spec.get("prov", {}).get(p, 0.0) for p in prov])[:, None]
        kind = spec["kind"]
        if kind == "logit":
            c = spec.get("cap", 100.0)
            x = (logit(spec["p0"] / c) + sign * (spec["b"] * L + spec["r"] * t)
                 + spec.get("pop", 0.0) * z_pop[:, None] + pv + covid)
            v = c * logistic(x)
            transform[iid] = ("logit", c)
        elif kind == "log":
            x = (np.log(spec["m0"]) + sign * (spec["b"] * L + spec["r"] * t)
                 + spec.get("ep", 0.0) * np.log(pop_rel)[:, None]
                 + spec.get("ed", 0.0) * np.log(dens_rel)[:, None] + covid)
            v = np.exp(x)
            transform[iid] = ("log", None)
        elif kind == "lin":
            city = spec["sd"] * rng.standard_normal(n)[:, None]
            v = spec["m0"] + sign * (spec["b"] * L + spec["r"] * t) + city + pv
            v = np.clip(v, spec["lo"], spec["hi"])
            transform[iid] = ("lin", spec["r"])
        elif kind == "count":
            lam = (spec["m0"] * np.exp(spec["b"] * L + spec["r"] * t)
                   * pop_rel[:, None] ** spec["ep"])
            v = np.maximum.accumulate(np.round(lam * np.exp(0.1 * rng.standard_normal((n, ny)))), axis=1)
            transform[iid] = ("count", None)
        elif kind == "congestion":
            excess = 0.45 * np.exp(0.28 * z_pop[:, None] + 0.1 * z_gdp[:, None] - 0.08 * L
                                   - 0.02 * t
                                   + 0.06 * rng.standard_normal((n, ny)))
            excess *= np.where(np.array(YEARS) == 2020, 0.85, 1.0)[None, :]
            v = 1.0 + excess
            transform[iid] = ("log", None)
        elif kind == "pm25":
            base = np.array([PM25_BASE[c] for c in codes], dtype=float)
            x = (np.log(base)[:, None] - 0.055 * t - 0.06 * L
                 - 0.05 * (np.array(YEARS) == 2020)[None, :] + 0.05 * rng.standard_normal((n, ny)))
            v = np.exp(x)
            transform[iid] = ("log", None)
        elif kind == "goodair":
            pm = clean["en_pm25"]
            x = 3.2 - 0.08 * (pm - 20.0) + 0.1 * L + 0.2 * rng.standard_normal((n, ny))
            v = 100.0 * logistic(x)
            transform[iid] = ("logit", 100.0)
        else:  # pragma: no cover - guarded by SPECS
            raise SystemExit(f"unknown kind {kind!r}")
        clean[iid] = v

    # Raw variables of the derived indicator: real 2019 population, plausible growth.
    growth = np.clip(0.004 + 0.006 * z_gdp + 0.004 * rng.standard_normal(n), -0.008, 0.03)
    population = np.round(pop19[:, None] * np.exp(growth[:, None] * t) / 100.0) * 100.0
    beds_rate = beds1000[:, None] * 10.0 * np.exp(0.028 * t + 0.015 * rng.standard_normal((n, ny)))
    hospital_beds = np.round(beds_rate * population / 1e4)
    raw_vars = {"hospital_beds": hospital_beds, "population": population}

    # ---- rounding, missing cells, outliers --------------------------------------------
    dp = {l["id"]: SPECS[l["id"]].get("dp", 0) for l in raw_leaves}
    dp.update({v: 0 for v in var_ids})
    ids = [l["id"] for l in raw_leaves] + var_ids
    values = {i: clean[i] if i in clean else raw_vars[i] for i in ids}
    values = {i: np.round(v, dp[i]) for i, v in values.items()}

    code_ix = {c: k for k, c in enumerate(codes)}
    outlier_cells = set()
    for code, year, iid, factor in OUTLIERS:
        k, y = code_ix[code], YEARS.index(year)
        values[iid][k, y] = round(values[iid][k, y] * factor, dp[iid])
        outlier_cells.add((k, y, iid))

    p_unit = np.array([1.6 if p == "Anhui" else 1.0 for p in prov])
    p_year = np.array([1.5, 1.0, 0.9, 0.8, 0.9, 1.2])
    present = {}
    for iid in ids:
        p_ind = 3.0 if iid in NEW_INDICATORS else 1.0
        if iid == "population":
            p_ind = 0.0
        elif iid == "hospital_beds":
            p_ind = 0.3
        p = MISSING_BASE * p_unit[:, None] * p_year[None, :] * p_ind
        if iid in NEW_INDICATORS:
            p = p * np.array([2.0, 1.5, 1.0, 0.6, 0.5, 0.5])[None, :]
        present[iid] = rng.random((n, ny)) >= p
        for k, y, oid in outlier_cells:
            if oid == iid:
                present[iid][k, y] = True

    # Rows written with an empty value: chosen among present cells, never outliers.
    empty = set()
    while len(empty) < EMPTY_ROWS:
        k, y, j = int(rng.integers(n)), int(rng.integers(ny)), int(rng.integers(len(ids) - 2))
        iid = ids[j]
        if present[iid][k, y] and (k, y, iid) not in outlier_cells:
            empty.add((k, y, iid))

    # ---- the collaboration domain (own stream; rows go after the other leaves) ----------
    cvals, cpresent = collab_values(collab_leaves, cap, catch_up, eff_city, codes, prov, pop_rel)
    var_values = {v: values.pop(v) for v in var_ids}
    var_present = {v: present.pop(v) for v in var_ids}
    values.update(cvals)
    values.update(var_values)
    present.update(cpresent)
    present.update(var_present)
    dp.update({i: COLLAB_SPECS[i].get("dp", 0) for i in cvals})
    ids = [l["id"] for l in raw_leaves] + list(cvals) + var_ids

    # ---- targets: extend each city's clean trend ---------------------------------------
    targets = {}
    for leaf in raw_leaves:
        iid = leaf["id"]
        space, par = transform[iid]
        good = -1.0 if leaf["direction"] == "cost" else 1.0
        v = clean[iid]
        out = np.empty((n, len(TARGET_YEARS)))
        for m, year in enumerate(TARGET_YEARS):
            y = YEARS.index(year)
            hist = v[:, :y]
            last = hist[:, -1]
            if leaf["direction"] == "target":
                lo, hi = (leaf["target"], leaf["target"]) if not isinstance(leaf["target"], list) else leaf["target"]
                goal = np.clip(last, lo, hi)
                out[:, m] = last + 0.5 * (goal - last)
                continue
            if space == "logit":
                c = par
                h = np.log(np.clip(hist, 1e-6, c - 1e-6) / (c - np.clip(hist, 1e-6, c - 1e-6)))
                min_step = 0.6 * SPECS[iid].get("r", 0.15)
            elif space in ("log", "count"):
                h = np.log(np.maximum(hist, 1e-6))
                min_step = 0.6 * SPECS[iid].get("r", 0.02) if space == "log" else 0.08
            else:
                h = hist
                min_step = 0.5 * par
            tt = np.arange(y, dtype=float)
            slope = ((h - h.mean(axis=1, keepdims=True)) * (tt - tt.mean())).sum(axis=1) / ((tt - tt.mean()) ** 2).sum()
            step = np.maximum(good * slope, min_step)
            nxt = h[:, -1] + good * step
            if space == "logit":
                out[:, m] = par * logistic(nxt)
            elif space == "log":
                out[:, m] = np.exp(nxt)
            elif space == "count":
                out[:, m] = np.maximum(np.ceil(np.exp(nxt)), last + 1)
            else:
                out[:, m] = nxt
        targets[iid] = out

    # ---- rows --------------------------------------------------------------------------
    units_rows = [["id", "name_zh", "name_en", "group", "group_zh", "group_en", "lat", "lon"]]
    for r in cal:
        lat, lon = CITY_CENTRES[r["adcode"]]
        units_rows.append([r["adcode"], r["name_zh"], r["name_en"], r["province_en"],
                           r["province_zh"], r["province_en"], f"{lat:.2f}", f"{lon:.2f}"])
    values_rows = [["unit", "year", "indicator", "value"]]
    targets_rows = [["unit", "year", "indicator", "target"]]
    for k, code in enumerate(codes):
        for y, year in enumerate(YEARS):
            for iid in ids:
                if not present[iid][k, y]:
                    continue
                val = "" if (k, y, iid) in empty else fmt(values[iid][k, y], dp[iid])
                values_rows.append([code, str(year), iid, val])
            if year in TARGET_YEARS:
                m = TARGET_YEARS.index(year)
                for leaf in raw_leaves:
                    iid = leaf["id"]
                    tdp = dp[iid]
                    targets_rows.append([code, str(year), iid, fmt(round(targets[iid][k, m], tdp), tdp)])
    return units_rows, values_rows, targets_rows


# ---------------------------------------------------------------------------- relations
# Real city-centre coordinates (latitude, longitude; 2 decimals) for the gravity model's distances.
COORDS = {
    "310000": (31.23, 121.47), "320100": (32.06, 118.80), "320200": (31.49, 120.31), "320300": (34.26, 117.18),
    "320400": (31.81, 119.97), "320500": (31.30, 120.59), "320600": (31.98, 120.89), "320700": (34.60, 119.22),
    "320800": (33.61, 119.02), "320900": (33.35, 120.16), "321000": (32.39, 119.41), "321100": (32.19, 119.43),
    "321200": (32.46, 119.92), "321300": (33.96, 118.28), "330100": (30.27, 120.16), "330200": (29.87, 121.54),
    "330300": (28.00, 120.70), "330400": (30.75, 120.76), "330500": (30.87, 120.09), "330600": (30.00, 120.58),
    "330700": (29.08, 119.65), "330800": (28.94, 118.87), "330900": (30.02, 122.11), "331000": (28.66, 121.42),
    "331100": (28.45, 119.92), "340100": (31.82, 117.23), "340200": (31.35, 118.43), "340300": (32.92, 117.39),
    "340400": (32.63, 117.00), "340500": (31.67, 118.51), "340600": (33.96, 116.80), "340700": (30.94, 117.81),
    "340800": (30.54, 117.06), "341000": (29.71, 118.34), "341100": (32.30, 118.32), "341200": (32.89, 115.81),
    "341300": (33.65, 116.96), "341500": (31.73, 116.52), "341600": (33.84, 115.78), "341700": (30.66, 117.49),
    "341800": (30.94, 118.76),
}
# relation id -> (first year, directed)
RELATIONS = {"data_sharing": (2019, True), "cross_province_services": (2020, True), "joint_agreements": (2019, False)}


def distance_km(lat_lon: np.ndarray) -> np.ndarray:
    """Great-circle distances (haversine, Earth radius 6371 km) between all pairs of (lat, lon) rows."""
    la, lo = np.radians(lat_lon[:, 0]), np.radians(lat_lon[:, 1])
    h = (np.sin((la[:, None] - la[None, :]) / 2) ** 2
         + np.cos(la[:, None]) * np.cos(la[None, :]) * np.sin((lo[:, None] - lo[None, :]) / 2) ** 2)
    return 2 * 6371.0 * np.arcsin(np.sqrt(h))


def generate_relations(calibration_path: Path = CALIBRATION):
    """SYNTHETIC city-pair ties, 2019–2024, as rows ``from, to, year, relation, value``.

    A gravity model on the calibration's real sizes: the expected tie between cities i and j is
    k · (GDP_i)^a · (GDP_j)^b / d_ij^γ (GDP = population × GDP per capita, d the great-circle
    distance, at least 30 km), times a same-province bonus that shrinks over the years (the
    administrative walls come down; Shanghai's ties all get it) and a yearly growth; the value drawn is Poisson.
    data_sharing (数据共享交换, directed, exchanges a year) from 2019; cross_province_services
    (跨省通办办件, directed, cases handled for residents of i in city j, other provinces only) from
    2020, when the service started, so 2019 is not observed; joint_agreements (合作协议,
    undirected, agreements signed in the year) from 2019.  Its own random stream, so the values
    are unchanged by it.
    """
    cal = read_calibration(calibration_path)
    rng = np.random.default_rng([SEED, 2])
    codes = [r["adcode"] for r in cal]
    prov = np.array([r["province_en"] for r in cal])
    gdp = np.array([float(r["resident_pop_10k_2019"]) * float(r["gdp_per_capita_10k_cny_2019"]) for r in cal])
    pop = np.array([float(r["resident_pop_10k_2019"]) for r in cal])
    g = gdp / np.median(gdp)
    d = np.maximum(distance_km(np.array([COORDS[c] for c in codes])), 30.0) / 100.0   # in 100 km
    same = prov[:, None] == prov[None, :]
    # Shanghai, the region's leading city, meets no administrative wall in the model
    hub = prov == "Shanghai"
    inside = same | hub[:, None] | hub[None, :]
    off = ~np.eye(len(codes), dtype=bool)
    rows = [["from", "to", "year", "relation", "value"]]
    for rel, (first, directed) in RELATIONS.items():
        for k, year in enumerate(YEARS):
            if year < first:
                continue
            walls = np.exp((2.0 - 0.2 * k) * inside)           # same-province bonus, falling over time
            if rel == "data_sharing":
                mu = 0.8 * 1.22 ** k * g[:, None] ** 0.6 * g[None, :] ** 0.5 / d ** 2.0 * walls
            elif rel == "cross_province_services":
                mu = 15.0 * 1.35 ** (k - 1) * (pop[:, None] / 500) ** 0.8 * g[None, :] ** 0.7 / d ** 2.2 * ~same
            else:
                mu = 0.12 * 1.15 ** k * (g[:, None] * g[None, :]) ** 0.4 / d ** 1.3 * walls
            v = rng.poisson(mu * off)
            if not directed:
                v = np.triu(v, 1)
            for i, j in zip(*np.nonzero(v)):
                rows.append([codes[i], codes[j], str(year), rel, str(int(v[i, j]))])
    return rows


def to_csv(rows) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Generate evalkit's synthetic YRD demo data.")
    ap.add_argument("--out", type=Path, default=HERE, help="output folder (default: this folder)")
    ap.add_argument("--tree", type=Path, default=TREE, help="indicator tree YAML")
    ap.add_argument("--calibration", type=Path, default=CALIBRATION, help="calibration CSV")
    args = ap.parse_args(argv)
    units, values, targets = generate(args.tree, args.calibration)
    args.out.mkdir(parents=True, exist_ok=True)
    relations = generate_relations(args.calibration)
    for name, rows in (("units.csv", units), ("values.csv", values), ("targets.csv", targets),
                       ("relations.csv", relations)):
        (args.out / name).write_bytes(to_csv(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
