"""Every case of the analysis vectors, each at its own tolerance.

Files: coupling_coordination, obstacle_degree, theil, dagum_gini,
cv_sigma_convergence (docs/methods.md#coordination, #obstacle, #theil, #dagum, #convergence).
"""

from __future__ import annotations

import numpy as np
import pytest
from _load import (
    arr,
    case,
    case_names,
    cases,
    load,
    minmax,
    tol,
    year_city_to_units_years,
)
from numpy.testing import assert_allclose

from evalkit.analysis.convergence import sigma_convergence
from evalkit.analysis.coordination import (
    CLASSES,
    coordination_level,
    coupling_coordination,
    coupling_degree,
)
from evalkit.analysis.disparity import cv, dagum_gini, gini, theil
from evalkit.analysis.obstacle import group_obstacle, obstacle_degree, top_factors


def close(actual, expected, atol):
    assert_allclose(np.asarray(actual, dtype=float), arr(expected), rtol=0, atol=atol)


def test_every_analysis_case_is_covered():
    covered = {
        "coupling_coordination": {"yrd8_plus_special_rows", "two_system_closed_forms", "class_boundaries"},
        "obstacle_degree": {"yrd8"},
        "theil": {"yrd8_by_province"},
        "dagum_gini": {"yrd8_by_province"},
        "cv_sigma_convergence": {"yrd8_panel_scores"},
    }
    for name, names in covered.items():
        assert set(case_names(name)) == names, name


# --- coupling coordination (docs/methods.md#coordination) --------------------------------------


def test_coupling_vector_class_table_matches_classes():
    table = load("coupling_coordination")["classes"]
    assert [(c["level"], c["lower"], c["upper"], c["cn"], c["en"]) for c in table] == [
        tuple(c) for c in CLASSES
    ]


@pytest.mark.parametrize("variant,key", [("traditional", "traditional"), ("corrected", "wang2021")])
def test_coupling_yrd8_plus_special_rows(variant, key):
    c = case("coupling_coordination", "yrd8_plus_special_rows")
    atol = tol(c)
    U, a = arr(c["inputs"]["U"]), arr(c["inputs"]["a"])
    rows = c["expected"]["rows"]
    assert [r["unit"] for r in rows] == c["inputs"]["units"]
    close(U, [r["U"] for r in rows], 0)
    res = coupling_coordination(U, a=a, variant=variant)
    close(res.T, [r["T"] for r in rows], atol)
    close(res.C, [r[f"C_{key}"] for r in rows], atol)
    close(res.D, [r[f"D_{key}"] for r in rows], atol)
    assert res.level.tolist() == [r[f"level_D_{key}"] for r in rows]
    assert res.class_zh.tolist() == [r[f"label_D_{key}"] for r in rows]
    assert res.lagging.tolist() == np.argmin(U, axis=1).tolist()


def test_coupling_yrd8_no_coefficient_misuse_variant():
    c = case("coupling_coordination", "yrd8_plus_special_rows")
    rows = c["expected"]["rows"]
    C = coupling_degree(arr(c["inputs"]["U"]), variant="no_coefficient")
    close(C, [r["C_no_coefficient_WRONG"] for r in rows], tol(c))
    assert np.all(C <= 1 / 5 + 1e-15)  # bounded by 1/n (docs/methods.md#coordination)


def test_coupling_yrd8_rows_in_a_panel_shape_give_the_same_numbers():
    c = case("coupling_coordination", "yrd8_plus_special_rows")
    U = arr(c["inputs"]["U"]).reshape(4, 3, 5)  # units × years × domains
    rows = c["expected"]["rows"]
    res = coupling_coordination(U, a=arr(c["inputs"]["a"]))
    assert res.D.shape == (4, 3)
    close(res.D.ravel(), [r["D_wang2021"] for r in rows], tol(c))


def test_coupling_two_system_closed_forms():
    c = case("coupling_coordination", "two_system_closed_forms")
    atol = tol(c)
    for e in c["expected"]:
        U = arr(e["U"])
        u1, u2 = U
        trad = coupling_degree(U, variant="traditional")
        corr = coupling_degree(U, variant="corrected")
        close(trad, e["C_traditional"], atol)
        close(corr, e["C_wang2021"], atol)
        # the closed forms of the traditional and corrected C (docs/methods.md#coordination) for n = 2
        close(e["C_traditional_closed_form"], 2 * np.sqrt(u1 * u2) / (u1 + u2), atol)
        close(e["C_wang2021_closed_form"], np.sqrt((1 - abs(u1 - u2)) * min(U) / max(U)), atol)
        close(trad, e["C_traditional_closed_form"], atol)
        close(corr, e["C_wang2021_closed_form"], atol)


