"""Invariants of the regional-science analyses (hypothesis): Theil with zeros, Dagum pairs,
Moran's I and LISA, the range directional model and the Malmquist decomposition."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from evalkit.analysis.dea_models import malmquist, rdm
from evalkit.analysis.disparity import dagum_gini, dagum_pairs, theil
from evalkit.analysis.spatial import lisa, moran

SETTINGS = settings(max_examples=40, deadline=None)
nonneg = st.floats(0.0, 100.0, allow_nan=False, allow_infinity=False)
positive = st.floats(1.0, 100.0, allow_nan=False, allow_infinity=False)


@st.composite
def grouped(draw, elements=nonneg, k=4):
    n = draw(st.integers(2, 30))
    y = draw(arrays(np.float64, n, elements=elements))
    g = draw(arrays(np.int64, n, elements=st.integers(0, k - 1)))
    return y, g


@SETTINGS
@given(grouped())
def test_theil_t_decomposes_with_zero_scores(data):
    y, g = data
    assume(y.sum() > 0)
    t = theil(y, g)
    assert t.n_used == y.size  # zeros stay in T
    assert_allclose(t.T_within + t.T_between, t.T, atol=1e-10)
    assert t.T >= -1e-12 and t.T <= np.log(y.size) + 1e-10
    assert t.n_used_L == int((y > 0).sum())


@SETTINGS
@given(grouped(positive))
def test_dagum_pairs_add_up(data):
    y, g = data
    rows = dagum_pairs(y, g)
    d = dagum_gini(y, g)
    assert_allclose(sum(r[-2] for r in rows), d.G_net_between, atol=1e-10)
    assert_allclose(sum(r[-1] for r in rows), d.G_trans, atol=1e-10)
    assert all(-1e-12 <= r[7] <= 1 + 1e-12 for r in rows)  # D_jh in [0, 1]: j is the richer group


def _ring_weights(n):
    W = np.zeros((n, n))
    i = np.arange(n)
    W[i, (i + 1) % n] = W[i, (i - 1) % n] = 0.5
    return W


@SETTINGS
@given(arrays(np.float64, st.integers(4, 25), elements=st.floats(-50, 50, allow_nan=False)),
       st.floats(0.1, 10), st.floats(-100, 100))
def test_moran_is_affine_invariant_and_lisa_averages_to_it(y, a, b):
    assume(np.ptp(y) > 1e-3)
    W = _ring_weights(y.size)
    m = moran(y, W, permutations=0)
    assert_allclose(moran(a * y + b, W, permutations=0).I, m.I, atol=1e-9)
    assert_allclose(lisa(y, W, permutations=0).Is.mean(), m.I, atol=1e-10)
    assert -1 - 1e-9 <= m.I <= 1 + 1e-9  # row-standardised ring: I within [−1, 1]


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.floats(-30, 30), st.floats(0.5, 4))
def test_rdm_ignores_shifts_and_units(seed, shift, scale):
    rng = np.random.default_rng(seed)
    X, Y = rng.uniform(0, 20, (9, 2)), rng.uniform(0, 20, (9, 2))
    base = rdm(X, Y).efficiency
    assert_allclose(rdm(scale * X + shift, Y - shift).efficiency, base, atol=1e-8)
    assert np.all((base >= -1e-9) & (base <= 1 + 1e-9))


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_malmquist_is_ec_times_tc(seed):
    rng = np.random.default_rng(seed)
    X0, Y0 = rng.uniform(1, 10, (8, 2)), rng.uniform(1, 10, (8, 2))
    X1, Y1 = X0 * rng.uniform(0.7, 1.2, (8, 2)), Y0 * rng.uniform(0.8, 1.4, (8, 2))
    m = malmquist(X0, Y0, X1, Y1)
    assert_allclose(m.mi, m.ec * m.tc, rtol=1e-10)
    assert_allclose(m.ec, m.pec * m.sec, rtol=1e-10)
    # swapping the periods inverts the index
    back = malmquist(X1, Y1, X0, Y0)
    assert_allclose(back.mi * m.mi, 1.0, rtol=1e-7)
