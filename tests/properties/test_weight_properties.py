"""Invariants of the weighting core (hypothesis), over the method registry."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from evalkit import weight as W

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])

SAATY = [1 / 9, 1 / 8, 1 / 7, 1 / 6, 1 / 5, 1 / 4, 1 / 3, 1 / 2, 1.0, 2.0, 3.0, 4.0, 5.0,
         6.0, 7.0, 8.0, 9.0]


def minmax(x):
    lo, hi = x.min(axis=0), x.max(axis=0)
    rng = np.where(hi > lo, hi - lo, 1.0)
    return np.where(hi > lo, (x - lo) / rng, 0.0)


@st.composite
def z_matrices(draw, min_cols=1, max_cols=15, nan=False):
    """Min–max z (n_obs, m) from a few value levels (ties and constants occur)."""
    n_obs = draw(st.integers(1, 25))
    m = draw(st.integers(min_cols, max_cols))
    x = draw(arrays(np.float64, (n_obs, m),
                    elements=st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False)))
    z = minmax(x)
    if nan:
        mask = draw(arrays(np.bool_, (n_obs, m)))
        z = np.where(mask, np.nan, z)
    return z


@st.composite
def raw_positive(draw, max_cols=15):
    n_obs = draw(st.integers(2, 20))
    m = draw(st.integers(1, max_cols))
    return draw(arrays(np.float64, (n_obs, m), elements=st.floats(0.01, 1e4)))


@st.composite
def reciprocal_matrices(draw, max_n=15):
    n = draw(st.integers(1, max_n))
    a = np.ones((n, n))
    iu, ju = np.triu_indices(n, 1)
    vals = np.array(draw(st.lists(st.sampled_from(SAATY), min_size=iu.size, max_size=iu.size)))
    a[iu, ju] = vals
    a[ju, iu] = 1 / vals
    return a


@st.composite
def weight_vectors(draw, n=None, positive=False):
    n = n if n is not None else draw(st.integers(1, 15))
    lo = 0.01 if positive else 0.0
    v = np.array(draw(st.lists(st.floats(lo, 1.0), min_size=n, max_size=n)))
    assume(v.sum() > 0)
    return v / v.sum()


def is_weight_vector(w, n):
    assert w.shape == (n,)
    assert np.all(np.isfinite(w)) and np.all(w >= 0)
    assert abs(w.sum() - 1.0) < 1e-12


def data_weights(method, z):
    """Weights of a data-driven method (DATA_METHODS) on z (cv gets z + 1, raw-like)."""
    if method == "equal":
        return W.equal(z.shape[1])
    if method == "cv":
        return W.cv(z + 1.0).w
    return W.METHODS[method](z).w


# ----------------------------------------------------------------- weights >= 0, sum 1

@pytest.mark.parametrize("method", W.DATA_METHODS)
@SETTINGS
@given(z=z_matrices(nan=True))
def test_data_methods_give_weights_that_sum_to_one(method, z):
    is_weight_vector(data_weights(method, z), z.shape[1])


@pytest.mark.parametrize("shift", [0.0, 1e-4, 0.01])
@SETTINGS
@given(z=z_matrices(nan=True))
def test_entropy_weights_sum_to_one_with_any_zero_handling(shift, z):
    r = W.entropy(z, shift=shift)
    is_weight_vector(r.w, z.shape[1])
    assert np.all((r.e >= 0) & (r.e <= 1)) and np.all(r.d >= 0)
    assert np.all(r.w[r.constant] == 0) or r.constant.all()


@pytest.mark.parametrize("method", W.AHP_METHODS)
@SETTINGS
@given(a=reciprocal_matrices())
def test_ahp_weights_are_positive_and_sum_to_one(method, a):
    r = W.ahp(a, method=method)
    is_weight_vector(r.w, a.shape[0])
    assert np.all(r.w > 0)
    assert r.ci >= 0 and r.cr >= 0
    assert r.lambda_max >= a.shape[0] - 1e-9


@pytest.mark.parametrize("rule", W.COMBINE_RULES)
@SETTINGS
@given(data=st.data())
def test_combined_weights_sum_to_one(rule, data):
    n = data.draw(st.integers(1, 15))
    s = data.draw(weight_vectors(n))
    o = data.draw(weight_vectors(n))
    alpha = data.draw(st.floats(0.0, 1.0))
    is_weight_vector(W.combine(s, o, rule=rule, alpha=alpha).w, n)


# ----------------------------------------------------------------- permutation

@pytest.mark.parametrize("method", W.DATA_METHODS)
@SETTINGS
@given(z=z_matrices(nan=True), seed=st.integers(0, 2**32 - 1))
def test_permuting_columns_permutes_weights(method, z, seed):
    perm = np.random.default_rng(seed).permutation(z.shape[1])
    if method == "critic":
        # listwise deletion is permutation-invariant too, but keep CRITIC's
        # degenerate fallbacks (decided with a rounding bound) out of this test
        z = np.nan_to_num(z, nan=0.0)
    if method == "pca":
        # the first component is only defined up to rotation when it ties with the second
        assume(first_eigengap(z) > 1e-6)
    w = data_weights(method, z)
    assert_allclose(data_weights(method, z[:, perm]), w[perm], rtol=0, atol=1e-9)


def first_eigengap(z):
    """λ1 − λ2 of the correlation matrix of the complete rows' varying columns (inf when undefined)."""
    zc = z[~np.isnan(z).any(axis=1)]
    if zc.shape[0] < 2:
        return np.inf
    zc = zc[:, zc.std(axis=0) > 0]
    if zc.shape[1] < 2:
        return np.inf
    ev = np.linalg.eigvalsh(np.corrcoef(zc, rowvar=False))
    return ev[-1] - ev[-2]


