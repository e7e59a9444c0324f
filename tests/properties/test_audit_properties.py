"""Invariants of the statistical audit (hypothesis): bounds, sums and indifference to the units' order."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from evalkit.analysis import audit as A

SETTINGS = settings(max_examples=50, deadline=None)

values = st.floats(-100.0, 100.0, allow_nan=False, allow_infinity=False)


@st.composite
def panels(draw, gaps=False):
    n = draw(st.integers(6, 40))
    k = draw(st.integers(2, 5))
    x = draw(arrays(np.float64, (n, k), elements=values))
    if gaps:
        mask = draw(arrays(np.bool_, (n, k), elements=st.booleans()))
        x = np.where(mask & (np.arange(n)[:, None] % 3 == 0), np.nan, x)
    return x


@SETTINGS
@given(panels())
def test_alpha_is_at_most_one_on_complete_data(x):
    a = A.cronbach_alpha(x)
    assert np.isnan(a) or a <= 1 + 1e-9


@SETTINGS
@given(panels(gaps=True))
def test_correlations_are_bounded_and_symmetric(x):
    for f in (A.pearson, A.spearman):
        r, n = f(x)
        ok = np.isfinite(r)
        assert (np.abs(r[ok]) <= 1).all()
        assert_allclose(np.where(ok, r, 0), np.where(ok, r, 0).T, atol=1e-12)
        assert (n == n.T).all()


@SETTINGS
@given(panels())
def test_correlation_pca_eigenvalues_sum_to_the_number_of_children(x):
    p = A.pca(x)
    assume(np.isfinite(p.eigenvalues).all())
    assert p.eigenvalues.sum() == pytest.approx(x.shape[1], rel=1e-9)
    assert (np.diff(p.eigenvalues) <= 1e-9).all() and (p.eigenvalues >= 0).all()
    assert_allclose(p.loadings.T @ p.loadings, np.eye(x.shape[1]), atol=1e-9)
    assert 0 <= p.n_above_one < x.shape[1] or x.shape[1] == 1


@SETTINGS
@given(panels(gaps=True), st.floats(0.0, 1.0))
def test_importance_is_in_unit_interval(x, noise):
    y = np.nansum(x, axis=1) + noise * np.arange(x.shape[0])
    s = A.first_order(x, y)
    ok = np.isfinite(s)
    assert ((s[ok] >= 0) & (s[ok] <= 1)).all()
    share, ratio = A.importance_ratio(s, np.full(x.shape[1], 1.0 / x.shape[1]))
    if ok.all() and s.sum() > 0:
        assert share.sum() == pytest.approx(1.0)


@SETTINGS
@given(panels(gaps=True), st.randoms(use_true_random=False))
def test_relabelling_units_changes_nothing(x, rnd):
    order = list(range(x.shape[0]))
    rnd.shuffle(order)
    xp = x[order]
    y = np.nansum(x, axis=1) ** 2
    for f in (A.pearson, A.spearman):
        assert_allclose(f(x)[0], f(xp)[0], atol=1e-9, equal_nan=True)
    a, b = A.cronbach_alpha(x), A.cronbach_alpha(xp)
    assert (np.isnan(a) and np.isnan(b)) or abs(a - b) < 1e-9
    assert_allclose(A.pca(x).eigenvalues, A.pca(xp).eigenvalues, atol=1e-9, equal_nan=True)
    assert_allclose(A.first_order(x, y), A.first_order(xp, y[order]), atol=1e-7, equal_nan=True)
