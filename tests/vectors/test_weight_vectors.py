"""Every case of the weighting vectors, each at its own tolerance.

Files: entropy_weight, entropy_panel, entropy_hierarchical, ahp,
ahp_random_index, combination_weighting, critic_cv (docs/methods.md#ahp, #combined, #critic, #cv).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from _load import arr, case_names, cases, load, minmax, tol, year_city_to_units_years
from numpy.testing import assert_allclose
from scipy.optimize import minimize
from scipy.stats import rankdata

from evalkit import weight as W


def close(actual, expected, atol):
    assert_allclose(np.asarray(actual, dtype=float), arr(expected), rtol=0, atol=atol)


def ranks(scores):
    """Rank 1 = best; ties share the best rank (results.csv, README.md "Command line")."""
    return rankdata(-np.asarray(scores), method="min").astype(int)


def by_name(file):
    return {c["name"]: c for c in cases(file)}


def test_every_case_of_the_weight_files_is_known():
    """A new case in a vector file must get a test here (no silent skipping)."""
    assert case_names("entropy_weight") == [
        "toy_4x3_zero_convention", "constant_column", "yrd8_cross_section_variants",
        "fighter_aircraft_ratio_scale"]
    assert case_names("entropy_panel") == ["yrd8_3years_5indicators"]
    assert case_names("entropy_hierarchical") == ["yrd8_five_domains"]
    assert case_names("ahp") == ["jiang_qiyuan_tourism", "saaty_drinks", "leader_hierarchy",
                                 "group_aij_aip", "n3_ev_equals_gm"]
    assert case_names("combination_weighting") == ["five_domains", "four_indicators_generic",
                                                   "uniform_collapse"]
    assert case_names("critic_cv") == ["yrd8_10_indicators"]
    assert set(load("ahp_random_index")["tables_n1_to_n15"]) == set(W.RI_TABLES)


# ------------------------------------------------------------------ entropy_weight

ENTROPY_WEIGHT = by_name("entropy_weight")


@pytest.mark.parametrize("name", ["toy_4x3_zero_convention", "constant_column"])
def test_entropy_weight_small_cases(name):
    c = ENTROPY_WEIGHT[name]
    t = tol(c)
    x, ex = arr(c["inputs"]["X"]), c["expected"]
    z = minmax(x, c["inputs"]["directions"])
    close(z, ex["Z"], t)
    r = W.entropy(z, shift=c["inputs"].get("shift", 0.0))
    close(r.e, ex["e"], t)
    close(r.d, ex["d"], t)
    close(r.w, ex["w"], t)
    if "k" in ex:
        close(1.0 / np.log(r.n), np.full(3, ex["k"]), t)
    if "p" in ex:
        close(z / z.sum(axis=0), ex["p"], t)
    if name == "constant_column":
        assert r.constant.tolist() == [False, True, False]
        assert r.w[1] == 0.0 and r.d[1] == 0.0 and r.e[1] == 1.0


def _variant_options(variant):
    if "shift" in variant:
        return {"shift": variant["shift"]}
    m = re.fullmatch(r"z' = ([0-9.]+) \+ ([0-9.]+) z", variant["transform"])
    lo, slope = float(m.group(1)), float(m.group(2))
    return {"rescale": (lo, lo + slope)}


def test_entropy_weight_yrd8_all_zero_handling_variants():
    c = ENTROPY_WEIGHT["yrd8_cross_section_variants"]
    t = tol(c)
    x, ex = arr(c["inputs"]["X"]), c["expected"]
    z = minmax(x, c["inputs"]["directions"])
    close(z, ex["Z"], t)
    assert set(ex["variants"]) == {"zero_convention", "shift_1e-4", "shift_1e-2", "rescale_0.01_1"}
    for name, v in ex["variants"].items():
        r = W.entropy(z, **_variant_options(v))
        close(r.e, v["e"], t)
        close(r.d, v["d"], t)
        close(r.w, v["w"], t)
        score = 100.0 * z @ r.w  # scores on the UNshifted z
        close(score, v["score_0_100_on_unshifted_Z"], t)
        assert ranks(score).tolist() == v["rank"], name


def test_entropy_weight_rescale_equals_equivalent_shift():
    """0.01 + 0.99 z = 0.99 (z + 0.01/0.99): p, hence w, are those of shift 0.01/0.99."""
    c = ENTROPY_WEIGHT["yrd8_cross_section_variants"]
    z = arr(c["expected"]["Z"])
    a = W.entropy(z, rescale=(0.01, 1.0)).w
    b = W.entropy(z, shift=0.01 / 0.99).w
    close(a, b, 1e-14)


def test_entropy_weight_fighter_aircraft_ratio_scale():
    c = ENTROPY_WEIGHT["fighter_aircraft_ratio_scale"]
    t = tol(c)
    r = W.entropy_ratio(arr(c["inputs"]["X"]))
    close(r.e, c["expected"]["e"], t)
    close(r.d, c["expected"]["d"], t)
    close(r.w, c["expected"]["w"], t)


# ------------------------------------------------------------------ entropy_panel

def test_entropy_panel_yrd8_3years_5indicators():
    (c,) = cases("entropy_panel")
    t = tol(c)
    inp, ex = c["inputs"], c["expected"]
    x = year_city_to_units_years(inp["X_year_city_indicator"])  # (8 units, 3 years, 5)
    n_units, n_years, m = x.shape
    assert (n_units, n_years, m) == (ex["n_cities"], ex["r_years"], 5)
    z = minmax(x, inp["directions"], axis=(0, 1))  # panel bounds: all unit-years
    # the vector stores z year-major: rows (2021: 8 cities), (2022: ...), ...
    close(np.transpose(z, (1, 0, 2)).reshape(-1, m), ex["Z_flat_rows_year_major"], t)
    z2 = z.reshape(-1, m)
    for key, shift in (("zero_convention", 0.0), ("shift_1e-4", 1e-4)):
        v = ex[key]
        r = W.entropy(z2, shift=shift)
        close(1.0 / np.log(r.n), np.full(m, v["k"]), t)
        close(r.e, v["e"], t)
        close(r.d, v["d"], t)
        close(r.w, v["w"], t)
        score = 100.0 * z @ r.w  # (units, years)
        close(score, year_city_to_units_years(v["score_0_100"]), t)
    # Year-by-year entropy (per-year bounds), the contrast the panel method avoids.
    for y, year in enumerate(inp["years"]):
        v = ex["contrast_yearly_cross_section"][str(year)]
        zy = minmax(x[:, y, :], inp["directions"])
        r = W.entropy(zy)
        assert r.n.tolist() == [n_units] * m
        close(r.w, v["w"], t)
        close(100.0 * zy @ r.w, v["score_0_100"], t)


# ------------------------------------------------------------------ entropy_hierarchical

def test_entropy_hierarchical_flat_and_two_stage():
    (c,) = cases("entropy_hierarchical")
    t = tol(c)
    inp, ex = c["inputs"], c["expected"]
    dirs = [i["direction"] for i in inp["indicators"]]
    z = minmax(arr(inp["X"]), dirs)
    dom_of = inp["domain_of_indicator"]
    groups = [[j for j, d in enumerate(dom_of) if d == dom] for dom in inp["domains"]]

    flat = W.entropy(z).w
    close(flat, ex["flat"]["w_indicator"], t)
    close([flat[g].sum() for g in groups], ex["flat"]["w_domain_sum"], t)
    local_flat = np.empty_like(flat)
    for g in groups:
        local_flat[g] = flat[g] / flat[g].sum()
    close(local_flat, ex["flat"]["w_local_within_domain"], t)

    two = ex["two_stage"]
    local = np.empty_like(flat)
    for g in groups:
        local[g] = W.entropy(z[:, g]).w
    close(local, two["w_local_within_domain"], t)
    close(local, local_flat, t)  # the identity: d_j depends on column j only
    u = np.column_stack([z[:, g] @ local[g] for g in groups])
    close(u, two["U_domain_scores"], t)
    zu = minmax(u, ["+"] * len(groups))
    close(zu, two["ZU_standardised_domain_scores"], t)
    w_dom = W.entropy(zu).w
    close(w_dom, two["w_domain"], t)
    gw = np.empty_like(flat)
    for k, g in enumerate(groups):
        gw[g] = w_dom[k] * local[g]
    close(gw, two["w_global"], t)
    assert isinstance(ex["identity"], str)


# ------------------------------------------------------------------ AHP

AHP = by_name("ahp")


def check_ahp_block(a, block, t):
    """One matrix's expected block: EV/GM/AN weights, λ, CI, CR under 5 tables, GCI."""
    a = arr(a)
    ev = W.ahp(a)
    assert ev.n == block["n"] == a.shape[0]
    close(ev.w, block["w_eigen"], t)
    close(ev.lambda_max, block["lambda_max"], t)
    close(ev.ci, block["CI"], t)
    assert set(block["CR"]) == set(W.RI_TABLE_NAMES)
    for table, cr in block["CR"].items():
        r = W.ahp(a, ri=table)
        assert r.ri_table == table
        close(r.cr, cr, t)
    gm = W.ahp(a, method="geometric")
    close(gm.w, block["w_geometric_mean"], t)
    close(gm.lambda_max, block["lambda_from_gm"], t)
    an = W.ahp(a, method="arithmetic")
    close(an.w, block["w_arithmetic_norm"], t)
    close(an.lambda_max, block["lambda_from_an"], t)
    close(W.gci(a, gm.w), block["GCI_geometric"], t)
    return ev


