"""The method variants published studies use, each against an independent calculation.

Normalisation (maxratio, rank ties "min", z-score ddof/clip/mean-sd), aggregation
(harmonic, power, Copeland, weighted proportions, TOPSIS on min–max or given
values) and weighting (PCA, benefit of the doubt).  Expected numbers are computed
here with numpy / scipy from the published formulas (COINr 1.1.14's R source for
its functions, pymcdm for TOPSIS), never taken from evalkit's own output.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose
from pymcdm.methods import TOPSIS
from scipy.stats import rankdata

from evalkit import aggregate as A
from evalkit import normalise as N
from evalkit.weight.bod import bod
from evalkit.weight.pca import pca

NAN = np.nan
RNG = np.random.default_rng(7)
X = RNG.lognormal(1.0, 0.5, size=(9, 3, 4))  # (units, years, indicators)
DIRS = np.array(["benefit", "cost", "benefit", "cost"])


# --------------------------------------------------------------------------- normalisation


def test_maxratio_is_x_over_max_and_min_over_x():
    z, info = N.maxratio(X, direction=DIRS)
    flat = X.reshape(-1, 4)
    expected = np.where(DIRS == "cost", flat.min(axis=0) / flat, flat / flat.max(axis=0))
    assert_allclose(z.reshape(-1, 4), expected, rtol=1e-14)
    assert info.method == "maxratio"


def test_maxratio_by_year_and_a_zero_cost_value_is_best():
    x = np.array([[[0.0, 4.0]], [[2.0, 8.0]], [[5.0, 2.0]]])  # 3 units, 1 year
    z, _ = N.maxratio(x, direction=["cost", "benefit"], scope="year")
    assert_allclose(z[:, 0, 0], [1.0, 0.0, 0.0])  # min 0: 0/x = 0 except the unit at 0
    assert_allclose(z[:, 0, 1], [0.5, 1.0, 0.25])


def test_rank_ties_min_is_coinr_n_prank():
    x = np.array([3.0, 1.0, 3.0, 2.0, 3.0, NAN, 0.5])[:, None, None]
    z, _ = N.rank(x, direction=["benefit"], ties="min")
    present = ~np.isnan(x[:, 0, 0])
    # COINr n_prank: (rank(x, ties.method = "min") - 1) / (sum(!is.na(x)) - 1)
    r = rankdata(x[present, 0, 0], method="min")
    assert_allclose(z[present, 0, 0], (r - 1) / (present.sum() - 1))
    assert np.isnan(z[~present, 0, 0]).all()
    z_avg, _ = N.rank(x, direction=["benefit"])
    assert_allclose(z_avg[present, 0, 0], (rankdata(x[present, 0, 0]) - 1) / (present.sum() - 1))


@pytest.mark.parametrize("scope", ["panel", "year"])
def test_zscore_coinr_form_is_mean_plus_sd_times_sample_z(scope):
    lo, hi = 0.0, 100.0
    z, _ = N.zscore(X, direction=DIRS, scope=scope, ddof=1, clip=None, mean_sd=(10.0, 2.0), scale=(lo, hi))
    scores = N.to_scale(z, lo, hi)
    # COINr n_zscore(x * direction, m_sd = c(10, 2)): (x - mean) / sd(x) * 2 + 10, R's sd has n - 1
    y = np.where(DIRS == "cost", -X, X)
    axis = (0, 1) if scope == "panel" else 0
    expected = (y - y.mean(axis=axis, keepdims=True)) / y.std(axis=axis, ddof=1, keepdims=True) * 2 + 10
    assert_allclose(scores, expected, rtol=1e-12)


def test_zscore_ddof_and_clip_options():
    z, _ = N.zscore(X, direction=DIRS, ddof=1, clip=2.0)
    y = np.where(DIRS == "cost", -X, X).reshape(-1, 4)
    zs = (y - y.mean(axis=0)) / y.std(axis=0, ddof=1)
    assert_allclose(z.reshape(-1, 4), (np.clip(zs, -2, 2) + 2) / 4, rtol=1e-12)
    default, _ = N.zscore(X, direction=DIRS)
    zs0 = (y - y.mean(axis=0)) / y.std(axis=0)
    assert_allclose(default.reshape(-1, 4), (np.clip(zs0, -3, 3) + 3) / 6, rtol=1e-12)


def test_zscore_without_clip_needs_mean_sd():
    with pytest.raises(ValueError, match="mean_sd"):
        N.zscore(X, direction=DIRS, clip=None)


# --------------------------------------------------------------------------- aggregation

S = RNG.uniform(5.0, 100.0, size=(7, 2, 3))
W = np.array([0.5, 0.3, 0.2])


def test_harmonic_is_coinr_a_hmean():
    score, _ = A.harmonic(S, W, lo=0.0, hi=100.0)
    assert_allclose(score, W.sum() / (W / S).sum(axis=2), rtol=1e-13)  # sum(w) / sum(w / x)


def test_harmonic_of_a_child_at_the_bottom_is_the_bottom():
    s = np.array([[[0.0, 80.0]]])
    score, _ = A.harmonic(s, np.array([0.5, 0.5]), lo=0.0, hi=100.0)
    assert score[0, 0] == 0.0


@pytest.mark.parametrize("p", [-1.0, 0.5, 2.0, 3.0])
def test_power_is_coinr_a_genmean(p):
    score, _ = A.power(S, W, lo=0.0, hi=100.0, p=p)
    assert_allclose(score, ((W * S ** p).sum(axis=2) / W.sum()) ** (1 / p), rtol=1e-12)


def test_power_one_is_arithmetic_and_rejects_zero():
    a, _ = A.arithmetic(S, W)
    b, _ = A.power(S, W, lo=0.0, hi=100.0, p=1.0)
    assert_allclose(a, b, rtol=1e-13)
    with pytest.raises(ValueError, match="geometric"):
        A.power(S, W, lo=0.0, hi=100.0, p=0.0)


def _coinr_copeland(x, w):
    """COINr's outrankMatrix + a_copeland, written out as in R/aggregate.R (upper triangle, 1 − upper below)."""
    n = x.shape[0]
    w = w / w.sum()
    orm = np.zeros((n, n))
    for i, j in itertools.product(range(n), range(n)):
        if i < j:
            orm[i, j] = w[x[i] > x[j]].sum() + w[x[i] == x[j]].sum() / 2
    orm = orm + np.triu(1 - orm, 1).T
    out = np.where(orm > 0.5, 1.0, np.where(orm < 0.5, -1.0, 0.0))
    np.fill_diagonal(out, 0.0)
    return out.sum(axis=1)