@SETTINGS
@given(a=reciprocal_matrices(), seed=st.integers(0, 2**32 - 1))
def test_permuting_ahp_children_permutes_weights(a, seed):
    perm = np.random.default_rng(seed).permutation(a.shape[0])
    for method in W.AHP_METHODS:
        w = W.ahp(a, method=method).w
        r = W.ahp(a[np.ix_(perm, perm)], method=method)
        assert_allclose(r.w, w[perm], rtol=0, atol=1e-9)


@pytest.mark.parametrize("rule", W.COMBINE_RULES)
@SETTINGS
@given(data=st.data())
def test_permuting_children_permutes_combined_weights(rule, data):
    n = data.draw(st.integers(1, 15))
    s, o = data.draw(weight_vectors(n)), data.draw(weight_vectors(n))
    perm = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))).permutation(n)
    w = W.combine(s, o, rule=rule).w
    assert_allclose(W.combine(s[perm], o[perm], rule=rule).w, w[perm], rtol=0, atol=1e-9)


# ----------------------------------------------------------------- entropy invariance

@SETTINGS
@given(x=raw_positive(), c=st.floats(1e-3, 1e3), b=st.floats(-1e3, 1e3))
def test_entropy_invariant_to_positive_scaling_of_raw_data(x, c, b):
    """min–max removes the unit: c·x + b (c > 0) gives the same z, hence the same w."""
    z1, z2 = minmax(x), minmax(c * x + b)
    # rounding can turn a nearly-constant column into an exactly constant one
    span = x.max(axis=0) - x.min(axis=0)
    assume(np.all((span == 0) | (span > 1e-6 * np.abs(x).max(axis=0))))
    assert_allclose(W.entropy(z2).w, W.entropy(z1).w, rtol=0, atol=1e-9)


@SETTINGS
@given(x=raw_positive(), c=st.floats(1e-3, 1e3))
def test_ratio_entropy_invariant_to_positive_scaling(x, c):
    assert_allclose(W.entropy_ratio(c * x).w, W.entropy_ratio(x).w, rtol=0, atol=1e-9)


