"""Regional-science depth of the analyses: Theil at zero, Theil L, Dagum pairs and shares,
each checked against an independent brute-force calculation or hand-worked numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from evalkit.analysis.disparity import PAIR_COLUMNS, dagum_gini, dagum_pairs, disparity_table, theil

TOL = 1e-12


@pytest.fixture(scope="module")
def demo_result():
    from evalkit.pipeline import score
    from evalkit.run import load_inputs

    return score(load_inputs(None))


def _theil_brute(y, groups):
    """Textbook Theil T and L with the between/within split, written out unit by unit."""
    y = np.asarray(y, float)
    n, mu = y.size, y.mean()
    T = sum((v / mu) * math.log(v / mu) if v > 0 else 0.0 for v in y) / n
    Tw = Tb = 0.0
    for g in dict.fromkeys(groups):
        v = np.array([a for a, b in zip(y, groups) if b == g])
        mg, s = v.mean(), v.sum() / y.sum()
        Tg = sum((a / mg) * math.log(a / mg) if a > 0 else 0.0 for a in v) / v.size
        Tw += s * Tg
        Tb += s * math.log(mg / mu) if s > 0 else 0.0
    return T, Tw, Tb


def test_theil_t_keeps_zero_scores_as_textbook():
    y = [0.0, 20.0, 30.0, 40.0, 50.0, 60.0]
    groups = ["a", "a", "b", "b", "c", "c"]
    t = theil(np.array(y), groups)
    T, Tw, Tb = _theil_brute(y, groups)
    assert_allclose([t.T, t.T_within, t.T_between], [T, Tw, Tb], atol=TOL)
    assert_allclose(t.T, 0.24727994813, atol=1e-10)  # as PySAL's inequality.theil.Theil
    assert t.n_used == 6 and t.n_used_L == 5


def test_theil_l_within_between_brute_force():
    rng = np.random.default_rng(11)
    y = rng.uniform(5, 50, 17)
    groups = list("aaaabbbbbccdddddd")
    t = theil(y, groups)
    mu = y.mean()
    L = np.mean(np.log(mu / y))
    Lw = Lb = 0.0
    for g in "abcd":
        v = y[np.array(groups) == g]
        Lw += v.size / y.size * np.mean(np.log(v.mean() / v))
        Lb += v.size / y.size * math.log(mu / v.mean())
    assert_allclose([t.L, t.L_within, t.L_between], [L, Lw, Lb], atol=TOL)


def test_theil_group_of_zeros():
    t = theil(np.array([0.0, 0.0, 10.0, 30.0]), ["z", "z", "p", "p"])
    T, Tw, Tb = _theil_brute([0.0, 0.0, 10.0, 30.0], ["z", "z", "p", "p"])
    assert_allclose([t.T, t.T_within, t.T_between], [T, Tw, Tb], atol=TOL)
    assert t.T_g[0] == 0 and t.score_share[0] == 0


def test_disparity_table_counts_and_gini_shares():
    Y = np.array([[0.0, 5.0], [2.0, np.nan], [4.0, 6.0], [8.0, 7.0], [-1.0, 9.0]])[:, :, None]
    out = disparity_table(Y, ["a", "a", "b", "b", "b"])
    assert out["n_units"][:, 0].tolist() == [5, 4]
    assert out["n_dropped_theil"][:, 0].tolist() == [1, 0]  # the negative score
    assert out["n_dropped_theil_l"][:, 0].tolist() == [2, 0]  # the zero and the negative
    g = dagum_gini(Y[:, 1, 0], ["a", "a", "b", "b", "b"])
    assert_allclose(out["gini_within_pct"][1, 0], 100 * g.G_within / g.G, atol=TOL)
    total = out["gini_within_pct"] + out["gini_between_pct"] + out["gini_trans_pct"]
    assert_allclose(total[1, 0], 100.0, atol=1e-9)


def test_dagum_pairs_brute_force():
    rng = np.random.default_rng(5)
    y = rng.uniform(1, 100, 23)
    groups = np.array(list("aaaaaabbbbbbbcccccddddd"))
    rows = dagum_pairs(y, groups)
    assert len(rows) == 6 and len(rows[0]) == len(PAIR_COLUMNS)
    n, mu = y.size, y.mean()
    for r in rows:
        row = dict(zip(PAIR_COLUMNS, r))
        a, b = y[groups == row["group_j"]], y[groups == row["group_h"]]
        assert a.mean() >= b.mean()  # j is the richer group
        diff = a[:, None] - b[None, :]
        G = np.abs(diff).sum() / (a.size * b.size * (a.mean() + b.mean()))
        d, p = np.clip(diff, 0, None).mean(), np.clip(-diff, 0, None).mean()
        assert_allclose([row["G_jh"], row["D_jh"], row["d_jh"], row["p_jh"]], [G, (d - p) / (d + p), d, p], atol=TOL)
        pj, sh = a.size / n, b.size * b.mean() / (n * mu)
        ph, sj = b.size / n, a.size * a.mean() / (n * mu)
        assert_allclose(row["contribution_nb"], G * (pj * sh + ph * sj) * (d - p) / (d + p), atol=TOL)
    g = dagum_gini(y, groups)
    assert_allclose(sum(r[-2] for r in rows), g.G_net_between, atol=TOL)
    assert_allclose(sum(r[-1] for r in rows), g.G_trans, atol=TOL)


# --- convergence: conditional and panel β, σ trend -------------------------------------

from scipy import stats  # noqa: E402

from evalkit.analysis.convergence import beta_conditional, beta_panel, sigma_trend  # noqa: E402


def _ols_full(X, g):
    """β and classical se from (X'X)⁻¹ s² with the full design matrix."""
    coef = np.linalg.solve(X.T @ X, X.T @ g)
    r = g - X @ coef
    s2 = r @ r / (X.shape[0] - X.shape[1])
    return coef, np.sqrt(np.diag(np.linalg.inv(X.T @ X)) * s2), X.shape[0] - X.shape[1]


def test_beta_conditional_equals_dummy_regression():
    rng = np.random.default_rng(2)
    groups = np.array(list("aaaaaabbbbbbbccccccc"))
    y0 = rng.uniform(10, 60, groups.size)
    yT = y0 * np.exp(rng.normal(0.3, 0.1, groups.size)) * (1 + 0.2 * (groups == "b"))
    b = beta_conditional(np.column_stack([y0, yT]), groups, years=[2010, 2015])
    g = np.log(yT / y0) / 5
    X = np.column_stack([np.log(y0)] + [(groups == k).astype(float) for k in "abc"])
    coef, se, df = _ols_full(X, g)
    assert_allclose([b.beta, b.se], [coef[0], se[0]], atol=TOL)
    assert_allclose(b.p_value, 2 * stats.t.sf(abs(coef[0] / se[0]), df), atol=1e-12)
    assert b.n == 20


def test_beta_panel_recovers_exact_two_way_model_and_matches_dummies():
    rng = np.random.default_rng(4)
    U, T, beta = 9, 5, -0.08
    mu, eta = rng.normal(0.3, 0.05, U), rng.normal(0, 0.02, T - 1)
    Y = np.empty((U, T))
    Y[:, 0] = rng.uniform(10, 50, U)
    for t in range(T - 1):
        Y[:, t + 1] = Y[:, t] * np.exp(mu + eta[t] + beta * np.log(Y[:, t]))
    exact = beta_panel(Y)
    assert_allclose(exact.beta, beta, atol=1e-10)
    noisy = Y * np.exp(rng.normal(0, 0.03, Y.shape))
    b = beta_panel(noisy, years=np.arange(2018, 2018 + T))
    a = noisy[:, :-1].ravel()
    g = np.log(noisy[:, 1:] / noisy[:, :-1]).ravel()
    ui, ti = np.divmod(np.arange(U * (T - 1)), T - 1)
    X = np.column_stack([np.log(a)] + [(ui == i).astype(float) for i in range(U)]
                        + [(ti == t).astype(float) for t in range(1, T - 1)])
    coef, se, _ = _ols_full(X, g)
    assert_allclose([b.beta, b.se], [coef[0], se[0]], atol=1e-12)
    assert b.n == U * (T - 1)
    assert_allclose(b.speed, -math.log(1 + b.beta), atol=TOL)
    # unbalanced: two cells missing drop three growth pairs; the sweep converges to the dummy regression
    holed = noisy.copy()
    holed[2, 1] = np.nan
    holed[5, 4] = np.nan
    c = beta_panel(holed)
    a, nxt = holed[:, :-1], holed[:, 1:]
    ok = np.isfinite(a) & np.isfinite(nxt)
    ui, ti = np.nonzero(ok)
    X = np.column_stack([np.log(a[ok])] + [(ui == i).astype(float) for i in range(U)]
                        + [(ti == t).astype(float) for t in range(1, T - 1)])
    coef, se, _ = _ols_full(X, np.log(nxt[ok] / a[ok]))
    assert c.n == U * (T - 1) - 3
    assert_allclose([c.beta, c.se], [coef[0], se[0]], atol=1e-10)


def test_sigma_trend_equals_linregress():
    cv = np.array([0.32, 0.30, 0.31, 0.27, 0.25, 0.22])
    yrs = np.arange(2019, 2025)
    s = sigma_trend(cv, yrs)
    r = stats.linregress(yrs, cv)
    assert_allclose([s.slope, s.se, s.p_value], [r.slope, r.stderr, r.pvalue], atol=1e-12)
    assert math.isnan(sigma_trend(cv[:2], yrs[:2]).slope)


# --- coordination: coupling stage, relative development, composite T weights ------------

from evalkit.analysis.coordination import coupling_stage, relative_development  # noqa: E402
from evalkit.errors import Problems  # noqa: E402
from evalkit.load.project import settings_from_text  # noqa: E402


def test_coupling_stage_thresholds_left_open():
    zh, en = coupling_stage(np.array([0.0, 0.3, 0.3000001, 0.5, 0.65, 0.8, 0.81, 1.0, np.nan]))
    assert zh.tolist() == ["低水平耦合", "低水平耦合", "拮抗", "拮抗", "磨合", "磨合", "高水平耦合", "高水平耦合", None]
    assert en[2] == "antagonism" and en[4] == "running-in"


def test_relative_development_names_the_lagging_side():
    rd = relative_development(np.array([[0.8, 0.4, 0.6], [0.5, 0.45, 0.48], [0.5, np.nan, 0.2]]))
    assert_allclose(rd.E[:2], [0.5, 0.9], atol=TOL)
    assert np.isnan(rd.E[2])
    assert rd.lagging.tolist() == [1, 1, -1] and rd.leading.tolist() == [0, 0, -1]
    assert rd.synchronous.tolist() == [False, True, False]


def test_coordination_weights_setting_reads_equal_composite_and_rejects_others():
    p = Problems()
    st = settings_from_text("analysis: {coordination: {weights: composite}}", "s.yaml", p)
    assert not p.errors and st.analysis["coordination"]["weights"] == "composite"
    p = Problems()
    settings_from_text("analysis:\n  coordination: {weights: compsite}\n", "s.yaml", p)
    msg = str(p.errors[0])
    assert msg.startswith("s.yaml:2:") and "equal, composite" in msg


def test_coordination_table_composite_t_and_development(demo_result):
    from evalkit import rescore
    from evalkit.analysis.tables import coordination_table

    alt = rescore(demo_result, {"analysis.coordination.weights": "composite"})
    c = coordination_table(alt)
    tree = alt.tree
    dom = [d.id for d in tree.domains]
    w = np.array([alt.global_weight[tree.index[d]] for d in dom])
    lo, hi = alt.settings.scale
    U = (alt.scores[:, :, [tree.index[d] for d in dom]] - lo) / (hi - lo)
    assert_allclose(c["T"].to_numpy(), (U @ (w / w.sum())).ravel(), atol=1e-12)
    row = c.iloc[0]
    u = U[0, 0]
    assert_allclose(row["relative_development"], u.min() / u.max(), atol=TOL)
    assert row["leading"] == dom[int(np.argmax(u))]
    lag = tree.by_id[dom[int(np.argmin(u))]].name
    assert row["development_zh"] == ("同步发展" if u.min() / u.max() >= 0.8 else f"{lag.zh}滞后型")


# --- kernel density ---------------------------------------------------------------------

from evalkit.analysis.density import kde  # noqa: E402


def test_kde_equals_scipy_gaussian_kde():
    rng = np.random.default_rng(9)
    y = np.r_[rng.normal(40, 8, 30), rng.normal(70, 5, 11), np.nan]
    grid = np.linspace(0, 100, 101)
    k = kde(y, grid)
    ref = stats.gaussian_kde(y[np.isfinite(y)])
    assert_allclose(k.density, ref(grid), rtol=1e-12, atol=1e-15)
    assert_allclose(k.bandwidth, np.sqrt(ref.covariance[0, 0]), rtol=1e-12)
    s = kde(y, grid, bw="silverman")
    assert_allclose(s.density, stats.gaussian_kde(y[np.isfinite(y)], bw_method="silverman")(grid), rtol=1e-12)
    assert np.isnan(kde(np.array([5.0, 5.0]), grid).density).all()


def test_density_table_integrates_to_one(demo_result):
    from evalkit.analysis.tables import density_table

    d = density_table(demo_result)
    one = d[(d.node == demo_result.tree.root.id) & (d.year == demo_result.years[-1])]
    assert len(one) == 101 and one["bw_method"].iloc[0] == "scott"
    # scores lie well inside [0, 100]: the mass on the grid is ~1
    assert abs(np.trapezoid(one["density"], one["x"]) - 1) < 0.02