def test_copeland_orders_and_spaces_as_coinr_a_copeland():
    s = np.round(S, 0)  # some ties
    score, _ = A.copeland(s, W, lo=0.0, hi=100.0)
    n = s.shape[0]
    for t in range(s.shape[1]):
        c = _coinr_copeland(s[:, t, :], W)
        assert_allclose(score[:, t], (c + n - 1) / (2 * (n - 1)) * 100, atol=1e-12)


def test_copeland_per_year_weights_use_each_years_weights():
    w = np.array([[0.8, 0.1, 0.1], [0.1, 0.1, 0.8]])
    score, _ = A.copeland(S, w, lo=0.0, hi=100.0)
    n = S.shape[0]
    for t in range(2):
        assert_allclose(score[:, t], (_coinr_copeland(S[:, t, :], w[t]) + n - 1) / (2 * (n - 1)) * 100)


def test_weighted_proportions_is_sum_w_p_per_year():
    score, _ = A.proportions(S, W, lo=0.0, hi=1.0 * 100)
    q = S / 100.0
    p = q / q.sum(axis=0, keepdims=True)
    assert_allclose(score, 100 * (p * W).sum(axis=2), rtol=1e-13)
    assert_allclose(score.sum(axis=0), 100.0, rtol=1e-12)  # a year's scores sum to the whole scale