def test_ahp_jiang_qiyuan_tourism():
    c = AHP["jiang_qiyuan_tourism"]
    t, tp = tol(c, "abs_computed"), tol(c, "abs_vs_published")
    inp, ex, pub = c["inputs"], c["expected"], c["published"]
    crit = check_ahp_block(inp["A_criteria"], ex["criteria"], t)
    b = arr(inp["B_alternatives_per_criterion"])
    assert len(ex["per_criterion"]) == b.shape[0]
    locals_ = [check_ahp_block(bk, blk, t) for bk, blk in zip(b, ex["per_criterion"], strict=True)]
    local = np.column_stack([r.w for r in locals_])  # (alternatives, criteria)
    total = local @ crit.w
    close(total, ex["global_alternative_weights"], t)
    cr_total = W.hierarchy_cr(crit.w, [r.ci for r in locals_],
                              [W.ri_value(r.n, "saaty1980") for r in locals_])
    close(cr_total, ex["hierarchy_CR_level3_saaty1980"], t)
    # against the textbook's 3-dp numbers
    close(crit.w, pub["w"], tp)
    close(crit.lambda_max, pub["lambda_max"], tp)
    close(crit.ci, pub["CI"], tp)
    close(crit.cr, pub["CR"], tp)
    close(total, pub["total"], tp)


