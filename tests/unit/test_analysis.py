"""Hand-worked numbers and edge cases for evalkit.analysis (docs/methods.md: coordination, obstacle, theil, dagum, convergence, dea)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import linprog

from evalkit.analysis.convergence import beta_convergence, sigma_convergence
from evalkit.analysis.coordination import (
    CLASSES,
    coordination_level,
    coupling_coordination,
    coupling_degree,
)
from evalkit.analysis.disparity import (
    DISPARITY_COLUMNS,
    cv,
    dagum_gini,
    disparity_table,
    gini,
    theil,
)
from evalkit.analysis.efficiency import dea, ratio
from evalkit.analysis.obstacle import group_obstacle, obstacle_degree, top_factors

TOL = 1e-12


# --- coordination ---------------------------------------------------------------


def test_coordination_two_systems_hand_worked():
    res = coupling_coordination(np.array([0.8, 0.4]))
    C = math.sqrt((1 - 0.4) * 0.5)  # √[(1 − |U1 − U2|) · U_min/U_max]
    assert_allclose(res.C, C, atol=TOL)
    assert_allclose(res.T, 0.6, atol=TOL)
    assert_allclose(res.D, math.sqrt(C * 0.6), atol=TOL)  # 0.5733 → level 6
    assert res.level == 6 and res.class_zh == "勉强协调" and res.class_en == "barely coordinated"
    assert res.lagging == 1
    trad = coupling_coordination(np.array([0.8, 0.4]), variant="traditional")
    assert_allclose(trad.C, 2 * math.sqrt(0.32) / 1.2, atol=TOL)


def test_coordination_custom_t_weights():
    res = coupling_coordination(np.array([0.8, 0.4]), a=np.array([0.75, 0.25]))
    assert_allclose(res.T, 0.7, atol=TOL)


def test_coordination_three_systems_corrected_hand_worked():
    U = np.array([0.2, 0.4, 0.8])
    gap = (0.2 + 0.6 + 0.4) / 3
    prod = (0.25 * 0.5 * 1.0) ** (1 / 2)
    assert_allclose(coupling_degree(U), math.sqrt((1 - gap) * prod), atol=TOL)


def test_coordination_equal_scores_give_c_one_both_variants():
    U = np.full((2, 3, 5), 0.37)
    for v in ("corrected", "traditional"):
        res = coupling_coordination(U, variant=v)
        assert_allclose(res.C, 1.0, atol=TOL)
        assert_allclose(res.D, math.sqrt(0.37), atol=TOL)


def test_coordination_all_zero_row_is_c_zero_level_one():
    res = coupling_coordination(np.zeros(5))
    assert res.C == 0 and res.T == 0 and res.D == 0 and res.level == 1
    assert coupling_degree(np.zeros(5), variant="traditional") == 0


def test_coordination_nan_row_gives_nan_and_level_zero_only_there():
    U = np.array([[0.5, 0.6, 0.7], [0.5, np.nan, 0.7]])
    res = coupling_coordination(U)
    assert np.isfinite(res.D[0]) and res.level[0] > 0 and res.lagging[0] == 0
    assert np.isnan(res.C[1]) and np.isnan(res.T[1]) and np.isnan(res.D[1])
    assert res.level[1] == 0 and res.class_zh[1] is None and res.class_en[1] is None
    assert res.lagging[1] == -1


def test_coordination_floor_lifts_zero_domains_and_keeps_nan():
    U = np.array([[0.0, 0.5436, 0.0, 0.0, 0.0], [np.nan, 0.5, 0.5, 0.5, 0.5]])
    plain = coupling_coordination(U)
    floored = coupling_coordination(U, floor=0.01)
    assert plain.D[0] == 0 and floored.D[0] > 0
    assert_allclose(floored.T[0], (0.04 + 0.5436) / 5, atol=TOL)
    assert np.isnan(floored.D[1])


def test_coordination_lagging_ties_take_the_first_domain():
    assert coupling_coordination(np.array([0.5, 0.2, 0.2, 0.9])).lagging == 1


def test_coordination_does_not_modify_input():
    U = np.array([[0.0, 0.5, 0.5]])
    before = U.copy()
    coupling_coordination(U, floor=0.01)
    assert np.array_equal(U, before)


def test_coordination_level_extremes_and_nan():
    D = np.array([0.0, 1.0, 0.95, np.nan, 0.1, 0.9])
    assert coordination_level(D).tolist() == [1, 10, 10, 0, 2, 10]
    assert coordination_level(D, closed="right").tolist() == [1, 10, 10, 0, 1, 9]
    assert len(CLASSES) == 10 and CLASSES[-1][3] == "优质协调"


@pytest.mark.parametrize(
    "kwargs",
    [{"a": np.array([0.5, 0.6])}, {"variant": "no_coefficient"}, {"variant": "x"}, {"closed": "both"}],
)
def test_coordination_rejects_broken_options(kwargs):
    with pytest.raises(ValueError):
        coupling_coordination(np.array([0.5, 0.4]), **kwargs)


def test_coordination_rejects_u_outside_unit_interval_and_single_system():
    with pytest.raises(ValueError):
        coupling_coordination(np.array([1.5, 0.4]))
    with pytest.raises(ValueError):
        coupling_coordination(np.array([-0.1, 0.4]))
    with pytest.raises(ValueError):
        coupling_coordination(np.array([[0.5]]))


# --- obstacle ---------------------------------------------------------------------


def test_obstacle_hand_worked():
    z = np.array([[[1.0, 0.5, 0.0]]])
    F = np.array([0.5, 0.3, 0.2])
    res = obstacle_degree(z, F)
    assert_allclose(res.I[0, 0], [0, 0.5, 1], atol=TOL)
    assert_allclose(res.deficit[0, 0], 0.15 + 0.2, atol=TOL)
    assert_allclose(res.O[0, 0], [0, 0.15 / 0.35, 0.2 / 0.35], atol=TOL)
    assert top_factors(res.O, k=3)[0, 0].tolist() == [2, 1, -1]  # O = 0 is not an obstacle
    assert_allclose(group_obstacle(res.O, [0, 0, 1])[0, 0], [0.15 / 0.35, 0.2 / 0.35], atol=TOL)


def test_obstacle_best_everywhere_gives_zero_not_nan():
    res = obstacle_degree(np.ones((1, 2, 4)), np.full(4, 0.25))
    assert np.all(res.O == 0) and np.all(res.deficit == 0)
    assert np.all(top_factors(res.O) == -1)


def test_obstacle_missing_z_is_excluded():
    z = np.array([[[0.5, np.nan, 0.0], [np.nan, np.nan, np.nan]]])
    F = np.array([0.2, 0.5, 0.3])
    res = obstacle_degree(z, F)
    assert np.isnan(res.O[0, 0, 1]) and np.isnan(res.I[0, 0, 1])
    assert_allclose(np.nansum(res.O[0, 0]), 1.0, atol=TOL)
    assert_allclose(res.deficit[0, 0], 0.1 + 0.3, atol=TOL)
    assert np.isnan(res.deficit[0, 1]) and np.all(np.isnan(res.O[0, 1]))
    g = group_obstacle(res.O, {0: 0, 1: 1, 2: 0})
    assert_allclose(g[0, 0], [1.0, np.nan], atol=TOL)  # group 1's only member is missing
    assert top_factors(res.O, k=2)[0, 0].tolist() == [2, 0]


def test_obstacle_top_factors_pads_when_k_exceeds_indicators():
    O = np.array([[[0.7, 0.3]]])
    assert top_factors(O, k=4)[0, 0].tolist() == [0, 1, -1, -1]


def test_obstacle_top_factors_ties_keep_indicator_order():
    O = np.array([[[0.3, 0.3, 0.4, 0.0]], [[0.25, 0.25, 0.25, 0.25]]])
    assert top_factors(O, k=3)[:, 0].tolist() == [[2, 0, 1], [0, 1, 2]]


def test_obstacle_group_counts_and_empty_group():
    O = np.array([[[0.5, 0.5]]])
    assert_allclose(group_obstacle(O, [0, 2], n_groups=4)[0, 0], [0.5, 0, 0.5, 0], atol=TOL)


def test_obstacle_rejects_wrong_shapes():
    with pytest.raises(ValueError):
        obstacle_degree(np.ones((2, 3)), np.ones(3))
    with pytest.raises(ValueError):
        obstacle_degree(np.ones((1, 1, 3)), np.ones(2))
    with pytest.raises(ValueError):
        group_obstacle(np.ones((1, 1, 3)), [0, 1])


# --- disparity --------------------------------------------------------------------


def test_theil_gini_cv_two_units_hand_worked():
    y = np.array([1.0, 3.0])
    t = theil(y)
    assert_allclose(t.T, 0.5 * (0.5 * math.log(0.5) + 1.5 * math.log(1.5)), atol=TOL)
    assert_allclose(t.L, 0.5 * (math.log(2) + math.log(2 / 3)), atol=TOL)
    assert t.T_between == 0 and t.L_between == 0
    assert_allclose(gini(y), 4 / (2 * 4 * 2), atol=TOL)  # Σ|y_i − y_r| = 4
    assert_allclose(cv(y), 0.5, atol=TOL)
    assert_allclose(cv(y, ddof=1), math.sqrt(2) / 2, atol=TOL)


def test_dagum_two_groups_hand_worked():
    # group a = {4}, group b = {1, 3}; μ = 8/3
    g = dagum_gini(np.array([4.0, 1.0, 3.0]), ["a", "b", "b"])
    assert g.groups == ("a", "b")
    assert_allclose(g.G, (2 * (3 + 1 + 2)) / (2 * 9 * 8 / 3), atol=TOL)
    assert_allclose(g.G_jj, [0.0, 4 / (2 * 4 * 2)], atol=TOL)
    assert_allclose(g.d_jh[0, 1], (3 + 1) / 2, atol=TOL)
    assert g.p_jh[0, 1] == 0 and g.D_jh[0, 1] == 1
    assert_allclose(g.G_jh[0, 1], 2 / (4 + 2), atol=TOL)
    assert_allclose(g.G_within + g.G_net_between + g.G_trans, g.G, atol=TOL)


def test_disparity_single_unit_groups_have_zero_within():
    y = np.array([10.0, 20.0, 30.0])
    t = theil(y, ["a", "b", "c"])
    assert np.all(t.T_g == 0) and t.T_within == 0
    assert_allclose(t.T_between, t.T, atol=TOL)
    g = dagum_gini(y, ["a", "b", "c"])
    assert g.G_within == 0 and g.G_trans == 0
    assert_allclose(g.G_net_between, g.G, atol=TOL)


def test_disparity_integer_group_codes_keep_first_appearance_order():
    y = np.array([5.0, 6.0, 1.0, 2.0])
    assert theil(y, np.array([7, 7, 3, 5])).groups == (7, 3, 5)
    assert theil(y, ["b", "b", "a", "c"]).groups == ("b", "a", "c")
    assert_allclose(theil(y, np.array([7, 7, 3, 5])).T_within,
                    theil(y, ["b", "b", "a", "c"]).T_within, atol=TOL)
    assert dagum_gini(y, np.array([7, 7, 3, 5])).groups == (7, 5, 3)  # by mean, richest first


def test_disparity_all_equal_scores_are_zero():
    y = np.full(6, 42.0)
    groups = ["a", "a", "b", "b", "c", "c"]
    t = theil(y, groups)
    g = dagum_gini(y, groups)
    assert t.T == 0 and t.L == 0 and abs(t.T_between) < TOL
    assert g.G == 0 and g.G_net_between == 0 and g.G_trans == 0
    assert np.all(g.D_jh[~np.eye(3, dtype=bool)] == 0)  # d + p = 0: D defined as 0
    assert cv(y) == 0


def test_theil_zero_score_kept_in_t_dropped_from_l_or_floored():
    y = np.array([0.0, 10.0, 30.0])
    t = theil(y)
    # T keeps the zero (0 · ln 0 = 0): μ = 40/3, T = (1/3)[0.75 ln 0.75 + 2.25 ln 2.25]
    assert_allclose(t.T, (0.75 * math.log(0.75) + 2.25 * math.log(2.25)) / 3, atol=TOL)
    assert t.n_nonpositive == 1 and t.n_used == 3 and t.n_used_L == 2
    assert_allclose(t.L, theil(np.array([10.0, 30.0])).L, atol=TOL)  # L needs y > 0
    floored = theil(y, floor=0.01)
    assert floored.n_nonpositive == 1 and floored.n_used == 3 and floored.n_used_L == 3
    assert_allclose(floored.T, theil(np.array([0.01, 10.0, 30.0])).T, atol=TOL)
    assert_allclose(gini(y), (2 * (10 + 30 + 20)) / (2 * 9 * 40 / 3), atol=TOL)  # zeros are fine


def test_disparity_nan_units_are_dropped():
    y = np.array([1.0, np.nan, 3.0])
    groups = ["a", "b", "a"]
    t = theil(y, groups)
    g = dagum_gini(y, groups)
    assert t.n_missing == 1 and g.n_missing == 1 and g.groups == ("a",)
    assert t.n.tolist() == [2, 0] and np.isnan(t.T_g[1]) and t.score_share[1] == 0
    assert_allclose(t.T, theil(np.array([1.0, 3.0])).T, atol=TOL)
    assert_allclose(g.G, gini(np.array([1.0, 3.0])), atol=TOL)
    assert_allclose(cv(y), 0.5, atol=TOL)


def test_disparity_nothing_left_gives_nan():
    y = np.array([np.nan, np.nan])
    assert math.isnan(theil(y).T) and math.isnan(dagum_gini(y).G) and math.isnan(cv(y))
    assert math.isnan(gini(np.zeros(3)))


def test_disparity_table_shapes_and_values():
    rng = np.random.default_rng(3)
    Y = rng.uniform(10, 90, size=(12, 3, 2))
    groups = np.array(list("aabbbccccddd"))
    out = disparity_table(Y, groups, ddof=1)
    assert tuple(out) == DISPARITY_COLUMNS
    assert all(v.shape == (3, 2) for v in out.values())
    g = dagum_gini(Y[:, 1, 0], groups)
    assert_allclose(out["gini_between"][1, 0], g.G_net_between, atol=TOL)
    assert_allclose(out["theil_within"][1, 0], theil(Y[:, 1, 0], groups).T_within, atol=TOL)
    assert_allclose(out["cv"][2, 1], cv(Y[:, 2, 1], ddof=1), atol=TOL)


# --- convergence ------------------------------------------------------------------


def test_sigma_convergence_hand_worked_with_nan_and_zero():
    Y = np.array([[1.0, 2.0], [3.0, np.nan], [0.0, 4.0]])
    s = sigma_convergence(Y)
    assert s.n.tolist() == [3, 2]
    assert_allclose(s.mean, [4 / 3, 3.0], atol=TOL)
    assert_allclose(s.cv_pop, [np.std([1, 3, 0]) / (4 / 3), 1 / 3], atol=TOL)
    assert s.n_nonpositive.tolist() == [1, 0]
    assert_allclose(s.sd_log_pop, [np.std(np.log([1, 3])), np.std(np.log([2, 4]))], atol=TOL)
    assert s.converging.tolist() == [True]


def test_beta_convergence_exact_line():
    y0 = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    beta, alpha, span = -0.05, 0.2, 5.0
    yT = y0 * np.exp(span * (alpha + beta * np.log(y0)))
    b = beta_convergence(np.column_stack([y0, y0 * 1.1, yT]), years=[2018, 2020, 2023])
    assert b.span == 5 and b.n == 5
    assert_allclose([b.beta, b.intercept, b.r2], [beta, alpha, 1.0], atol=1e-12)
    assert b.se < 1e-8 and b.p_value < 1e-10  # residuals are rounding only
    lam = -math.log(1 + beta * span) / span
    assert_allclose([b.speed, b.half_life], [lam, math.log(2) / lam], atol=1e-12)


def test_beta_convergence_standard_error_by_hand():
    y0 = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
    yT = np.array([30.0, 35.0, 50.0, 52.0, 60.0])
    b = beta_convergence(np.column_stack([y0, yT]), years=[2020, 2024])
    x, g = np.log(y0), np.log(yT / y0) / 4
    sxx = ((x - x.mean()) ** 2).sum()
    beta = ((x - x.mean()) * (g - g.mean())).sum() / sxx
    resid = g - g.mean() - beta * (x - x.mean())
    se = math.sqrt((resid**2).sum() / (5 - 2) / sxx)
    assert_allclose([b.beta, b.se], [beta, se], atol=1e-12)
    assert b.beta < 0 and b.speed > 0 and b.half_life > 0


def test_beta_convergence_groups_and_too_few_units():
    rng = np.random.default_rng(5)
    Y = rng.uniform(20, 80, size=(10, 4))
    labels = ["a"] * 7 + ["b"] * 2 + ["c"]
    b = beta_convergence(Y, groups=labels)
    assert set(b.groups) == {"a", "b", "c"}
    sub = beta_convergence(Y[:7])
    assert_allclose(b.groups["a"].beta, sub.beta, atol=TOL)
    assert math.isnan(b.groups["b"].beta) and b.groups["b"].n == 2  # n < 3
    assert b.groups["c"].n == 1


def test_beta_convergence_divergence_has_no_half_life():
    y0 = np.array([1.0, 2.0, 4.0])
    b = beta_convergence(np.column_stack([y0, y0**2]))  # richer grow faster: β > 0
    assert b.beta > 0 and b.speed < 0 and math.isnan(b.half_life)


# --- efficiency -------------------------------------------------------------------

from _dea_data import HOSPITAL_CCR, HOSPITAL_X, HOSPITAL_Y  # noqa: E402  (Cooper, Seiford & Tone 2007)


def test_dea_ccr_hospital_example_published():
    r = dea(HOSPITAL_X, HOSPITAL_Y, model="ccr")
    assert_allclose(r.theta, HOSPITAL_CCR, atol=5e-4 + 1e-9)
    assert r.efficient.tolist() == [t == 1 for t in HOSPITAL_CCR]
    for o, peers in enumerate(r.peers):
        assert all(r.efficient[j] for j in peers)
        assert (peers == (o,)) == bool(r.efficient[o])


def _multiplier_theta(X, Y, o, vrs):
    """θ of unit o from the multiplier (dual) LP, an independent formulation.

    CCR: max u·y_o  s.t. v·x_o = 1, u·y_j − v·x_j ≤ 0, u, v ≥ 0;
    BCC: max u·y_o − u0 with u·y_j − v·x_j − u0 ≤ 0, u0 free.
    """
    K, m = X.shape
    s = Y.shape[1]
    c = np.concatenate([np.zeros(m), -Y[o], [1.0] if vrs else []])  # minimise −(u·y_o − u0)
    A = np.hstack([-X, Y] + ([-np.ones((K, 1))] if vrs else []))
    A_eq = np.concatenate([X[o], np.zeros(s), [0.0] if vrs else []])[None]
    bounds = [(0, None)] * (m + s) + ([(None, None)] if vrs else [])
    res = linprog(c, A_ub=A, b_ub=np.zeros(K), A_eq=A_eq, b_eq=[1.0], bounds=bounds, method="highs")
    return -res.fun


@pytest.mark.parametrize("model", ["ccr", "bcc"])
@pytest.mark.parametrize("seed,K,m,s", [(0, 8, 2, 2), (1, 15, 3, 1), (2, 30, 1, 3), (3, 41, 2, 2)])
def test_dea_envelopment_equals_multiplier_form(model, seed, K, m, s):
    rng = np.random.default_rng(seed)
    X = rng.uniform(1, 101, size=(K, m))
    Y = rng.uniform(1, 101, size=(K, s))
    r = dea(X, Y, model=model)
    dual = [_multiplier_theta(X, Y, o, model == "bcc") for o in range(K)]
    assert_allclose(r.theta, np.minimum(dual, 1.0), atol=1e-8)


def test_dea_hospital_multiplier_form_agrees():
    r = dea(HOSPITAL_X, HOSPITAL_Y, model="bcc")
    dual = [_multiplier_theta(HOSPITAL_X, HOSPITAL_Y, o, True) for o in range(12)]
    assert_allclose(r.theta, np.minimum(dual, 1), atol=1e-8)


def test_dea_one_input_one_output_hand_worked():
    # stores: input x, output y; CCR: ratio / best ratio (B: 3/3)
    x = np.array([2.0, 3, 3, 4, 5, 5, 6, 8])
    y = np.array([1.0, 3, 2, 3, 4, 2, 3, 5])
    expected_ccr = (y / x) / 1.0
    # BCC: lower convex hull of (y, x) through A(1,2), B(3,3), E(4,5), H(5,8)
    expected_bcc = [1, 1, 2.5 / 3, 3 / 4, 1, 2.5 / 5, 3 / 6, 1]
    for method in ("auto", "lp"):
        ccr = dea(x, y, model="ccr", method=method)
        bcc = dea(x, y, model="bcc", method=method)
        assert_allclose(ccr.theta, expected_ccr, atol=1e-9)
        assert_allclose(bcc.theta, expected_bcc, atol=1e-9)
        assert ccr.peers[0] == (1,) and ccr.peers[1] == (1,)
        assert bcc.efficient.tolist() == [True, True, False, False, True, False, False, True]
        assert set(bcc.peers[2]) == {0, 1}  # C projects between A and B
        assert (ccr.lambdas is None) == (method == "auto")
    assert_allclose(ratio(y, x), y / x, atol=TOL)


@pytest.mark.parametrize("model", ["ccr", "bcc"])
@pytest.mark.parametrize("method", ["auto", "lp"])
def test_dea_single_unit_is_efficient(model, method):
    r = dea(np.array([[3.0, 4.0]]), np.array([[5.0]]), model=model, method=method)
    assert r.theta.tolist() == [1.0] and r.peers == ((0,),) and r.efficient.tolist() == [True]
    r1 = dea(np.array([3.0]), np.array([5.0]), model=model, method=method)
    assert r1.theta.tolist() == [1.0] and r1.peers == ((0,),)


@pytest.mark.parametrize("method", ["auto", "lp"])
def test_dea_nan_unit_is_left_out(method):
    x = np.array([2.0, np.nan, 4.0, 5.0])
    y = np.array([2.0, 9.0, 2.0, 4.0])
    r = dea(x, y, method=method)
    assert np.isnan(r.theta[1]) and r.peers[1] == () and not r.efficient[1]
    ref = dea(x[[0, 2, 3]], y[[0, 2, 3]], method=method)
    assert_allclose(r.theta[[0, 2, 3]], ref.theta, atol=1e-12)
    assert r.peers[2] == (0,)


def test_dea_rejects_nonpositive_data_and_bad_options():
    with pytest.raises(ValueError):
        dea(np.array([1.0, 0.0]), np.array([1.0, 2.0]))
    with pytest.raises(ValueError):
        dea(np.array([1.0, 2.0]), np.array([1.0, 2.0]), model="sbm")
    with pytest.raises(ValueError):
        dea(np.array([1.0, 2.0]), np.array([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("n", [3, 5, 41, 300])
def test_beta_regression_equals_scipy_linregress(n):
    from scipy import stats

    from evalkit.analysis.convergence import _ols

    rng = np.random.default_rng(n)
    x = rng.normal(size=n)
    y = -0.13 * x + rng.normal(scale=0.05, size=n)
    a, b = _ols(x, y), stats.linregress(x, y)
    for field in ("slope", "intercept", "rvalue", "pvalue", "stderr"):
        assert getattr(a, field) == pytest.approx(getattr(b, field), rel=1e-12, abs=1e-15), field
