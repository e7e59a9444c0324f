"""The statistical audit (evalkit/analysis/audit.py) against independent numpy/scipy calculations."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from evalkit.analysis import audit as A


def _data(seed=0, n=60, k=4, gaps=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, k))
    x[:, 1] += 0.8 * x[:, 0]
    x[:, 3] = np.exp(x[:, 3])  # a skewed column: Pearson and Spearman differ
    if gaps:
        idx = rng.choice(n * k, gaps, replace=False)
        x.ravel()[idx] = np.nan
    return x


def _pair(x, i, j):
    ok = np.isfinite(x[:, i]) & np.isfinite(x[:, j])
    return x[ok, i], x[ok, j]


@pytest.mark.parametrize("gaps", [0, 25])
def test_pearson_and_spearman_are_pairwise_complete_corrcoef_and_spearmanr(gaps):
    x = _data(gaps=gaps)
    rp, n = A.pearson(x)
    rs, _ = A.spearman(x)
    for i in range(4):
        for j in range(4):
            a, b = _pair(x, i, j)
            assert n[i, j] == a.size
            assert rp[i, j] == pytest.approx(np.corrcoef(a, b)[0, 1], abs=1e-12)
            assert rs[i, j] == pytest.approx(stats.spearmanr(a, b)[0], abs=1e-12)


def test_pearson_of_two_blocks_and_degenerate_pairs():
    x = _data(gaps=10)
    r, _ = A.pearson(x[:, :2], x[:, 2:])
    full, _ = A.pearson(x)
    assert_allclose(r, full[:2, 2:], atol=1e-14)
    const = np.column_stack([np.arange(10.0), np.full(10, 3.0)])
    r, n = A.pearson(const)
    assert np.isnan(r[0, 1]) and n[0, 1] == 10  # a constant column has no correlation, not 0/0
    two = np.array([[1.0, 2.0], [2.0, 1.0], [np.nan, 5.0]])
    assert np.isnan(A.pearson(two)[0][0, 1])  # fewer than 3 pairs


def test_cronbach_alpha_is_the_textbook_formula_on_complete_data():
    x = _data()
    k = x.shape[1]
    direct = k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))
    assert A.cronbach_alpha(x) == pytest.approx(direct, abs=1e-12)
    # two identical columns: perfectly consistent
    assert A.cronbach_alpha(np.column_stack([x[:, 0], x[:, 0]])) == pytest.approx(1.0)
    assert np.isnan(A.cronbach_alpha(x[:, :1]))


def test_cronbach_alpha_with_gaps_is_coinr_get_cronbach():
    """COINr: cvtrix <- cov(iData, use = "pairwise.complete.obs"); k² · mean off-diagonal / sum."""
    x = _data(gaps=30)
    k = x.shape[1]
    cv = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            a, b = _pair(x, i, j)
            cv[i, j] = np.cov(a, b, ddof=1)[0, 1]
    sigav = (cv.sum() - np.trace(cv)) / (k * (k - 1))
    assert A.cronbach_alpha(x) == pytest.approx(k * k * sigav / cv.sum(), abs=1e-12)
    assert_allclose(A.pairwise_cov(x), cv, atol=1e-12)


def test_pca_is_eigh_of_the_complete_rows_correlation_matrix():
    x = _data(gaps=12)
    rows = np.isfinite(x).all(axis=1)
    lam, vec = np.linalg.eigh(np.corrcoef(x[rows].T))
    lam, vec = lam[::-1], vec[:, ::-1]
    p = A.pca(x)
    assert p.n_obs == rows.sum()
    assert_allclose(p.eigenvalues, lam, atol=1e-12)
    assert_allclose(p.share, lam / 4, atol=1e-12)
    assert_allclose(np.abs(p.loadings), np.abs(vec), atol=1e-10)
    assert (p.loadings.sum(axis=0) >= 0).all()
    assert p.n_above_one == int((lam > 1).sum())
    # prcomp's variances are the same eigenvalues
    z = (x[rows] - x[rows].mean(0)) / x[rows].std(0, ddof=1)
    assert_allclose(np.sort(np.linalg.svd(z, compute_uv=False) ** 2 / (rows.sum() - 1))[::-1], p.eigenvalues,
                    atol=1e-10)


def test_pca_of_too_few_rows_is_nan():
    p = A.pca(np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 1.0]]))
    assert np.isnan(p.eigenvalues).all() and p.n_obs == 2 and p.n_above_one == 0


def _binned(x, y, bins=40):
    """Brute force: V[E(y|x)] / V(y) from the means of y in equal-count bins of x."""
    edges = np.quantile(x, np.linspace(0, 1, bins + 1))
    b = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, bins - 1)
    means = np.bincount(b, weights=y) / np.bincount(b)
    return means[b].var() / y.var()


def test_first_order_on_a_linear_index_is_w2_var_over_var():
    """A full factorial design: the children are exactly independent in the sample, so S_i = w_i² var_i / var_y."""
    w = np.array([0.5, 0.3, 0.2])
    levels = [np.linspace(0, 1, 12), np.linspace(0, 2, 12) ** 1.5, np.linspace(-3, 3, 12)]
    x = np.stack(np.meshgrid(*levels, indexing="ij"), axis=-1).reshape(-1, 3)
    y = x @ w
    s = A.first_order(x, y)
    known = w ** 2 * x.var(axis=0) / y.var()
    assert known.sum() == pytest.approx(1.0)
    assert_allclose(s, known, atol=1e-8)  # E(y | x_i) is a straight line: the spline's penalty leaves it alone
    assert_allclose(s, [_binned(x[:, i], y, bins=12) for i in range(3)], atol=1e-8)


def test_first_order_on_random_linear_data_is_the_squared_correlation():
    rng = np.random.default_rng(1)
    w = np.array([0.5, 0.3, 0.2])
    x = rng.uniform(size=(20000, 3)) * np.array([1.0, 2.0, 3.0])
    y = x @ w
    s = A.first_order(x, y)
    pop = w ** 2 * np.array([1.0, 4.0, 9.0]) / (w ** 2 * np.array([1.0, 4.0, 9.0])).sum()
    assert_allclose(s, pop, atol=0.02)  # the population values, within sampling error
    r2 = np.array([np.corrcoef(x[:, i], y)[0, 1] ** 2 for i in range(3)])
    assert_allclose(s, r2, atol=0.002)
    assert_allclose(s, [_binned(x[:, i], y) for i in range(3)], atol=0.01)


def test_first_order_on_ishigami_matches_the_known_indices_and_a_binned_estimate():
    """y = sin x1 + 7 sin² x2 + 0.1 x3⁴ sin x1, x ~ U(−π, π)³: S = (0.3139, 0.4424, 0)."""
    rng = np.random.default_rng(2)
    x = rng.uniform(-np.pi, np.pi, size=(20000, 3))
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    s = A.first_order(x, y)
    a, b = 7.0, 0.1
    v = a ** 2 / 8 + b * np.pi ** 4 / 5 + b ** 2 * np.pi ** 8 / 18 + 0.5
    known = np.array([0.5 * (1 + b * np.pi ** 4 / 5) ** 2, a ** 2 / 8, 0.0]) / v
    assert_allclose(s, known, atol=0.015)
    assert_allclose(s, [_binned(x[:, i], y) for i in range(3)], atol=0.02)


def test_first_order_of_a_discrete_child_is_the_correlation_ratio_of_group_means():
    x = np.repeat(np.arange(4.0), 5)[:, None]
    y = np.array([1, 2, 3, 2, 2, 5, 5, 6, 4, 5, 1, 1, 2, 1, 0, 9, 8, 9, 9, 10], float)
    means = np.array([y[x[:, 0] == g].mean() for g in range(4)])
    eta2 = ((means - y.mean()) ** 2 * 5).sum() / ((y - y.mean()) ** 2).sum()
    assert A.first_order(x, y)[0] == pytest.approx(eta2, abs=1e-12)


def test_first_order_missing_and_constant():
    x = np.column_stack([np.arange(20.0), np.full(20, 2.0)])
    y = 2 * np.arange(20.0)
    x[3, 0] = np.nan
    s = A.first_order(x, y)
    assert s[0] == pytest.approx(1.0, abs=1e-9) and np.isnan(s[1])


def test_importance_share_and_ratio_by_hand():
    share, ratio = A.importance_ratio(np.array([0.6, 0.2, 0.2]), np.array([0.2, 0.4, 0.4]))
    assert_allclose(share, [0.6, 0.2, 0.2])
    assert_allclose(ratio, [3.0, 0.5, 0.5])
    share, ratio = A.importance_ratio(np.array([0.5, np.nan]), np.array([1.0, 0.0]))
    assert share[0] == 1.0 and np.isnan(ratio[1])


def test_skew_and_kurtosis_are_the_bias_adjusted_estimators():
    x = _data(gaps=8)
    s, k = A.skew_kurtosis(x)
    for j in range(x.shape[1]):
        v = x[np.isfinite(x[:, j]), j]
        assert s[j] == pytest.approx(stats.skew(v, bias=False), abs=1e-10)
        assert k[j] == pytest.approx(stats.kurtosis(v, bias=False), abs=1e-10)