def test_ahp_saaty_drinks():
    c = AHP["saaty_drinks"]
    t, tp = tol(c, "abs_computed"), tol(c, "abs_vs_published")
    ev = check_ahp_block(c["inputs"]["A"], c["expected"], t)
    pub = c["published"]
    close(ev.w, pub["w"], tp)
    r = W.ahp(arr(c["inputs"]["A"]), ri="saaty2005")
    assert r.ri == 1.35
    close(r.cr, pub["CR_with_RI_1.35"], tp)
    # pub["actual_consumption"] is Saaty's real-world data the judgments were
    # meant to approximate, not a computed quantity: it only has to agree in order.
    assert np.argmax(ev.w) == np.argmax(pub["actual_consumption"])


def test_ahp_leader_hierarchy():
    c = AHP["leader_hierarchy"]
    t, tp = tol(c, "abs_computed"), tol(c, "abs_vs_published")
    inp, ex, pub = c["inputs"], c["expected"], c["published"]
    crit = check_ahp_block(inp["A_criteria"], ex["criteria"], t)
    alts = inp["alternatives"]
    final = np.zeros(len(alts))
    local = {}
    for k, name in enumerate(inp["criteria"]):
        r = check_ahp_block(inp["A_alternatives"][name], ex["alternatives"][name], t)
        local[name] = r
        contrib = crit.w[k] * r.w
        close(contrib, ex["global_contributions"][name], t)
        final += contrib
    close(final, ex["final"], t)
    # published (AHPy README, Saaty 2005 RI)
    for name, v in pub["criteria_w"].items():
        close(crit.w[inp["criteria"].index(name)], v, tp)
    for name, v in pub["final"].items():
        close(final[alts.index(name)], v, tp)
    for name, v in pub["Experience_local"].items():
        close(local["Experience"].w[alts.index(name)], v, tp)
    k_edu = inp["criteria"].index("Education")
    for name, v in pub["Education_global"].items():
        close(crit.w[k_edu] * local["Education"].w[alts.index(name)], v, tp)
    close(W.ahp(arr(inp["A_criteria"]), ri="saaty2005").cr, pub["CR_saaty2005"]["criteria"], tp)
    for name in ("Experience", "Education"):
        r = W.ahp(arr(inp["A_alternatives"][name]), ri="saaty2005")
        close(r.cr, pub["CR_saaty2005"][name], tp)