@pytest.mark.parametrize("seed", range(6))
def test_topsis_minmax_matches_pymcdm_default(seed):
    rng = np.random.default_rng(100 + seed)
    s = rng.uniform(0.0, 100.0, size=(rng.integers(3, 10), rng.integers(1, 4), 4))
    w = rng.dirichlet(np.ones(4))
    score, _ = A.topsis(s, w, lo=0.0, hi=100.0, normalize="minmax")
    theirs = TOPSIS()(s.reshape(-1, 4), w, np.ones(4, dtype=int))  # pymcdm's default: min–max
    assert_allclose(score.reshape(-1), 100 * theirs, atol=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_topsis_none_takes_the_scores_as_they_are(seed):
    rng = np.random.default_rng(200 + seed)
    s = rng.uniform(0.0, 100.0, size=(6, 2, 3))
    w = rng.dirichlet(np.ones(3))
    score, _ = A.topsis(s, w, lo=0.0, hi=100.0, normalize="none")
    ident = TOPSIS(normalization_function=lambda x, cost: x)  # no normalisation at all
    assert_allclose(score.reshape(-1), 100 * ident(s.reshape(-1, 3), w, np.ones(3, dtype=int)), atol=1e-9)


def test_per_year_weights_aggregate_each_year_with_its_own():
    w = np.array([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])
    for method in ("arithmetic", "geometric", "harmonic", "power"):
        both, _ = A.METHODS[method](S, w, lo=0.0, hi=100.0)
        for t in range(2):
            one, _ = A.METHODS[method](S[:, t:t + 1, :], w[t], lo=0.0, hi=100.0)
            assert_allclose(both[:, t], one[:, 0], rtol=1e-13, err_msg=method)


# --------------------------------------------------------------------------- PCA and BoD weights


def test_pca_weights_are_coinr_first_component_loadings():
    rng = np.random.default_rng(3)
    f = rng.normal(size=60)
    z = np.column_stack([f + rng.normal(scale=s, size=60) for s in (0.3, 0.6, 1.0, 2.0)])
    z[4, 2] = NAN  # COINr drops incomplete rows (na.omit)
    r = pca(z)
    zc = z[~np.isnan(z).any(axis=1)]
    std = (zc - zc.mean(axis=0)) / zc.std(axis=0, ddof=1)  # prcomp(center = TRUE, scale = TRUE)
    _, sv, vt = np.linalg.svd(std, full_matrices=False)
    v = vt[0] * np.sign(vt[0].sum())
    assert_allclose(r.loadings, v, atol=1e-12)
    assert_allclose(r.w, v / v.sum(), atol=1e-12)
    assert r.explained == pytest.approx(sv[0] ** 2 / (sv ** 2).sum())
    assert r.n_rows == 59 and not r.negative.any()


def test_pca_sets_a_negative_loading_to_zero():
    rng = np.random.default_rng(4)
    f = rng.normal(size=40)
    z = np.column_stack([f, f + rng.normal(scale=0.5, size=40), -f + rng.normal(scale=0.5, size=40)])
    r = pca(z)
    assert r.negative.tolist() == [False, False, True]
    assert r.w[2] == 0 and r.w.sum() == pytest.approx(1.0)


def test_bod_worked_example():
    # 3 units, 2 indicators; units 1 and 2 span the frontier.  Unit 3 (0.4, 0.4):
    # max 0.4 w1 + 0.4 w2 s.t. w1 + 0.2 w2 <= 1, 0.5 w1 + w2 <= 1 -> vertex w = (8/9, 5/9), ci = 26/45
    y = np.array([[1.0, 0.2], [0.5, 1.0], [0.4, 0.4]])
    r = bod(y)
    assert_allclose(r.ci, [1.0, 1.0, 26 / 45], atol=1e-9)
    assert_allclose(r.w[2], [8 / 9, 5 / 9], atol=1e-9)
    assert_allclose(r.share[2], [8 / 13, 5 / 13], atol=1e-9)


def _bod_by_share_grid(y, o, lo, hi, n=20001):
    """Independent BoD for two indicators: with shares (s, 1 − s) the best scale is 1 / max_k Σ share·y_k/y_o."""
    s = np.linspace(lo[0], hi[0], n)
    s = s[(1 - s >= lo[1]) & (1 - s <= hi[1])]
    ratios = np.outer(s, y[:, 0] / y[o, 0]) + np.outer(1 - s, y[:, 1] / y[o, 1])
    return (1.0 / ratios.max(axis=1)).max()


@pytest.mark.parametrize("o", range(4))
def test_bod_share_bounds_against_a_grid_over_the_shares(o):
    y = np.array([[1.0, 0.1], [0.3, 1.0], [0.6, 0.6], [0.8, 0.35]])
    lo, hi = np.array([0.3, 0.3]), np.array([0.7, 0.7])
    r = bod(y, share=(lo, hi))
    assert r.ci[o] == pytest.approx(_bod_by_share_grid(y, o, lo, hi), abs=1e-6)
    assert (r.share[o] >= lo - 1e-9).all() and (r.share[o] <= hi + 1e-9).all()


def test_bod_scores_are_at_most_one_and_frontier_units_get_one():
    rng = np.random.default_rng(9)
    y = rng.uniform(0, 1, size=(15, 4))
    r = bod(y)
    assert (r.ci <= 1 + 1e-12).all() and (r.ci > 0).all()
    assert r.ci[np.argmax(y[:, 0])] == pytest.approx(1.0)  # the best on one indicator is on the frontier
    assert ((y @ r.w.T) <= 1 + 1e-9).all()  # nobody scores above 1 with anybody's weights


# --------------------------------------------------------------------------- invariants

_MATRICES = arrays(np.float64, st.tuples(st.integers(1, 12), st.integers(1, 6)),
                   elements=st.one_of(st.floats(0, 1), st.just(np.nan)))


@settings(max_examples=60, deadline=None)
@given(z=_MATRICES)
def test_pca_weights_are_a_weight_vector(z):
    w = pca(z).w
    assert np.isfinite(w).all() and (w >= 0).all() and w.sum() == pytest.approx(1.0)


@settings(max_examples=30, deadline=None)
@given(y=arrays(np.float64, st.tuples(st.integers(1, 8), st.integers(1, 4)),
                elements=st.floats(0, 1, allow_subnormal=False)))
def test_bod_scores_lie_in_0_1_and_the_best_unit_scores_1(y):
    r = bod(y)
    assert ((r.ci >= 0) & (r.ci <= 1)).all()
    if (y > 0).any():
        assert r.ci.max() == pytest.approx(1.0, abs=1e-7)  # someone is on the frontier
