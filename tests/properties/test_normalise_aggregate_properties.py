"""Hypothesis invariants of normalisation and aggregation, over each registry.

Data are small integer-valued panels (as floats, with NaN holes): a range is then
0 or at least 1, far from the constant tolerance, so affine invariances hold to
rounding and do not flip the constant decision.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from evalkit import aggregate as A
from evalkit import normalise as N

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
DIRECTIONS = ("benefit", "cost", "target")


@st.composite
def panels(draw, min_units=1, max_units=6, max_years=3, max_ind=4, nan=True):
    """(x, direction, target_lo, target_hi, goalpost_lo, goalpost_hi)."""
    shape = (draw(st.integers(min_units, max_units)), draw(st.integers(1, max_years)),
             draw(st.integers(1, max_ind)))
    x = draw(hnp.arrays(np.float64, shape, elements=st.integers(-50, 50).map(float)))
    if nan:
        holes = draw(hnp.arrays(np.bool_, shape, elements=st.booleans()))
        x = np.where(holes & draw(st.booleans()), np.nan, x)
    n = shape[2]
    direction = np.array(draw(st.lists(st.sampled_from(DIRECTIONS), min_size=n, max_size=n)))
    a = np.array(draw(st.lists(st.integers(-30, 30), min_size=n, max_size=n)), float)
    width = np.array(draw(st.lists(st.integers(0, 20), min_size=n, max_size=n)), float)
    t = direction == "target"
    tlo, thi = np.where(t, a, np.nan), np.where(t, a + width, np.nan)
    has_gp = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    glo = np.where(has_gp, np.fmin(-40.0, np.nan_to_num(tlo, nan=0.0)), np.nan)
    ghi = np.where(has_gp, np.fmax(40.0, np.nan_to_num(thi, nan=0.0)), np.nan)
    return x, direction, tlo, thi, glo, ghi


def _norm(method, p, scope="panel"):
    x, d, tlo, thi, glo, ghi = p
    return N.METHODS[method](x, direction=d, target_lo=tlo, target_hi=thi,
                             goalpost_lo=glo, goalpost_hi=ghi, scope=scope)


@st.composite
def scores(draw, lo=0.0, hi=100.0):
    """(s, w) children's scores on [lo, hi] with NaN holes, positive weights summing to 1."""
    shape = (draw(st.integers(1, 5)), draw(st.integers(1, 3)), draw(st.integers(1, 5)))
    s = draw(hnp.arrays(np.float64, shape, elements=st.floats(lo, hi)))
    holes = draw(hnp.arrays(np.bool_, shape, elements=st.booleans()))
    s = np.where(holes & draw(st.booleans()), np.nan, s)
    raw = np.array(draw(st.lists(st.integers(1, 10), min_size=shape[2], max_size=shape[2])), float)
    return s, raw / raw.sum()


# --------------------------------------------------------------------------- normalisation


# Each example is checked against every method (and scope) of the registry: one
# drawn panel, several contracts — cheaper than drawing per method.


@SETTINGS
@given(p=panels())
def test_z_in_unit_interval_and_nan_exactly_where_x_nan(p):
    x = p[0]
    for method in N.METHODS:
        for scope in N.SCOPES:
            z, info = _norm(method, p, scope)
            assert z.shape == x.shape
            assert np.array_equal(np.isnan(z), np.isnan(x)), (method, scope)
            zz = z[~np.isnan(z)]
            assert ((zz >= 0) & (zz <= 1)).all(), (method, scope)
            n_scope = 1 if scope == "panel" else x.shape[1]
            assert info.lo.shape == info.constant.shape == (n_scope, x.shape[2])


@SETTINGS
@given(p=panels(), a=st.floats(0.01, 100.0), b=st.floats(-1000.0, 1000.0))
def test_minmax_unchanged_by_positive_affine_map(p, a, b):
    x, d, tlo, thi, glo, ghi = p
    z, _ = _norm("minmax", p)
    z2, _ = N.minmax(a * x + b, direction=d, target_lo=a * tlo + b, target_hi=a * thi + b)
    np.testing.assert_allclose(z2, z, rtol=0, atol=1e-9)


@SETTINGS
@given(p=panels(), data=st.data())
def test_permuting_units_permutes_z(p, data):
    perm = np.array(data.draw(st.permutations(range(p[0].shape[0]))))
    for method in N.METHODS:
        for scope in N.SCOPES:
            z, _ = _norm(method, p, scope)
            zp, _ = _norm(method, (p[0][perm],) + p[1:], scope)
            np.testing.assert_allclose(zp, z[perm], rtol=0, atol=1e-12, err_msg=method)