def test_ahp_group_aij_aip():
    c = AHP["group_aij_aip"]
    t = tol(c)
    inp, ex = c["inputs"], c["expected"]
    experts, lam = arr(inp["experts"]), arr(inp["expert_weights"])
    assert len(ex["individual"]) == experts.shape[0]
    ind = [check_ahp_block(e, blk, t) for e, blk in zip(experts, ex["individual"], strict=True)]
    g = W.group_aij(experts, expert_weights=lam)
    close(g, ex["AIJ_matrix"], t)
    assert_allclose(g * g.T, np.ones_like(g), rtol=0, atol=1e-12)  # still reciprocal
    aij = check_ahp_block(g, ex["AIJ"], t)
    assert aij.cr < min(r.cr for r in ind)
    close(W.group_aip([r.w for r in ind], expert_weights=lam), ex["AIP_geometric"], t)
    close(W.group_aip([r.w for r in ind], expert_weights=lam, mean="arithmetic"),
          ex["AIP_arithmetic"], t)
    arith = np.tensordot(lam, experts, axes=1)  # the wrong (non-reciprocal) mean
    close(arith[0, 1] * arith[1, 0], ex["arithmetic_matrix_a12_times_a21"], t)


def test_ahp_n3_ev_equals_gm():
    c = AHP["n3_ev_equals_gm"]
    t = tol(c)
    ev = check_ahp_block(c["inputs"]["A"], c["expected"], t)
    close(ev.w, W.ahp(arr(c["inputs"]["A"]), method="geometric").w, t)


# ------------------------------------------------------------------ ahp_random_index

def test_ahp_random_index_tables_exact():
    d = load("ahp_random_index")
    assert d["tolerance"]["table_values"] == 0.0
    for name, values in d["tables_n1_to_n15"].items():
        assert W.RI_TABLES[name] == tuple(float(v) for v in values), name
        for n in range(1, 16):
            assert W.ri_value(n, name) == values[n - 1]
    assert W.RI_TABLE_NAMES[0] == "cn_textbook"  # the default RI table (docs/methods.md#ahp)
    assert set(d["table_sources"]) >= set(W.RI_TABLES)


def test_ahp_random_index_monte_carlo_agrees_with_alonso_lamata():
    d = load("ahp_random_index")
    t = d["tolerance"]["monte_carlo_vs_alonso_lamata"]
    mc = d["monte_carlo_computed_here"]["RI"]
    assert sorted(int(n) for n in mc) == list(range(3, 16))
    for n, v in mc.items():
        assert abs(v - W.ri_value(int(n), "alonso_lamata2006")) <= t, n
        assert d["monte_carlo_computed_here"]["SE"][n] < t