# ----------------------------------------------------------------- AHP consistency

@pytest.mark.parametrize("n", [1, 2, 3, 7, 15])
@pytest.mark.parametrize("method", W.AHP_METHODS)
@SETTINGS
@given(data=st.data())
def test_ahp_of_consistent_matrix_recovers_v_with_cr_zero(n, method, data):
    v = data.draw(weight_vectors(n, positive=True))
    a = v[:, None] / v[None, :]
    r = W.ahp(a, method=method)
    assert_allclose(r.w, v, rtol=1e-9, atol=1e-12)
    assert r.cr < 1e-10 and r.ci < 1e-10
    assert_allclose(r.lambda_max, n, rtol=1e-10)
    assert all(score < 1e-9 for _, _, score in W.most_inconsistent(a, r.w))


@pytest.mark.parametrize("n", [3, 6, 15])
@SETTINGS
@given(data=st.data())
def test_harker_completion_of_consistent_matrix_is_exact(n, data):
    v = data.draw(weight_vectors(n, positive=True))
    full = v[:, None] / v[None, :]
    i = data.draw(st.integers(0, n - 2))
    j = data.draw(st.integers(i + 1, n - 1))
    a = full.copy()
    a[i, j] = a[j, i] = np.nan
    assert_allclose(W.complete_harker(a), full, rtol=1e-10)


@SETTINGS
@given(data=st.data())
def test_group_aij_stays_reciprocal(data):
    k = data.draw(st.integers(1, 5))
    n = data.draw(st.integers(1, 9))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    mats = []
    iu, ju = np.triu_indices(n, 1)
    for _ in range(k):
        a = np.ones((n, n))
        vals = rng.choice(SAATY, size=iu.size)
        a[iu, ju], a[ju, iu] = vals, 1 / vals
        mats.append(a)
    lam = data.draw(weight_vectors(k, positive=True))
    g = W.group_aij(mats, expert_weights=lam)
    assert_allclose(g * g.T, np.ones((n, n)), rtol=1e-12)
    assert W.ahp(g).n == n


# ----------------------------------------------------------------- combination identity

@pytest.mark.parametrize("rule", ["mdi", "linear", "game_theory"])
@SETTINGS
@given(data=st.data())
def test_combined_of_a_with_itself_is_a(rule, data):
    n = data.draw(st.sampled_from([1, 2, 15]) | st.integers(1, 15))
    a = data.draw(weight_vectors(n))
    alpha = data.draw(st.floats(0.0, 1.0))
    assert_allclose(W.combine(a, a, rule=rule, alpha=alpha).w, a, rtol=0, atol=1e-12)


@SETTINGS
@given(data=st.data())
def test_multiplicative_of_a_with_itself_is_a_squared_and_with_uniform_is_a(data):
    """Not an identity: multiplicative synthesis sharpens a (a²/Σa², docs/methods.md#combined)."""
    n = data.draw(st.sampled_from([1, 2, 15]) | st.integers(1, 15))
    a = data.draw(weight_vectors(n))
    w = W.combine(a, a, rule="multiplicative").w
    assert_allclose(w, a * a / np.sum(a * a), rtol=0, atol=1e-12)
    u = np.full(n, 1.0 / n)
    assert_allclose(W.combine(a, u, rule="multiplicative").w, a, rtol=0, atol=1e-12)


# ----------------------------------------------------------------- sizes n = 1, 2, 15

@pytest.mark.parametrize("m", [1, 2, 15])
@pytest.mark.parametrize("method", W.DATA_METHODS)
def test_data_methods_at_sizes_1_2_15(method, m):
    rng = np.random.default_rng(m)
    z = minmax(rng.random((12, m)))
    w = data_weights(method, z)
    is_weight_vector(w, m)
    if m == 1:
        assert w.tolist() == [1.0]