@SETTINGS
@given(p=panels(min_units=2, max_years=3), data=st.data())
def test_panel_scope_identical_values_identical_z_across_years(p, data):
    x = p[0].copy()
    assume(x.shape[1] >= 2)
    u = data.draw(st.integers(0, x.shape[0] - 1))
    x[u, 1, :] = x[u, 0, :]
    for method in N.METHODS:
        z, _ = _norm(method, (x,) + p[1:])
        np.testing.assert_array_equal(z[u, 1, :], z[u, 0, :], err_msg=method)


@SETTINGS
@given(p=panels(nan=False), data=st.data())
def test_raising_a_benefit_value_never_lowers_its_z_nor_the_arithmetic_aggregate(p, data):
    x, d, tlo, thi, glo, ghi = p
    d = d.astype(object)  # room for "benefit" whatever the drawn words' dtype
    j = data.draw(st.integers(0, x.shape[2] - 1))
    d[j] = "benefit"
    tlo, thi = np.where(d == "target", tlo, np.nan), np.where(d == "target", thi, np.nan)
    u = data.draw(st.integers(0, x.shape[0] - 1))
    y = data.draw(st.integers(0, x.shape[1] - 1))
    x2 = x.copy()
    x2[u, y, j] += data.draw(st.integers(1, 60))
    z, _ = N.minmax(x, direction=d, target_lo=tlo, target_hi=thi)
    z2, _ = N.minmax(x2, direction=d, target_lo=tlo, target_hi=thi)
    assert z2[u, y, j] >= z[u, y, j]
    w = np.full(x.shape[2], 1.0 / x.shape[2])
    s, _ = A.arithmetic(N.to_scale(z, 0, 100), w)
    s2, _ = A.arithmetic(N.to_scale(z2, 0, 100), w)
    assert s2[u, y] >= s[u, y] - 1e-9


# --------------------------------------------------------------------------- aggregation


@SETTINGS
@given(sw=scores())
def test_mean_lies_between_min_and_max_child(sw):
    s, w = sw
    for method in ("arithmetic", "geometric"):
        score, _ = A.METHODS[method](s, w, lo=0.0, hi=100.0, min_share=0.0)
        ok = ~np.isnan(score)
        assert (score[ok] >= np.fmin.reduce(s, axis=2)[ok]).all(), method
        assert (score[ok] <= np.fmax.reduce(s, axis=2)[ok]).all(), method


@SETTINGS
@given(sw=scores(), min_share=st.sampled_from([0.0, 0.5, 2 / 3, 1.0]))
def test_score_on_scale_and_missing_exactly_below_min_share(sw, min_share):
    s, w = sw
    expected_share = (~np.isnan(s)) @ w
    missing = (expected_share < min_share - 1e-12) | (expected_share == 0)
    for method, f in A.METHODS.items():
        score, share = f(s, w, lo=0.0, hi=100.0, min_share=min_share)
        assert score.shape == share.shape == s.shape[:2]
        np.testing.assert_allclose(share, expected_share, rtol=0, atol=1e-12)
        assert np.array_equal(np.isnan(score), missing), method
        ok = score[~missing]
        assert ((ok >= 0) & (ok <= 100)).all(), method


@SETTINGS
@given(sw=scores(), data=st.data())
def test_aggregation_permuting_units_permutes_scores(sw, data):
    s, w = sw
    perm = np.array(data.draw(st.permutations(range(s.shape[0]))))
    for method, f in A.METHODS.items():
        a, _ = f(s, w, lo=0.0, hi=100.0)
        b, _ = f(s[perm], w, lo=0.0, hi=100.0)
        np.testing.assert_allclose(b, a[perm], rtol=0, atol=1e-9, err_msg=method)


@SETTINGS
@given(sw=scores(), data=st.data())
def test_raising_a_child_never_lowers_arithmetic_or_geometric(sw, data):
    s, w = sw
    u = data.draw(st.integers(0, s.shape[0] - 1))
    y = data.draw(st.integers(0, s.shape[1] - 1))
    j = data.draw(st.integers(0, s.shape[2] - 1))
    assume(not np.isnan(s[u, y, j]))
    s2 = s.copy()
    s2[u, y, j] = data.draw(st.floats(s[u, y, j], 100.0))
    for method in ("arithmetic", "geometric"):
        a, _ = A.METHODS[method](s, w, lo=0.0, hi=100.0, min_share=0.0)
        b, _ = A.METHODS[method](s2, w, lo=0.0, hi=100.0, min_share=0.0)
        assert b[u, y] >= a[u, y] - 1e-9 * 100, method