def test_coupling_class_boundaries_both_conventions():
    c = case("coupling_coordination", "class_boundaries")
    assert c["tolerance"]["exact_integer"] is True
    D = arr([e["D"] for e in c["expected"]])
    assert coordination_level(D).tolist() == [e["level_[lo,hi)"] for e in c["expected"]]
    assert coordination_level(D, closed="left").tolist() == [e["level_[lo,hi)"] for e in c["expected"]]
    assert coordination_level(D, closed="right").tolist() == [e["level_(lo,hi]"] for e in c["expected"]]


def _back_out_ratio_reading(c_trad: float, c_mod: float) -> tuple[float, float] | None:
    """(U_min, U_max) from a published n = 2 pair, reading the product as Π(U_i / max U)."""
    # C_trad = 2√r/(1+r), r = U_min/U_max ∈ (0, 1]
    q = (1 - np.sqrt(max(0.0, 1 - c_trad**2))) / c_trad  # √r
    r = q * q
    if r >= 1:
        return None
    u_max = (1 - c_mod**2 / r) / (1 - r)  # C_mod² = (1 − U_max(1 − r)) r
    return (r * u_max, u_max) if 0 < u_max <= 1 else None


def test_coupling_wang2021_table8_consistency_check_statement():
    """The vector states: all 91 Table-8 pairs admit valid U under the ratio reading.

    The Table-8 numbers are not in the vector, so we assert its counts and that our
    corrected C *is* the ratio reading: pairs (C_trad, C_corr) computed by
    coupling_degree from valid U always back out to those U under the ratio reading,
    and the literal reading (Π U_i)/max U would give different values.
    """
    chk = load("coupling_coordination")["consistency_check_wang2021_table8"]
    assert chk["pairs"] == 91 == 13 * 7  # 13 京津冀 cities × 2008–2014
    assert chk["ratio_reading_consistent"] == chk["pairs"]
    assert chk["literal_reading_consistent"] == 1
    rng = np.random.default_rng(2021)
    U = np.sort(rng.uniform(0.05, 1.0, size=(91, 2)), axis=1)
    U[:, 1] = np.maximum(U[:, 1], U[:, 0] * 1.01)
    ct = coupling_degree(U, variant="traditional")
    cc = coupling_degree(U, variant="corrected")
    backed = [_back_out_ratio_reading(a, b) for a, b in zip(ct, cc)]
    assert all(b is not None for b in backed)
    assert_allclose(np.array(backed), U, rtol=1e-8, atol=1e-10)
    u1, u2 = U[:, 0], U[:, 1]
    literal = np.sqrt((1 - (u2 - u1)) * (u1 * u2 / u2))
    assert np.all(np.abs(literal - cc) > 1e-6)


# --- obstacle degree (docs/methods.md#obstacle) --------------------------------------------


def test_obstacle_yrd8():
    c = case("obstacle_degree", "yrd8")
    atol = tol(c)
    inp, exp = c["inputs"], c["expected"]
    codes = [i["code"] for i in inp["indicators"]]
    domains = list(dict.fromkeys(i["domain"] for i in inp["indicators"]))
    assert domains == ["政务", "交通", "医疗", "教育", "环保"]
    groups = [domains.index(i["domain"]) for i in inp["indicators"]]
    F = arr(inp["F_global_weights"])
    close(F, np.repeat(arr(inp["w_domain"]), 2) * arr(inp["w_local"]), 1e-12)  # F = W_domain × w_local
    z = minmax(inp["X"], inp["directions"], axis=0)
    close(z, exp["Z"], atol)
    res = obstacle_degree(arr(exp["Z"])[:, None, :], F)  # 8 units × 1 year × 10 indicators
    close(res.I[:, 0], exp["I"], atol)
    close(res.O[:, 0], exp["O"], atol)
    close(res.O[:, 0].sum(axis=1), exp["O_row_sums"], atol)
    close(res.deficit[:, 0], (F * arr(exp["I"])).sum(axis=1), atol)
    close(group_obstacle(res.O, groups)[:, 0], exp["domain_obstacle"], atol)
    top = top_factors(res.O, k=3)[:, 0]
    assert [[codes[j] for j in row] for row in top] == exp["top3_indicators"]


def test_obstacle_yrd8_percentages_quoted_in_methods():
    c = case("obstacle_degree", "yrd8")
    res = obstacle_degree(arr(c["expected"]["Z"])[:, None, :], arr(c["inputs"]["F_global_weights"]))
    # docs/methods.md#obstacle: 上海 O in % (0, 0, 4.75, 52.75, 6.80, 10.41, 0, 0, 25.29, 0), 2-dp
    close(100 * res.O[0, 0], [0, 0, 4.75, 52.75, 6.80, 10.41, 0, 0, 25.29, 0], 0.005 + 1e-12)


# --- Theil (docs/methods.md#theil) ----------------------------------------------------