# ------------------------------------------------------------------ combination_weighting

COMB = by_name("combination_weighting")


def check_combinations(a, b, ex, t):
    close(W.combine(a, b, rule="multiplicative").w, ex["multiplicative"], t)
    lin = W.combine(a, b, rule="linear", alpha=0.5)
    close(lin.w, ex["linear_alpha_0.5"], t)
    assert lin.details["alpha"] == 0.5
    close(W.combine(a, b).w, ex["mdi"], t)  # mdi is the default rule
    g = W.combine(a, b, rule="game_theory")
    close(g.details["alpha_raw"], ex["game_alpha_raw"], t)
    close(g.details["alpha"], ex["game_alpha_normalised"], t)
    close(g.w, ex["game"], t)
    return g


def test_combination_five_domains():
    c = COMB["five_domains"]
    t, ts = tol(c), tol(c, "abs_scipy_checks")
    inp, ex = c["inputs"], c["expected"]
    a_mat = arr(inp["A_ahp_domains"])
    ev = check_ahp_block(a_mat, ex["ahp"], t)
    close(ev.w, inp["a_subjective_ahp_eigen"], t)
    b = arr(inp["b_objective_entropy_flat_domain_sum"])
    # b is the flat entropy domain sum of entropy_hierarchical.json
    (h,) = cases("entropy_hierarchical")
    close(b, h["expected"]["flat"]["w_domain_sum"], t)
    g = check_combinations(ev.w, b, ex, t)
    close(g.details["alpha_raw_sum"], ex["game_alpha_raw_sum"], t)
    close(g.details["residual"], ex["check_game_condition_residual"], t)
    # the MDI closed form is the minimiser of the two KL divergences (SLSQP check)
    a = ev.w

    def kl2(w):
        return np.sum(w * np.log(w / a)) + np.sum(w * np.log(w / b))

    res = minimize(kl2, np.full(5, 0.2), method="SLSQP", bounds=[(1e-9, 1)] * 5,
                   constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}],
                   options={"ftol": 1e-14, "maxiter": 500})
    close(res.x, ex["check_mdi_scipy_slsqp"], ts)
    close(W.combine(a, b).w, res.x, ts)


@pytest.mark.parametrize("name", ["four_indicators_generic", "uniform_collapse"])
def test_combination_generic_and_uniform_collapse(name):
    c = COMB[name]
    t = tol(c)
    g = check_combinations(arr(c["inputs"]["a"]), arr(c["inputs"]["b"]), c["expected"], t)
    if name == "uniform_collapse":
        close(g.w, c["inputs"]["a"], t)  # collapses onto a


# ------------------------------------------------------------------ critic_cv

def test_critic_cv_yrd8_10_indicators():
    (c,) = cases("critic_cv")
    t = tol(c)
    inp, ex = c["inputs"], c["expected"]
    x = arr(inp["X"])
    z = minmax(x, inp["directions"])
    close(z, ex["Z"], t)
    for key, abs_corr in (("CRITIC_ddof1", False), ("CRITIC_abs_r", True)):
        r = W.critic(z, abs_corr=abs_corr)
        v = ex[key]
        close(r.sigma, v["sigma"], t)
        close(r.r, v["R"], t)
        close(r.conflict, v["conflict"], t)
        close(r.c, v["C"], t)
        close(r.w, v["w"], t)
        assert r.n_rows == 8 and r.fallback == ""
    close(W.critic(z, ddof=0).w, ex["CRITIC_ddof0_weights"], t)
    z_wrong = minmax(x, ["+"] * x.shape[1])  # directions not aligned
    close(W.critic(z_wrong).w, ex["CRITIC_without_direction_alignment_WRONG"], t)
    cv1 = W.cv(x)
    close(cv1.v, ex["CV_ddof1"]["cv"], t)
    close(cv1.w, ex["CV_ddof1"]["w"], t)
    assert not cv1.nonpositive_mean.any()
    close(W.cv(x, ddof=0).w, ex["CV_ddof0_weights"], t)
