"""Invariants of evalkit.analysis (hypothesis): decompositions add up, bounds hold."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from evalkit.analysis.coordination import coupling_coordination, coupling_degree
from evalkit.analysis.disparity import dagum_gini, gini, theil
from evalkit.analysis.efficiency import dea
from evalkit.analysis.obstacle import group_obstacle, obstacle_degree

SETTINGS = settings(max_examples=60, deadline=None)

scores = st.floats(0.5, 100.0, allow_nan=False, allow_infinity=False)
unit_interval = st.floats(0.0, 1.0, allow_nan=False, allow_infinity=False)


@st.composite
def grouped_scores(draw, min_size=1, max_size=40, k=4):
    n = draw(st.integers(min_size, max_size))
    y = draw(arrays(np.float64, n, elements=scores))
    groups = draw(arrays(np.int64, n, elements=st.integers(0, k - 1)))
    return y, groups


def _naive(y, groups):
    """The Dagum terms by the O(n²) double sums of docs/methods.md#dagum."""
    diff = np.abs(y[:, None] - y[None, :])
    G = diff.sum() / (2 * y.size**2 * y.mean())
    labels = list(dict.fromkeys(groups.tolist()))
    part = {g: y[groups == g] for g in labels}
    Gjj = {g: np.abs(v[:, None] - v[None, :]).sum() / (2 * v.size**2 * v.mean()) for g, v in part.items()}
    pair = {}
    for a in labels:
        for b in labels:
            if a != b:
                va, vb = part[a], part[b]
                d = np.abs(va[:, None] - vb[None, :]).sum() / (va.size * vb.size * (va.mean() + vb.mean()))
                pos = np.clip(va[:, None] - vb[None, :], 0, None).mean()
                pair[a, b] = (d, pos)
    return G, Gjj, pair


@SETTINGS
@given(grouped_scores())
def test_theil_decompositions_add_up(data):
    y, groups = data
    t = theil(y, groups)
    assert_allclose(t.T_within + t.T_between, t.T, atol=1e-12)
    assert_allclose(t.L_within + t.L_between, t.L, atol=1e-12)
    assert t.T >= -1e-15 and t.L >= -1e-15 and t.T_between >= -1e-12


@SETTINGS
@given(grouped_scores())
def test_dagum_gini_decomposition_adds_up(data):
    y, groups = data
    g = dagum_gini(y, groups)
    assert_allclose(g.G_within + g.G_net_between + g.G_trans, g.G, atol=1e-12)
    assert 0 <= g.G < 1
    off = ~np.eye(len(g.groups), dtype=bool)
    assert np.all((g.D_jh[off] >= -1e-12) & (g.D_jh[off] <= 1 + 1e-12))
    assert list(g.mean) == sorted(g.mean, reverse=True)


@SETTINGS
@given(grouped_scores(min_size=2))
def test_gini_sort_based_equals_naive_double_sum(data):
    y, groups = data
    G, Gjj, pair = _naive(y, groups)
    g = dagum_gini(y, groups)
    assert_allclose(g.G, G, rtol=1e-12, atol=1e-13)
    assert_allclose(gini(y), G, rtol=1e-12, atol=1e-13)
    ix = {lab: i for i, lab in enumerate(g.groups)}
    for lab, val in Gjj.items():
        assert_allclose(g.G_jj[ix[lab]], val, rtol=1e-12, atol=1e-13)
    for (a, b), (gjh, pos) in pair.items():
        j, h = ix[a], ix[b]
        assert_allclose(g.G_jh[j, h], gjh, rtol=1e-12, atol=1e-13)
        if j < h:  # a is the richer group: d_jh = E[(y_a − y_b)⁺]
            assert_allclose(g.d_jh[j, h], pos, rtol=1e-12, atol=1e-11)
        else:
            assert_allclose(g.p_jh[j, h], pos, rtol=1e-12, atol=1e-11)


@SETTINGS
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(2, 7)), elements=unit_interval),
       st.sampled_from(["corrected", "traditional"]))
def test_coordination_d_in_unit_interval(U, variant):
    res = coupling_coordination(U, variant=variant)
    for arr_ in (res.C, res.T, res.D):
        assert np.all((arr_ >= 0) & (arr_ <= 1))
    assert np.all((res.level >= 1) & (res.level <= 10))
    assert np.all(U[np.arange(U.shape[0]), res.lagging] == U.min(axis=1))


@SETTINGS
@given(st.floats(1e-6, 1.0), st.integers(2, 9), st.sampled_from(["corrected", "traditional"]))
def test_coordination_equal_domains_give_c_one(u, n, variant):
    assert_allclose(coupling_degree(np.full(n, u), variant=variant), 1.0, atol=1e-12)


@SETTINGS
@given(arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 8)),
              elements=unit_interval),
       st.data())
def test_obstacle_shares_sum_to_one_or_zero(z, data):
    n_ind = z.shape[2]
    F = data.draw(arrays(np.float64, n_ind, elements=st.floats(0.01, 1.0)))
    F = F / F.sum()
    res = obstacle_degree(z, F)
    sums = res.O.sum(axis=2)
    ok = np.isclose(sums, 1.0, atol=1e-12) | ((sums == 0) & (res.deficit == 0))
    assert np.all(ok)
    assert np.all(res.O >= 0)
    groups = data.draw(arrays(np.int64, n_ind, elements=st.integers(0, 2)))
    assert_allclose(group_obstacle(res.O, groups, n_groups=3).sum(axis=2), sums, atol=1e-12)


@st.composite
def dea_data(draw, max_units=12):
    K = draw(st.integers(1, max_units))
    m = draw(st.integers(1, 2))
    s = draw(st.integers(1, 2))
    el = st.floats(1.0, 101.0, allow_nan=False)
    return draw(arrays(np.float64, (K, m), elements=el)), draw(arrays(np.float64, (K, s), elements=el))


@settings(max_examples=40, deadline=None)
@given(dea_data())
def test_dea_theta_bounds_and_bcc_dominates_ccr(data):
    X, Y = data
    ccr = dea(X, Y, model="ccr")
    bcc = dea(X, Y, model="bcc")
    for r in (ccr, bcc):
        assert np.all((r.theta > 0) & (r.theta <= 1))
        assert r.efficient.any()
    assert np.all(bcc.theta >= ccr.theta - 1e-9)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 15), st.just(2)),
              elements=st.sampled_from([1.0, 2.0, 3.5, 5.0, 8.0, 13.0, 21.0])))
def test_dea_closed_form_equals_lp_for_one_input_one_output(xy):
    # values from a small set so that ties (shared frontier points) are common
    for model in ("ccr", "bcc"):
        fast = dea(xy[:, 0], xy[:, 1], model=model)
        lp = dea(xy[:, 0], xy[:, 1], model=model, method="lp")
        assert_allclose(fast.theta, lp.theta, atol=1e-9)
        assert fast.efficient.tolist() == lp.efficient.tolist()