def test_theil_yrd8_by_province():
    c = case("theil", "yrd8_by_province")
    atol = tol(c)
    y, prov = arr(c["inputs"]["y"]), c["inputs"]["province"]
    e = c["expected"]
    t = theil(y, prov)
    for key in ("T", "T_within", "T_between", "L", "L_within", "L_between"):
        close(getattr(t, key), e[key], atol)
    assert t.n_used == 8 and t.n_missing == 0 and t.n_nonpositive == 0
    assert set(t.groups) == set(e["groups"])
    for i, g in enumerate(t.groups):
        eg = e["groups"][g]
        assert t.n[i] == eg["n"]
        close(t.mean[i], eg["mean"], atol)
        close(t.T_g[i], eg["T_within_group"], atol)
        close(t.L_g[i], eg["L_within_group"], atol)
        close(t.score_share[i], eg["score_share"], atol)
        close(t.pop_share[i], eg["pop_share"], atol)
        close(t.contribution_T[i], eg["contribution_to_T"], atol)
    close(t.T_within + t.T_between, t.T, atol)
    close(t.L_within + t.L_between, t.L, atol)


# --- Dagum Gini (docs/methods.md#dagum) -----------------------------------------------


def test_dagum_gini_yrd8_by_province():
    c = case("dagum_gini", "yrd8_by_province")
    atol = tol(c)
    e = c["expected"]
    g = dagum_gini(arr(c["inputs"]["y"]), c["inputs"]["province"])
    assert list(g.groups) == e["group_order_by_mean_desc"]
    close(g.G, e["G"], atol)
    close(g.G_within, e["G_within"], atol)
    close(g.G_net_between, e["G_net_between"], atol)
    close(g.G_trans, e["G_transvariation"], atol)
    close(g.G_within + g.G_net_between + g.G_trans, e["sum_check_Gw_Gnb_Gt"], atol)
    close(g.G_within + g.G_net_between + g.G_trans, g.G, atol)
    ix = {name: i for i, name in enumerate(g.groups)}
    for name in g.groups:
        close(g.G_jj[ix[name]], e["G_jj"][name], atol)
        close(g.p[ix[name]], e["p"][name], atol)
        close(g.s[ix[name]], e["s"][name], atol)
    assert len(e["pairs"]) == 6
    for pair, pe in e["pairs"].items():
        j, h = (ix[n] for n in pair.split("|"))
        assert j < h  # the vector names the richer group first
        close(g.G_jh[j, h], pe["G_jh"], atol)
        close(g.d_jh[j, h], pe["d_jh"], atol)
        close(g.p_jh[j, h], pe["p_jh"], atol)
        close(g.D_jh[j, h], pe["D_jh"], atol)
        close(g.weight[j, h], pe["weight"], atol)
    for key, val in e["contribution_share"].items():
        close(g.shares[key], val, atol)


# --- CV and σ-convergence (docs/methods.md#convergence) ---------------------------------------


def test_cv_sigma_convergence_yrd8_panel_scores():
    c = case("cv_sigma_convergence", "yrd8_panel_scores")
    atol = tol(c)
    Y = year_city_to_units_years(c["inputs"]["scores"])  # 8 units × 3 years
    by_year = c["expected"]["by_year"]
    assert [b["year"] for b in by_year] == c["inputs"]["years"]
    s = sigma_convergence(Y)
    close(s.mean, [b["mean"] for b in by_year], atol)
    close(s.sd_pop, [b["sd_pop"] for b in by_year], atol)
    close(s.sd_sample, [b["sd_sample"] for b in by_year], atol)
    close(s.cv_pop, [b["cv_pop"] for b in by_year], atol)
    close(s.cv_sample, [b["cv_sample"] for b in by_year], atol)
    close(s.sd_log_pop, [b["sd_log_pop"] for b in by_year], atol)
    for t, b in enumerate(by_year):
        close(cv(Y[:, t]), b["cv_pop"], atol)
        close(cv(Y[:, t], ddof=1), b["cv_sample"], atol)
        close(theil(Y[:, t]).T, b["theil_T"], atol)
        close(gini(Y[:, t]), b["gini"], atol)
        close(dagum_gini(Y[:, t]).G, b["gini"], atol)
    assert bool(np.all(s.converging)) is c["expected"]["cv_decreasing_each_year"]
    # docs/methods.md#convergence: the absolute sd rises while the CV falls
    assert np.all(np.diff(s.sd_pop) > 0) and np.all(np.diff(s.cv_pop) < 0)


def test_vector_cases_each_have_a_tolerance():
    for name in ("coupling_coordination", "obstacle_degree", "theil", "dagum_gini", "cv_sigma_convergence"):
        for c in cases(name):
            assert "tolerance" in c, (name, c["name"])
